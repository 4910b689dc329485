#pragma once
/// @file
/// The scaffold of a model over the fields of its schema (Wide&Deep, DCN, DCN-V2, FM,
/// AutoInt): its options and its `nn::FieldLayout`, both read from the `[model]` table.

#include "recsys/model.hpp"
#include "recsys/models/options.hpp"
#include "recsys/nn/feature_fields.hpp"
#include "recsys/nn/field_embedding.hpp"
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

  /// A FieldEmbedding of every field of `fields_` (single- and multi-valued), `dim` wide.
  nn::FieldEmbedding field_embedding(std::int64_t dim, double init_std) const {
    return nn::FieldEmbedding(fields_.cardinalities(), dim, init_std, fields_.multi_fields());
  }
  /// float32 [B, F + M, dim]: `embedding`'s vectors of the batch's fields.
  torch::Tensor embed(nn::FieldEmbedding& embedding, const Batch& batch) const {
    return embedding->forward(fields_.categorical(batch), fields_.multi_categorical(batch));
  }

  const Options options_;
  const nn::FieldLayout fields_;
};

}  // namespace recsys::models
