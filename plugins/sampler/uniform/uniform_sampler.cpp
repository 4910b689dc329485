// The `uniform` sampler: `num_negatives` negatives per positive, uniform over the items
// the user has no positive with in any split (He et al. 2017, Neural Collaborative
// Filtering, section 4.1). Vectorised rejection sampling: draw every candidate at once,
// redraw only the rejected ones.
#include <torch/torch.h>

#include "recsys/errors.hpp"
#include "recsys/plugin.hpp"

namespace recsys::uniform {

/// `[sampler]` table of the uniform sampler.
struct UniformSamplerOptions {
  std::int64_t num_negatives = 4;  ///< negatives per positive, >= 0

  static UniformSamplerOptions from_config(const Config& config) {
    UniformSamplerOptions o;
    // Each epoch holds positives x (1 + num_negatives) examples: past 10,000 that is no longer
    // a sampled objective but an allocation failure.
    o.num_negatives = config.get_int_in("num_negatives", o.num_negatives, 0, 10'000);
    return o;
  }
};

class UniformSampler final : public Sampler {
 public:
  explicit UniformSampler(const PluginArgs& args) : options_(UniformSamplerOptions::from_config(args.config)) {}

  Examples sample(const torch::Tensor& user_id, const torch::Tensor& item_id, const PositiveSet& positives,
                  at::Generator& generator) override {
    const std::int64_t k = options_.num_negatives;
    const std::int64_t p = user_id.size(0);
    const std::int64_t num_items = positives.num_items();
    if (p > 0 && k > 0) {
      const torch::Tensor full = positives.positives_per_user().index_select(0, user_id).ge(num_items).any();
      if (full.item<bool>()) {
        throw Error("uniform sampler: a user has a positive with every item, so no negative can be drawn");
      }
    }
    torch::Tensor users = user_id.repeat_interleave(k);
    torch::Tensor negatives = torch::randint(num_items, {p * k}, generator, torch::kInt64);
    torch::Tensor rejected = positives.contains(users, negatives).nonzero().squeeze(1);
    while (rejected.numel() > 0) {
      torch::Tensor redraw = torch::randint(num_items, {rejected.numel()}, generator, torch::kInt64);
      negatives.index_put_({rejected}, redraw);
      const torch::Tensor still = positives.contains(users.index_select(0, rejected), redraw);
      rejected = rejected.masked_select(still);
    }
    // Each positive is followed by its k negatives, as in the reference pipeline.
    Examples examples;
    examples.item_id = torch::cat({item_id.unsqueeze(1), negatives.view({p, k})}, 1).reshape(-1);
    examples.user_id = user_id.repeat_interleave(k + 1);
    torch::Tensor pattern = torch::zeros({k + 1}, torch::kFloat32);
    pattern[0] = 1.0f;
    examples.label = pattern.repeat({p});
    examples.row = torch::arange(p, torch::kInt64).repeat_interleave(k + 1);
    return examples;
  }

 private:
  UniformSamplerOptions options_;
};

}  // namespace recsys::uniform

RECSYS_EXPORT_PLUGIN(recsys::uniform::UniformSampler, "Uniform negative sampling over the user's non-positive items",
                     "");
