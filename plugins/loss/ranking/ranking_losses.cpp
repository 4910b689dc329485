// Losses that compare each positive with its own negatives (Loss::grouped): the batch holds
// groups of G = 1 + K rows, the positive first, then its K negatives.
//  - `bpr`: Bayesian personalised ranking (Rendle et al. 2009), -log sigmoid(s+ - s-) averaged
//    over the K (positive, negative) pairs of each group, then over the groups.
//  - `softmax`: sampled softmax (Jean et al. 2015): cross-entropy of the positive among the
//    group's G logits divided by a temperature. With the logQ correction (Bengio & Senecal
//    2008; Yi et al. 2019) each logit first loses log q, the log-probability of its item under
//    the sampler's proposal, for the positive too, as TensorFlow's sampled_softmax_loss
//    subtracts log Q from the true and the sampled logits; `correct_positive = false` leaves the
//    positive's logit as it is. A sampler that draws uniformly gives no log q: no correction.
#include <stdexcept>
#include <string>

#include <torch/torch.h>

#include "recsys/plugin.hpp"

namespace recsys::ranking_losses {

namespace {

/// float32 [B / G, G]: the logits of each group, the positive in column 0. Throws
/// std::invalid_argument for rows that are not grouped.
torch::Tensor grouped_logits(const torch::Tensor& logits, const Batch& batch, const char* loss) {
  const std::int64_t g = batch.group_size;
  if (g < 2 || logits.dim() != 1 || logits.size(0) % g != 0) {
    throw std::invalid_argument(std::string(loss) + ": expected groups of a positive and its negatives (group size " +
                                std::to_string(g) + ", " + std::to_string(logits.numel()) +
                                " rows); use a sampler that draws negatives (num_negatives >= 1)");
  }
  return logits.view({-1, g});
}

}  // namespace

class BprLoss final : public Loss {
 public:
  explicit BprLoss(const PluginArgs&) {}
  bool grouped() const override { return true; }
  torch::Tensor forward(const torch::Tensor& logits, const Batch& batch) override {
    const torch::Tensor s = grouped_logits(logits, batch, "bpr");
    const torch::Tensor margin = s.slice(1, 0, 1) - s.slice(1, 1);  // [groups, K]
    return -torch::log_sigmoid(margin).mean();
  }
};

/// `[loss]` table of the sampled softmax.
struct SoftmaxOptions {
  double temperature = 1.0;      ///< logits are divided by it, > 0
  bool logq_correction = true;   ///< subtract log q when the sampler gives it
  bool correct_positive = true;  ///< the positive's logit loses its log q too (as TensorFlow)

  static SoftmaxOptions from_config(const Config& config) {
    SoftmaxOptions o;
    o.temperature = config.get_double("temperature", o.temperature);
    if (!(o.temperature > 0.0)) config.fail("temperature", "must be positive");
    o.logq_correction = config.get_bool("logq_correction", o.logq_correction);
    o.correct_positive = config.get_bool("correct_positive", o.correct_positive);
    return o;
  }
};

class SampledSoftmaxLoss final : public Loss {
 public:
  explicit SampledSoftmaxLoss(const PluginArgs& args) : options_(SoftmaxOptions::from_config(args.config)) {}
  bool grouped() const override { return true; }
  torch::Tensor forward(const torch::Tensor& logits, const Batch& batch) override {
    torch::Tensor s = grouped_logits(logits, batch, "softmax");
    if (options_.logq_correction && batch.log_q.defined()) {
      torch::Tensor log_q = batch.log_q.view({-1, batch.group_size});
      if (!options_.correct_positive)
        log_q = torch::cat({torch::zeros_like(log_q.slice(1, 0, 1)), log_q.slice(1, 1)}, 1);
      s = s - log_q;
    }
    s = s / options_.temperature;
    // The positive is class 0 of every group.
    return -torch::log_softmax(s, 1).select(1, 0).mean();
  }

 private:
  SoftmaxOptions options_;
};

}  // namespace recsys::ranking_losses

RECSYS_PLUGIN_LIBRARY(RECSYS_PLUGIN(loss, "bpr", recsys::ranking_losses::BprLoss, RECSYS_PLUGIN_VERSION,
                                    "Bayesian personalised ranking over each positive's negatives", "BPR"),
                      RECSYS_PLUGIN(loss, "softmax", recsys::ranking_losses::SampledSoftmaxLoss, RECSYS_PLUGIN_VERSION,
                                    "Sampled softmax over each positive and its negatives, logQ-corrected",
                                    "sampled_softmax"));
