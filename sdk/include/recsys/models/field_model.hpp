#pragma once
/// @file
/// The scaffold of a model over the fields of its schema (Wide&Deep, DCN, DCN-V2, FM,
/// AutoInt): its options and its `nn::FieldLayout`, both read from the `[model]` table.

#include "recsys/model.hpp"
#include "recsys/models/options.hpp"
#include "recsys/nn/feature_fields.hpp"
#include "recsys/plugin.hpp"

namespace recsys::models {

/// A Model holding `options_` (an `Options` struct with a static `from_config(config, ...)`)
/// and `fields_`, the fields it uses. The subclass registers its modules in its constructor
/// body, after both are read.
template <typename Options>
class FieldModel : public Model {
 protected:
  /// Reads `Options::from_config(args.config, extra...)`, then `exclude_fields` against
  /// `*args.schema` (`field_layout`); throws their ConfigErrors.
  template <typename... Extra>
  explicit FieldModel(const PluginArgs& args, const Extra&... extra)
      : options_(Options::from_config(args.config, extra...)), fields_(field_layout(args.config, *args.schema)) {}

  const Options options_;
  const nn::FieldLayout fields_;
};

}  // namespace recsys::models
