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
//    `negatives = "in_batch"`: the batch's other positives are the negatives (Yi et al. 2019;
//    the host scores every user of the batch against every positive's item), minus the accidental
//    hits (the positive's own item elsewhere in the batch, the user's other training
//    positives); log q is each item's share of the training interactions, the probability with
//    which it appears in a batch. `negatives = "catalogue"`: the full softmax over every item
//    (no sampling, so no correction; the user's other positives stay in the denominator, as in
//    the usual cross-entropy over the catalogue).
#include <limits>
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

/// `[loss]` table of the softmax losses.
struct SoftmaxOptions {
  LossScores negatives = LossScores::rows;  ///< `negatives`: "sampled" (rows), "in_batch", "catalogue"
  double temperature = 1.0;                 ///< logits are divided by it, > 0
  bool logq_correction = true;              ///< subtract log q when the sampler (or the batch) gives it
  bool correct_positive = true;             ///< the positive's logit loses its log q too (as TensorFlow)

  static SoftmaxOptions from_config(const Config& config) {
    SoftmaxOptions o;
    const std::string negatives = config.get_string("negatives", "sampled");
    if (negatives == "in_batch") {
      o.negatives = LossScores::in_batch;
    } else if (negatives == "catalogue") {
      o.negatives = LossScores::catalogue;
    } else if (negatives != "sampled") {
      config.fail("negatives",
                  "expected \"sampled\" (the sampler's), \"in_batch\" (the batch's other positives) "
                  "or \"catalogue\" (every item: the full softmax), not '" +
                      negatives + "'");
    }
    o.temperature = config.get_double("temperature", o.temperature);
    if (!(o.temperature > 0.0)) config.fail("temperature", "must be positive");
    o.logq_correction = config.get_bool("logq_correction", o.logq_correction);
    o.correct_positive = config.get_bool("correct_positive", o.correct_positive);
    return o;
  }
};

class SoftmaxLoss final : public Loss {
 public:
  explicit SoftmaxLoss(const PluginArgs& args) : options_(SoftmaxOptions::from_config(args.config)) {}
  bool grouped() const override { return options_.negatives == LossScores::rows; }
  LossScores scores() const override { return options_.negatives; }
  torch::Tensor forward(const torch::Tensor& logits, const Batch& batch) override {
    if (options_.negatives == LossScores::in_batch) return in_batch(logits, batch);
    if (options_.negatives == LossScores::catalogue) return catalogue(logits, batch);
    return sampled(logits, batch);
  }

 private:
  /// The positive's log q (column 0 of [groups, G], or the diagonal of [P, P]) left out unless
  /// correct_positive.
  torch::Tensor sampled(const torch::Tensor& logits, const Batch& batch) const {
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

  /// logits [P, P], row i's positive in column i.
  torch::Tensor in_batch(const torch::Tensor& logits, const Batch& batch) const {
    const std::int64_t p = batch.size();
    if (logits.dim() != 2 || logits.size(0) != p || logits.size(1) != p) {
      throw std::invalid_argument("softmax (in_batch): expected logits [" + std::to_string(p) + ", " +
                                  std::to_string(p) + "], the batch's users against its positives' items");
    }
    torch::Tensor s = logits;
    if (options_.logq_correction && batch.log_q.defined()) {
      torch::Tensor log_q = batch.log_q.unsqueeze(0).expand({p, p});
      if (!options_.correct_positive) log_q = log_q * (1 - torch::eye(p, log_q.options()));
      s = s - log_q;
    }
    if (batch.accidental_hits.defined())
      s = s.masked_fill(batch.accidental_hits, -std::numeric_limits<float>::infinity());
    s = s / options_.temperature;
    return -torch::log_softmax(s, 1).diagonal().mean();
  }

  /// logits [P, I], row i's positive item batch.item_id[i].
  torch::Tensor catalogue(const torch::Tensor& logits, const Batch& batch) const {
    if (logits.dim() != 2 || logits.size(0) != batch.size()) {
      throw std::invalid_argument("softmax (catalogue): expected logits [" + std::to_string(batch.size()) +
                                  ", items], the batch's users against every item");
    }
    return torch::nn::functional::cross_entropy(logits / options_.temperature, batch.item_id);
  }

  SoftmaxOptions options_;
};

}  // namespace recsys::ranking_losses

RECSYS_PLUGIN_LIBRARY(
    RECSYS_PLUGIN(loss, "bpr", recsys::ranking_losses::BprLoss, RECSYS_PLUGIN_VERSION,
                  "Bayesian personalised ranking over each positive's negatives", "BPR"),
    RECSYS_PLUGIN(loss, "softmax", recsys::ranking_losses::SoftmaxLoss, RECSYS_PLUGIN_VERSION,
                  "Softmax over each positive and its sampled, in-batch or catalogue negatives, logQ-corrected",
                  "sampled_softmax"));
