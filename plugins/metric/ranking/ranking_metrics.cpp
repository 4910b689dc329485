// The ranking metric plugins: hr@k, ndcg@k, recall@k, precision@k, mrr@k and map@k.
//
// Each buffers the split's (score, label, list) rows and computes once over the whole split:
// every list is ranked by decreasing score, and a tie puts the negatives first (the
// pessimistic policy: a tied negative ranks above a positive, so a constant model scores 0,
// never 1). Each list's value is averaged over the lists with at least one relevant row; lists
// without one are skipped and counted in the log.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include "recsys/metric_buffer.hpp"
#include "recsys/plugin.hpp"

namespace recsys::ranking {

namespace {

/// `[k]` of a ranking metric, which the host sets from the name ("ndcg@10" -> k = 10).
std::int64_t read_k(const Config& config) {
  return config.get_int_in("k", 1, 1, 1'000'000);
}

/// One ranked list: `relevant[r]` tells whether the row at rank r + 1 is relevant (only the
/// first k ranks are kept); `num_relevant` counts every relevant row of the list.
struct RankedList {
  std::vector<bool> relevant;
  std::int64_t num_relevant = 0;
};

/// The row indices grouped by list id, lists in increasing id, rows in their buffer order
/// (a counting sort when the ids are dense, as the host's are; a stable sort otherwise).
std::vector<std::size_t> rows_by_list(const std::vector<std::int64_t>& groups) {
  std::vector<std::size_t> order(groups.size());
  const auto [low, high] = std::minmax_element(groups.begin(), groups.end());
  if (groups.empty() || *low < 0 || *high > static_cast<std::int64_t>(4 * groups.size())) {
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return groups[a] < groups[b]; });
    return order;
  }
  std::vector<std::size_t> start(static_cast<std::size_t>(*high) + 2, 0);
  for (const std::int64_t g : groups) ++start[static_cast<std::size_t>(g) + 1];
  std::partial_sum(start.begin(), start.end(), start.begin());
  for (std::size_t i = 0; i < groups.size(); ++i) order[start[static_cast<std::size_t>(groups[i])]++] = i;
  return order;
}

class RankingMetric : public Metric {
 public:
  RankingMetric(const PluginArgs& args, const char* name) : k_(read_k(args.config)), name_(name) {}

  void update(const torch::Tensor& scores, const torch::Tensor& labels, const torch::Tensor& group_id) override {
    rows_.append(scores, labels, group_id);
  }

  void reset() override { rows_.clear(); }

  double compute() override {
    if (!rows_.all_scores_finite(name_)) return std::numeric_limits<double>::quiet_NaN();
    const auto& scores_ = rows_.scores;
    const auto& labels_ = rows_.labels;
    const auto& groups_ = rows_.groups;
    const std::vector<std::size_t> order = rows_by_list(groups_);
    // Within a list: score descending, then negatives before positives (pessimistic ties).
    const auto before = [&](std::size_t a, std::size_t b) {
      if (scores_[a] != scores_[b]) return scores_[a] > scores_[b];
      return labels_[a] < labels_[b];
    };
    double sum = 0.0;
    std::int64_t lists = 0, skipped = 0;
    RankedList list;
    std::vector<std::size_t> top;
    for (std::size_t begin = 0, end = 0; begin < order.size(); begin = end) {
      for (end = begin; end < order.size() && groups_[order[end]] == groups_[order[begin]];) ++end;
      list.num_relevant = 0;
      for (std::size_t i = begin; i < end; ++i) list.num_relevant += labels_[order[i]] > 0.5f ? 1 : 0;
      if (list.num_relevant == 0) {
        ++skipped;
        continue;
      }
      // Only the first k ranks matter: a partial sort, O(n log k) per list instead of O(n log n).
      top.assign(order.begin() + static_cast<std::ptrdiff_t>(begin), order.begin() + static_cast<std::ptrdiff_t>(end));
      const auto kept = top.begin() + std::min<std::ptrdiff_t>(k_, static_cast<std::ptrdiff_t>(top.size()));
      std::partial_sort(top.begin(), kept, top.end(), before);
      list.relevant.clear();
      for (auto it = top.begin(); it != kept; ++it) list.relevant.push_back(labels_[*it] > 0.5f);
      sum += value(list);
      ++lists;
    }
    if (skipped > 0) spdlog::info("{}@{}: {} lists without a relevant item skipped", name_, k_, skipped);
    if (lists == 0) {
      spdlog::warn("{}@{} is undefined: no list has a relevant item; reported as NaN", name_, k_);
      return std::numeric_limits<double>::quiet_NaN();
    }
    return sum / static_cast<double>(lists);
  }

 protected:
  /// The metric of one list with at least one relevant row.
  virtual double value(const RankedList& list) const = 0;
  std::int64_t k() const { return k_; }
  static std::int64_t hits(const RankedList& list) {
    return std::count(list.relevant.begin(), list.relevant.end(), true);
  }

 private:
  std::int64_t k_;
  const char* name_;
  MetricBuffer rows_;
};

/// Hit rate: 1 when a relevant row is in the top k.
class HitRate final : public RankingMetric {
 public:
  explicit HitRate(const PluginArgs& args) : RankingMetric(args, "hr") {}
  double value(const RankedList& list) const override { return hits(list) > 0 ? 1.0 : 0.0; }
};

/// NDCG with binary gains and a log2(rank + 1) discount; the ideal DCG puts
/// min(k, #relevant) relevant rows first (Jarvelin & Kekalainen 2002).
class Ndcg final : public RankingMetric {
 public:
  explicit Ndcg(const PluginArgs& args) : RankingMetric(args, "ndcg") {}
  double value(const RankedList& list) const override {
    double dcg = 0.0, ideal = 0.0;
    for (std::size_t r = 0; r < list.relevant.size(); ++r) {
      if (list.relevant[r]) dcg += 1.0 / std::log2(static_cast<double>(r) + 2.0);
    }
    const std::int64_t ideal_hits = std::min(k(), list.num_relevant);
    for (std::int64_t r = 0; r < ideal_hits; ++r) ideal += 1.0 / std::log2(static_cast<double>(r) + 2.0);
    return dcg / ideal;
  }
};

/// Recall: relevant rows in the top k over all relevant rows of the list.
class Recall final : public RankingMetric {
 public:
  explicit Recall(const PluginArgs& args) : RankingMetric(args, "recall") {}
  double value(const RankedList& list) const override {
    return static_cast<double>(hits(list)) / static_cast<double>(list.num_relevant);
  }
};

/// Precision: relevant rows in the top k over k.
class Precision final : public RankingMetric {
 public:
  explicit Precision(const PluginArgs& args) : RankingMetric(args, "precision") {}
  double value(const RankedList& list) const override {
    return static_cast<double>(hits(list)) / static_cast<double>(k());
  }
};

/// Reciprocal rank of the first relevant row, 0 when none is in the top k.
class ReciprocalRank final : public RankingMetric {
 public:
  explicit ReciprocalRank(const PluginArgs& args) : RankingMetric(args, "mrr") {}
  double value(const RankedList& list) const override {
    for (std::size_t r = 0; r < list.relevant.size(); ++r) {
      if (list.relevant[r]) return 1.0 / static_cast<double>(r + 1);
    }
    return 0.0;
  }
};

/// Average precision at k: the mean of precision@r over the ranks r <= k holding a relevant
/// row, divided by min(k, #relevant).
class AveragePrecision final : public RankingMetric {
 public:
  explicit AveragePrecision(const PluginArgs& args) : RankingMetric(args, "map") {}
  double value(const RankedList& list) const override {
    double sum = 0.0;
    std::int64_t seen = 0;
    for (std::size_t r = 0; r < list.relevant.size(); ++r) {
      if (!list.relevant[r]) continue;
      ++seen;
      sum += static_cast<double>(seen) / static_cast<double>(r + 1);
    }
    return sum / static_cast<double>(std::min(k(), list.num_relevant));
  }
};

}  // namespace

}  // namespace recsys::ranking

RECSYS_PLUGIN_LIBRARY(RECSYS_PLUGIN(metric, "hr@k", recsys::ranking::HitRate, RECSYS_PLUGIN_VERSION,
                                    "Hit rate at k (a relevant item in the top k)", "hit_rate@k"),
                      RECSYS_PLUGIN(metric, "ndcg@k", recsys::ranking::Ndcg, RECSYS_PLUGIN_VERSION,
                                    "Normalised discounted cumulative gain at k, binary gains", ""),
                      RECSYS_PLUGIN(metric, "recall@k", recsys::ranking::Recall, RECSYS_PLUGIN_VERSION, "Recall at k",
                                    ""),
                      RECSYS_PLUGIN(metric, "precision@k", recsys::ranking::Precision, RECSYS_PLUGIN_VERSION,
                                    "Precision at k", ""),
                      RECSYS_PLUGIN(metric, "mrr@k", recsys::ranking::ReciprocalRank, RECSYS_PLUGIN_VERSION,
                                    "Mean reciprocal rank, cut at k", ""),
                      RECSYS_PLUGIN(metric, "map@k", recsys::ranking::AveragePrecision, RECSYS_PLUGIN_VERSION,
                                    "Mean average precision at k, normalised by min(k, #relevant)", ""));
