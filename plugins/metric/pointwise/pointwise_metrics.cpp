// The point-wise metric plugins: `roc_auc`, `pr_auc` (average precision), `gauc`, `log_loss`,
// `rmse` and `mae`. Each buffers the split's scores and labels and computes the exact value
// once, over the whole split.
#include "pointwise_metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include "recsys/metric_buffer.hpp"
#include "recsys/plugin.hpp"

namespace recsys::metrics {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Indices of `scores` sorted by decreasing score (stable).
std::vector<std::size_t> descending_order(const std::vector<double>& scores) {
  std::vector<std::size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });
  return order;
}

bool any_non_finite(const std::vector<double>& scores) {
  return std::any_of(scores.begin(), scores.end(), [](double s) { return !std::isfinite(s); });
}

}  // namespace

double roc_auc(const std::vector<double>& scores, const std::vector<float>& labels) {
  if (any_non_finite(scores)) return kNaN;  // no order, so no area: the sort would be undefined
  const auto order = descending_order(scores);
  std::int64_t negatives = 0;
  for (float l : labels) negatives += l > 0.5f ? 0 : 1;
  const std::int64_t positives = static_cast<std::int64_t>(labels.size()) - negatives;
  if (positives == 0 || negatives == 0) return kNaN;
  // Walk groups of equal scores from the top: each positive beats every negative in the lower
  // groups; within a group each positive-negative pair counts one half.
  double wins = 0.0;
  std::int64_t negatives_above = 0;  // in higher groups, including the current one at the end
  for (std::size_t begin = 0; begin < order.size();) {
    std::size_t end = begin;
    std::int64_t group_pos = 0, group_neg = 0;
    for (; end < order.size() && scores[order[end]] == scores[order[begin]]; ++end) {
      (labels[order[end]] > 0.5f ? group_pos : group_neg) += 1;
    }
    negatives_above += group_neg;
    const std::int64_t negatives_below = negatives - negatives_above;
    wins +=
        static_cast<double>(group_pos) * (static_cast<double>(negatives_below) + 0.5 * static_cast<double>(group_neg));
    begin = end;
  }
  return wins / (static_cast<double>(positives) * static_cast<double>(negatives));
}

double average_precision(const std::vector<double>& scores, const std::vector<float>& labels) {
  if (any_non_finite(scores)) return kNaN;
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

/// Buffers a split's scores and labels; subclasses compute over the whole of it. A split with a
/// NaN or infinite score gets NaN and a warning naming how many rows (never an undefined sort).
class BufferedMetric : public Metric {
 public:
  explicit BufferedMetric(const char* name) : name_(name) {}
  double compute() final { return rows_.all_scores_finite(name_) ? compute_finite() : kNaN; }
  void update(const torch::Tensor& scores, const torch::Tensor& labels, const torch::Tensor& group_id) override {
    rows_.append(scores, labels, group_id);
  }
  void reset() override { rows_.clear(); }

 protected:
  /// The metric over the buffered rows, every score finite.
  virtual double compute_finite() = 0;
  double checked(double value, const char* name) const {
    if (std::isnan(value)) {
      spdlog::warn("{} is undefined on {} examples with one class only: reported as NaN", name, rows_.scores.size());
    }
    return value;
  }
  double mean_of(double (*term)(double score, float label)) const {
    if (rows_.scores.empty()) return kNaN;
    double sum = 0.0;
    for (std::size_t i = 0; i < rows_.scores.size(); ++i) sum += term(rows_.scores[i], rows_.labels[i]);
    return sum / static_cast<double>(rows_.scores.size());
  }
  MetricBuffer rows_;

 private:
  const char* name_;
};

class RocAuc final : public BufferedMetric {
 public:
  explicit RocAuc(const PluginArgs&) : BufferedMetric("roc_auc") {}
  double compute_finite() override { return checked(roc_auc(rows_.scores, rows_.labels), "roc_auc"); }
};

class PrAuc final : public BufferedMetric {
 public:
  explicit PrAuc(const PluginArgs&) : BufferedMetric("pr_auc") {}
  double compute_finite() override { return checked(average_precision(rows_.scores, rows_.labels), "pr_auc"); }
};

/// Group AUC (Zhu et al. 2017, "Optimized Cost per Click in Taobao Display Advertising"):
/// the ROC-AUC of each group (user), averaged with weights = the group's number of examples.
/// Groups with one class only are skipped and counted in the log.
class GroupAuc final : public BufferedMetric {
 public:
  explicit GroupAuc(const PluginArgs&) : BufferedMetric("gauc") {}
  double compute_finite() override {
    std::vector<std::size_t> order(rows_.groups.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return rows_.groups[a] < rows_.groups[b]; });
    double weighted = 0.0, weights = 0.0;
    std::int64_t skipped = 0;
    std::vector<double> s;
    std::vector<float> l;
    for (std::size_t i = 0; i < order.size();) {
      const std::int64_t group = rows_.groups[order[i]];
      s.clear();
      l.clear();
      for (; i < order.size() && rows_.groups[order[i]] == group; ++i) {
        s.push_back(rows_.scores[order[i]]);
        l.push_back(rows_.labels[order[i]]);
      }
      const double auc = roc_auc(s, l);
      if (std::isnan(auc)) {
        ++skipped;
        continue;
      }
      weighted += auc * static_cast<double>(s.size());
      weights += static_cast<double>(s.size());
    }
    if (skipped > 0) spdlog::info("gauc: {} groups with one class only skipped", skipped);
    return checked(weights > 0 ? weighted / weights : kNaN, "gauc");
  }
};

/// Binary cross-entropy of sigmoid(logit) against the label, computed stably as
/// softplus(s) - y * s.
class LogLoss final : public BufferedMetric {
 public:
  explicit LogLoss(const PluginArgs&) : BufferedMetric("log_loss") {}
  double compute_finite() override {
    return mean_of([](double s, float y) { return std::max(s, 0.0) + std::log1p(std::exp(-std::abs(s))) - y * s; });
  }
  bool higher_is_better() const override { return false; }
};

/// Root mean squared error between the raw score and the label (explicit rating prediction).
class RootMeanSquaredError final : public BufferedMetric {
 public:
  explicit RootMeanSquaredError(const PluginArgs&) : BufferedMetric("rmse") {}
  double compute_finite() override {
    return std::sqrt(mean_of([](double s, float y) { return (s - y) * (s - y); }));
  }
  bool higher_is_better() const override { return false; }
};

/// Mean absolute error between the raw score and the label.
class MeanAbsoluteError final : public BufferedMetric {
 public:
  explicit MeanAbsoluteError(const PluginArgs&) : BufferedMetric("mae") {}
  double compute_finite() override {
    return mean_of([](double s, float y) { return std::abs(s - y); });
  }
  bool higher_is_better() const override { return false; }
};

}  // namespace

}  // namespace recsys::metrics

RECSYS_PLUGIN_LIBRARY(RECSYS_PLUGIN(metric, "roc_auc", recsys::metrics::RocAuc, RECSYS_PLUGIN_VERSION,
                                    "Area under the ROC curve over the whole split (ties count 1/2)", "auc"),
                      RECSYS_PLUGIN(metric, "pr_auc", recsys::metrics::PrAuc, RECSYS_PLUGIN_VERSION,
                                    "Average precision (scikit-learn's definition) over the whole split",
                                    "average_precision"),
                      RECSYS_PLUGIN(metric, "gauc", recsys::metrics::GroupAuc, RECSYS_PLUGIN_VERSION,
                                    "Per-user ROC-AUC weighted by the user's number of examples", "group_auc"),
                      RECSYS_PLUGIN(metric, "log_loss", recsys::metrics::LogLoss, RECSYS_PLUGIN_VERSION,
                                    "Binary cross-entropy of sigmoid(logit)", "logloss"),
                      RECSYS_PLUGIN(metric, "rmse", recsys::metrics::RootMeanSquaredError, RECSYS_PLUGIN_VERSION,
                                    "Root mean squared error of the raw score", ""),
                      RECSYS_PLUGIN(metric, "mae", recsys::metrics::MeanAbsoluteError, RECSYS_PLUGIN_VERSION,
                                    "Mean absolute error of the raw score", ""));
