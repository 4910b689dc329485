#pragma once
/// @file
/// Approximate maximum-inner-product search over a run's item vectors with a hierarchical
/// navigable small-world graph (HNSW, Malkov and Yashunin 2018), through Debian's hnswlib
/// (0.6, header-only, its inner-product space). `recsys-host serve --index hnsw` ranks users
/// with it instead of one exact matrix product over the catalogue, for catalogues where that
/// product is the cost; ServedRun measures its recall against the exact top-K when it builds it.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

#include <torch/types.h>

namespace recsys::core {

/// Fields mirror hnswlib's arguments.
struct HnswOptions {
  std::size_t m = 16;                 ///< graph degree (hnswlib's M)
  std::size_t ef_construction = 200;  ///< candidate list while building
  std::size_t ef_search = 100;        ///< candidate list while searching (raised to the count asked for)
  std::size_t seed = 100;             ///< hnswlib's level generator seed: the same graph every build
};

class HnswIndex {
 public:
  /// Builds the graph over `item_vectors` (float32 [I, D], I >= 1; row i is item i), on the
  /// calling thread, in item order (deterministic for a seed).
  HnswIndex(const torch::Tensor& item_vectors, HnswOptions options);
  ~HnswIndex();
  HnswIndex(const HnswIndex&) = delete;
  HnswIndex& operator=(const HnswIndex&) = delete;

  /// The about-best min(count, I) items by inner product with `query` (float32 [D]), best
  /// first: item ids int64 [n] and inner products float64 [n]. Safe to call from several
  /// threads at once (hnswlib's search is const, its visited lists pooled).
  std::pair<torch::Tensor, torch::Tensor> search(const torch::Tensor& query, std::int64_t count) const;

  std::int64_t size() const { return items_; }
  const HnswOptions& options() const { return options_; }

 private:
  struct Graph;
  std::unique_ptr<Graph> graph_;
  HnswOptions options_;
  std::int64_t items_ = 0;
  std::int64_t dim_ = 0;
};

}  // namespace recsys::core
