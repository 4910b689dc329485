// Uniform negative sampling (He et al. 2017, Neural Collaborative Filtering, section 4.1):
//  - `uniform`: `num_negatives` negatives per positive, uniform over the items the user has no
//    positive with (in every split, or the training one: [sampler] exclude);
//  - `hard`: dynamic negative sampling (Zhang et al. 2013, as RecBole's `dynamic`): `candidates`
//    uniform negatives per positive, of which the trainer keeps, per batch, the `num_negatives`
//    the current model scores highest (Examples::hard_negatives; a grouped loss).
// Vectorised rejection sampling: every candidate drawn at once, only the rejected ones redrawn.
// Each positive is followed by its negatives (Examples::group_size), as in the reference.
#include <torch/torch.h>

#include "recsys/errors.hpp"
#include "recsys/plugin.hpp"

namespace recsys::uniform {

namespace {

/// Each positive followed by `k` uniform negatives, none a positive of its user.
Examples uniform_groups(const torch::Tensor& user_id, const torch::Tensor& item_id, const PositiveSet& positives,
                        std::int64_t k, at::Generator& generator, const char* sampler) {
  const std::int64_t p = user_id.size(0);
  const std::int64_t num_items = positives.num_items();
  if (p > 0 && k > 0) {
    const torch::Tensor full = positives.positives_per_user().index_select(0, user_id).ge(num_items).any();
    if (full.item<bool>()) {
      throw Error(std::string(sampler) +
                  " sampler: a user has a positive with every item, so no negative can be drawn");
    }
  }
  const torch::Tensor users = user_id.repeat_interleave(k);
  torch::Tensor negatives = torch::randint(num_items, {p * k}, generator, torch::kInt64);
  reject_positives(users, negatives, positives,
                   [&](std::int64_t n) { return torch::randint(num_items, {n}, generator, torch::kInt64); });
  return grouped_examples(user_id, item_id, negatives.view({p, k}));
}

}  // namespace

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
    return uniform_groups(user_id, item_id, positives, options_.num_negatives, generator, "uniform");
  }

 private:
  UniformSamplerOptions options_;
};

/// `[sampler]` table of the hard (dynamic) sampler.
struct HardSamplerOptions {
  std::int64_t num_negatives = 1;  ///< negatives kept per positive, >= 1
  std::int64_t candidates = 10;    ///< uniform candidates scored per positive, > num_negatives

  static HardSamplerOptions from_config(const Config& config) {
    HardSamplerOptions o;
    o.num_negatives = config.get_int_in("num_negatives", o.num_negatives, 1, 1'000);
    o.candidates = config.get_int_in("candidates", o.candidates, 2, 10'000);
    if (o.candidates <= o.num_negatives) {
      config.fail("candidates", "must exceed num_negatives (" + std::to_string(o.num_negatives) +
                                    "): the hardest num_negatives of the candidates are kept");
    }
    return o;
  }
};

class HardSampler final : public Sampler {
 public:
  explicit HardSampler(const PluginArgs& args) : options_(HardSamplerOptions::from_config(args.config)) {}

  Examples sample(const torch::Tensor& user_id, const torch::Tensor& item_id, const PositiveSet& positives,
                  at::Generator& generator) override {
    Examples examples = uniform_groups(user_id, item_id, positives, options_.candidates, generator, "hard");
    examples.hard_negatives = options_.num_negatives;
    return examples;
  }

 private:
  HardSamplerOptions options_;
};

}  // namespace recsys::uniform

RECSYS_PLUGIN_LIBRARY(RECSYS_PLUGIN(sampler, "uniform", recsys::uniform::UniformSampler, RECSYS_PLUGIN_VERSION,
                                    "Uniform negative sampling over the user's non-positive items", ""),
                      RECSYS_PLUGIN(sampler, "hard", recsys::uniform::HardSampler, RECSYS_PLUGIN_VERSION,
                                    "Dynamic negative sampling: the highest-scoring of uniform candidates", "dynamic"));
