#pragma once
/// @file
/// Config-aware pieces shared by model plugins (header-only, compiled into each plugin): the
/// option blocks several models read from `[model]`, and the one reader of `exclude_fields`.
/// The layers they feed (`recsys/nn/`) take plain arguments.
///
/// Usage, in a model's options struct (defaults in the member initialisers):
///
///     models::EmbeddingOptions embedding{64};  // embedding_dim 64, init_std 0.01
///     models::MlpOptions deep;                 // deep_layers [512, 256, 128], dropout 0.2
///     ...
///     o.embedding = models::EmbeddingOptions::from_config(config, o.embedding);
///     o.deep = models::MlpOptions::from_config(config, o.deep);

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "recsys/config.hpp"
#include "recsys/nn/feature_fields.hpp"
#include "recsys/nn/side_encoder.hpp"
#include "recsys/schema.hpp"

namespace recsys::models {

/// Upper bounds of model sizes read from `[model]` (embedding widths, hidden layer widths,
/// attention heads; cross or attention layers): larger values cannot be trained on one machine
/// and would otherwise end in an allocator failure that names no key.
constexpr std::int64_t kMaxWidth = 65536;
constexpr std::int64_t kMaxLayers = 256;

/// Keys `embedding_dim` and `init_std`: the width of a model's embeddings and the std of their
/// N(0, std^2) initialisation (`nn::init_embedding`).
struct EmbeddingOptions {
  std::int64_t dim = 0;    ///< `embedding_dim`, at least 1 (no shared default: each model states its own)
  double init_std = 0.01;  ///< `init_std`, positive

  /// Reads `embedding_dim` and `init_std`, `defaults` for the absent ones. Throws ConfigError
  /// for a wrong type, "embedding_dim: must be in [1, 65536]" or "init_std: must be positive".
  static EmbeddingOptions from_config(const Config& config, const EmbeddingOptions& defaults) {
    // A braced list is evaluated left to right: embedding_dim is read (and checked) first.
    return {config.get_int_in("embedding_dim", defaults.dim, 1, kMaxWidth),
            config.get_positive_double("init_std", defaults.init_std)};
  }
};

/// Reads the key `init` ("normal", the default: N(0, init_std^2); "xavier_normal";
/// "xavier_uniform") of a model whose embeddings honour it. Throws ConfigError at the key.
inline nn::EmbeddingInit embedding_init(const Config& config) {
  const std::string init = config.get_string("init", "normal");
  if (init == "normal") return nn::EmbeddingInit::normal;
  if (init == "xavier_normal") return nn::EmbeddingInit::xavier_normal;
  if (init == "xavier_uniform") return nn::EmbeddingInit::xavier_uniform;
  config.fail("init", "expected normal, xavier_normal or xavier_uniform, found '" + init + "'");
}

/// Keys `deep_layers` and `dropout`: the hidden widths of an MLP (`nn::make_mlp`) and its
/// dropout probability after each ReLU.
struct MlpOptions {
  std::vector<std::int64_t> layers{512, 256, 128};  ///< `deep_layers`, each at least 1; may be empty
  double dropout = 0.2;                             ///< `dropout`, in [0, 1)

  /// Reads `deep_layers` and `dropout`, `defaults` for the absent ones. Throws ConfigError for
  /// a wrong type, "deep_layers: every entry must be at least 1" or "dropout: must be in [0, 1)".
  static MlpOptions from_config(const Config& config, const MlpOptions& defaults) {
    return {config.get_int_list_in("deep_layers", defaults.layers, 1, kMaxWidth),
            config.get_double_in("dropout", defaults.dropout, 0.0, 1.0)};
  }
};

/// Reads the key `exclude_fields` (default: none), the side features a model leaves out, and
/// checks each name against `schema` (`nn::field_names`). Throws ConfigError at that key for a
/// name that is no field ("'zipcode' is no field of this dataset (fields: user_id, ...)") and
/// for excluding user_id or item_id ("'user_id' cannot be excluded"). Pass the result to
/// `nn::FieldLayout` or `nn::SideEncoder`.
inline std::vector<std::string> exclude_fields(const Config& config, const FeatureSchema& schema) {
  std::vector<std::string> exclude = config.get_string_list("exclude_fields", {});
  const std::vector<std::string> all = nn::field_names(schema);
  for (const auto& name : exclude) {
    if (name == "user_id" || name == "item_id") config.fail("exclude_fields", "'" + name + "' cannot be excluded");
    if (std::find(all.begin(), all.end(), name) == all.end()) {
      std::string list;
      for (const auto& n : all) list += (list.empty() ? "" : ", ") + n;
      config.fail("exclude_fields", "'" + name + "' is no field of this dataset (fields: " + list + ")");
    }
  }
  return exclude;
}

/// For models whose user vector must stay free of context (inner_product, neumf: a user's
/// vector is the same whatever the situation, so it can be ranked against every item): throws
/// ConfigError at `exclude_fields` naming the first context field of `schema` that `exclude`
/// keeps, "'hour' is a context field, which <model> cannot use: add it to exclude_fields".
inline void refuse_context_fields(const Config& config, const FeatureSchema& schema,
                                  const std::vector<std::string>& exclude, const std::string& model) {
  const nn::SideColumns kept = nn::kept_columns(schema.context, exclude);
  if (kept.empty()) return;
  const std::string name = !kept.categorical.empty() ? schema.context.categorical[kept.categorical.front()].name
                                                     : nn::continuous_name(schema.context, kept.continuous.front());
  config.fail("exclude_fields", "'" + name + "' is a context field, which " + model +
                                    " cannot use (its user vector stays free of context): add it to exclude_fields");
}

/// The fields a feature-aware model uses: `nn::FieldLayout` of `schema` without the checked
/// `exclude_fields` of `config` (throws as `exclude_fields`).
inline nn::FieldLayout field_layout(const Config& config, const FeatureSchema& schema) {
  return nn::FieldLayout(schema, exclude_fields(config, schema));
}

}  // namespace recsys::models
