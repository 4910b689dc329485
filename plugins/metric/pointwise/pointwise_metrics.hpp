#pragma once
/// @file
/// Exact point-wise classification metrics over a whole split.

#include <cstdint>
#include <vector>

namespace recsys::metrics {

/// Area under the ROC curve: the probability that a random positive scores above a random
/// negative, tied pairs counting one half (Mann-Whitney U with average ranks; Hanley &
/// McNeil 1982). `labels` are 0/1. NaN when either class is absent. O(n log n).
double roc_auc(const std::vector<double>& scores, const std::vector<float>& labels);

/// Average precision as scikit-learn defines it: sum over distinct score thresholds, from
/// the highest, of (R_n - R_{n-1}) * P_n, where P_n and R_n are the precision and recall of
/// predicting positive every example scoring at least the n-th threshold (no interpolation).
/// NaN when there is no positive. O(n log n).
double average_precision(const std::vector<double>& scores, const std::vector<float>& labels);

}  // namespace recsys::metrics
