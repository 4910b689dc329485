// The `popularity` sampler: `num_negatives` negatives per positive, item i drawn with
// probability proportional to count(i)^alpha over the training interactions (word2vec's
// unigram^0.75 negatives, Mikolov et al. 2013; RecBole's `distribution: popularity` with
// `alpha`), renormalised by rejection over the items the user has no positive with.
// A draw is O(1): Walker's alias method (Vose 1991), built once when the sampler is fitted.
// Examples::log_q holds log p(i) under the unrenormalised distribution: the renormalisation
// is one constant per user, the same for a positive and its negatives, so it cancels in the
// sampled softmax's logQ correction.
#include <cmath>
#include <vector>

#include <torch/torch.h>

#include "recsys/errors.hpp"
#include "recsys/plugin.hpp"

namespace recsys::popularity {

/// `[sampler]` table of the popularity sampler.
struct PopularitySamplerOptions {
  std::int64_t num_negatives = 4;  ///< negatives per positive, >= 0
  double alpha = 1.0;              ///< exponent of the counts: 0 uniform, 1 proportional to popularity

  static PopularitySamplerOptions from_config(const Config& config) {
    PopularitySamplerOptions o;
    o.num_negatives = config.get_int_in("num_negatives", o.num_negatives, 0, 10'000);
    o.alpha = config.get_double("alpha", o.alpha);
    if (!(o.alpha >= 0.0 && o.alpha <= 10.0)) config.fail("alpha", "must be in [0, 10]");
    return o;
  }
};

/// Walker's alias table of a distribution over n items: draw j uniformly, keep it with
/// probability accept[j], else take alias[j].
struct AliasTable {
  torch::Tensor accept;  ///< float64 [n]
  torch::Tensor alias;   ///< int64 [n]

  /// Vose's construction for `p` (float64 [n], summing to 1).
  static AliasTable of(const torch::Tensor& p) {
    const std::int64_t n = p.size(0);
    std::vector<double> scaled(static_cast<std::size_t>(n));
    const auto pa = p.accessor<double, 1>();
    std::vector<std::int64_t> small, large;
    for (std::int64_t i = 0; i < n; ++i) {
      scaled[i] = pa[i] * static_cast<double>(n);
      (scaled[i] < 1.0 ? small : large).push_back(i);
    }
    AliasTable t{torch::ones({n}, torch::kFloat64), torch::arange(n, torch::kInt64)};
    auto accept = t.accept.accessor<double, 1>();
    auto alias = t.alias.accessor<std::int64_t, 1>();
    while (!small.empty() && !large.empty()) {
      const std::int64_t s = small.back(), l = large.back();
      small.pop_back();
      accept[s] = scaled[s];
      alias[s] = l;
      scaled[l] -= 1.0 - scaled[s];
      if (scaled[l] < 1.0) {
        large.pop_back();
        small.push_back(l);
      }
    }
    // What is left is 1 up to rounding: always accepted.
    return t;
  }

  /// int64 [m] draws.
  torch::Tensor draw(std::int64_t m, at::Generator& generator) const {
    const torch::Tensor j = torch::randint(accept.size(0), {m}, generator, torch::kInt64);
    const torch::Tensor coin = torch::rand({m}, generator, torch::kFloat64);
    return torch::where(coin.lt(accept.index_select(0, j)), j, alias.index_select(0, j));
  }
};

class PopularitySampler final : public Sampler {
 public:
  explicit PopularitySampler(const PluginArgs& args) : options_(PopularitySamplerOptions::from_config(args.config)) {}

  void fit_on_training_split(const torch::Tensor&, const torch::Tensor& item_id, std::int64_t,
                             std::int64_t num_items) override {
    const torch::Tensor counts = torch::bincount(item_id, {}, num_items).to(torch::kFloat64);
    torch::Tensor weight = counts.pow(options_.alpha);
    if (options_.alpha > 0.0) weight = weight.where(counts.gt(0), torch::zeros_like(weight));  // 0^alpha = 0
    const double total = weight.sum().item<double>();
    if (!(total > 0.0)) throw Error("popularity sampler: the training split has no interaction");
    p_ = weight / total;
    log_p_ = p_.log().to(torch::kFloat32);
    table_ = AliasTable::of(p_);
  }

  Examples sample(const torch::Tensor& user_id, const torch::Tensor& item_id, const PositiveSet& positives,
                  at::Generator& generator) override {
    if (!p_.defined()) throw Error("popularity sampler: sample() before fit_on_training_split()");
    if (p_.size(0) != positives.num_items()) {
      throw Error("popularity sampler: fitted on " + std::to_string(p_.size(0)) + " items, sampling over " +
                  std::to_string(positives.num_items()));
    }
    const std::int64_t k = options_.num_negatives, p = user_id.size(0);
    const torch::Tensor users = user_id.repeat_interleave(k);
    torch::Tensor negatives = table_.draw(p * k, generator);
    reject_positives(users, negatives, positives, [&](std::int64_t n) { return table_.draw(n, generator); });
    Examples examples = grouped_examples(user_id, item_id, negatives.view({p, k}));
    examples.log_q = log_p_.index_select(0, examples.item_id);
    return examples;
  }

 private:
  PopularitySamplerOptions options_;
  torch::Tensor p_;      // float64 [num_items]: count^alpha, normalised
  torch::Tensor log_p_;  // float32 [num_items]
  AliasTable table_;
};

}  // namespace recsys::popularity

RECSYS_EXPORT_PLUGIN(recsys::popularity::PopularitySampler,
                     "Negatives drawn in proportion to count^alpha over the training interactions", "");
