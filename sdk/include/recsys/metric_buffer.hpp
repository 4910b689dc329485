#pragma once
/// @file
/// The rows a metric has seen since its last reset, for metrics computed once over a whole
/// split (ROC-AUC, average precision, GAUC, the ranking metrics).

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include <spdlog/spdlog.h>

#include <torch/types.h>

namespace recsys {

struct MetricBuffer {
  std::vector<double> scores;        ///< as float64, so ties are exactly the model's ties
  std::vector<float> labels;         ///< 0 or 1
  std::vector<std::int64_t> groups;  ///< the rows' group_id

  /// Appends a batch: `scores` float [B], `labels` float [B], `group_id` int64 [B].
  void append(const torch::Tensor& scores, const torch::Tensor& labels, const torch::Tensor& group_id) {
    TORCH_CHECK(scores.numel() == labels.numel() && scores.numel() == group_id.numel(),
                "metric: scores, labels and group_id differ in length");
    const torch::Tensor s = scores.detach().to(torch::kFloat64).contiguous().view(-1);
    const torch::Tensor l = labels.detach().to(torch::kFloat32).contiguous().view(-1);
    const torch::Tensor g = group_id.detach().to(torch::kInt64).contiguous().view(-1);
    this->scores.insert(this->scores.end(), s.data_ptr<double>(), s.data_ptr<double>() + s.numel());
    this->labels.insert(this->labels.end(), l.data_ptr<float>(), l.data_ptr<float>() + l.numel());
    groups.insert(groups.end(), g.data_ptr<std::int64_t>(), g.data_ptr<std::int64_t>() + g.numel());
  }

  /// How many buffered scores are NaN or infinite (a diverged model, a NaN weight, an input
  /// feature past what float32 holds). No order over such scores is defined.
  std::size_t non_finite_scores() const {
    std::size_t count = 0;
    for (double s : scores) count += std::isfinite(s) ? 0 : 1;
    return count;
  }

  /// True when every score is finite; otherwise logs a warning naming `metric` and how many of
  /// the rows are not, so the caller reports NaN instead of ranking an undefined order.
  bool all_scores_finite(const char* metric) const {
    const std::size_t bad = non_finite_scores();
    if (bad == 0) return true;
    spdlog::warn(
        "{}: {} of {} scores are NaN or infinite (a diverged model, a NaN weight or an input "
        "feature out of range?): reported as NaN",
        metric, bad, scores.size());
    return false;
  }

  void clear() {
    scores.clear();
    labels.clear();
    groups.clear();
  }
};

}  // namespace recsys
