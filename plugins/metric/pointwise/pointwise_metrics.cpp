// The point-wise metric plugins: `roc_auc` and `pr_auc` (average precision). Both buffer
// the split's scores and labels and compute the exact value once, over the whole split.
#include "pointwise_metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include "recsys/plugin.hpp"

namespace recsys::metrics {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Indices of `scores` sorted by decreasing score (stable).
std::vector<std::size_t> descending_order(const std::vector<double>& scores) {
  std::vector<std::size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });
  return order;
}

}  // namespace

double roc_auc(const std::vector<double>& scores, const std::vector<float>& labels) {
  const auto order = descending_order(scores);
  std::int64_t positives = 0, negatives = 0;
  // Walk groups of equal scores from the top: each positive beats every negative seen in
  // lower groups; within a group each positive-negative pair counts one half.
  double wins = 0.0;  // counts of (positive, negative) pairs ordered correctly, ties = 1/2
  std::int64_t negatives_below_after = 0;
  for (std::size_t i = 0; i < order.size(); ++i) negatives += labels[order[i]] > 0.5f ? 0 : 1;
  positives = static_cast<std::int64_t>(order.size()) - negatives;
  if (positives == 0 || negatives == 0) return kNaN;
  std::int64_t negatives_seen = 0;
  for (std::size_t begin = 0; begin < order.size();) {
    std::size_t end = begin;
    std::int64_t group_pos = 0, group_neg = 0;
    while (end < order.size() && scores[order[end]] == scores[order[begin]]) {
      (labels[order[end]] > 0.5f ? group_pos : group_neg) += 1;
      ++end;
    }
    negatives_seen += group_neg;
    negatives_below_after = negatives - negatives_seen;
    wins += static_cast<double>(group_pos) * static_cast<double>(negatives_below_after) +
            0.5 * static_cast<double>(group_pos) * static_cast<double>(group_neg);
    begin = end;
  }
  return wins / (static_cast<double>(positives) * static_cast<double>(negatives));
}

double average_precision(const std::vector<double>& scores, const std::vector<float>& labels) {
  const auto order = descending_order(scores);
  std::int64_t total_positives = 0;
  for (float l : labels) total_positives += l > 0.5f ? 1 : 0;
  if (total_positives == 0) return kNaN;
  double ap = 0.0, previous_recall = 0.0;
  std::int64_t true_positives = 0;
  for (std::size_t i = 0; i < order.size(); ++i) {
    true_positives += labels[order[i]] > 0.5f ? 1 : 0;
    // A threshold ends where the next score differs (ties form one threshold).
    if (i + 1 < order.size() && scores[order[i + 1]] == scores[order[i]]) continue;
    const double precision = static_cast<double>(true_positives) / static_cast<double>(i + 1);
    const double recall = static_cast<double>(true_positives) / static_cast<double>(total_positives);
    ap += (recall - previous_recall) * precision;
    previous_recall = recall;
  }
  return ap;
}

namespace {

/// Buffers a split's scores and labels; subclasses compute over the whole of it.
class BufferedMetric : public Metric {
 public:
  void update(const torch::Tensor& scores, const torch::Tensor& labels,
              const torch::Tensor& /*user_id*/) override {
    TORCH_CHECK(scores.numel() == labels.numel(), "metric: scores and labels differ in length");
    const torch::Tensor s = scores.detach().to(torch::kFloat64).contiguous().view(-1);
    const torch::Tensor l = labels.detach().to(torch::kFloat32).contiguous().view(-1);
    scores_.insert(scores_.end(), s.data_ptr<double>(), s.data_ptr<double>() + s.numel());
    labels_.insert(labels_.end(), l.data_ptr<float>(), l.data_ptr<float>() + l.numel());
  }
  void reset() override {
    scores_.clear();
    labels_.clear();
  }

 protected:
  double checked(double value, const char* name) const {
    if (std::isnan(value)) {
      spdlog::warn("{} is undefined on {} examples with one class only: reported as NaN", name,
                   scores_.size());
    }
    return value;
  }
  std::vector<double> scores_;
  std::vector<float> labels_;
};

class RocAuc final : public BufferedMetric {
 public:
  explicit RocAuc(const PluginArgs&) {}
  double compute() override { return checked(roc_auc(scores_, labels_), "roc_auc"); }
};

class PrAuc final : public BufferedMetric {
 public:
  explicit PrAuc(const PluginArgs&) {}
  double compute() override { return checked(average_precision(scores_, labels_), "pr_auc"); }
};

}  // namespace

}  // namespace recsys::metrics

RECSYS_PLUGIN_LIBRARY(
    RECSYS_PLUGIN(metric, "roc_auc", recsys::metrics::RocAuc, "1.0.0",
                  "Area under the ROC curve over the whole split (ties count 1/2)", "auc"),
    RECSYS_PLUGIN(metric, "pr_auc", recsys::metrics::PrAuc, "1.0.0",
                  "Average precision (scikit-learn's definition) over the whole split",
                  "average_precision"));
