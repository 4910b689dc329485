// HNSW over item vectors (hnsw_index.hpp), on hnswlib's inner-product space.
#include "recsys/core/hnsw_index.hpp"

#include <hnswlib/hnswlib.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include <torch/torch.h>

namespace recsys::core {

struct HnswIndex::Graph {
  hnswlib::InnerProductSpace space;
  hnswlib::HierarchicalNSW<float> hnsw;
  Graph(std::size_t dim, std::size_t items, const HnswOptions& o)
      : space(dim), hnsw(&space, items, o.m, o.ef_construction, o.seed) {}
};

HnswIndex::HnswIndex(const torch::Tensor& item_vectors, HnswOptions options) : options_(options) {
  if (item_vectors.dim() != 2 || item_vectors.size(0) < 1) {
    throw std::invalid_argument("HnswIndex: item vectors must be [I, D] with I >= 1");
  }
  const torch::Tensor vectors = item_vectors.to(torch::kFloat32).contiguous();
  items_ = vectors.size(0);
  dim_ = vectors.size(1);
  graph_ = std::make_unique<Graph>(static_cast<std::size_t>(dim_), static_cast<std::size_t>(items_), options_);
  const float* row = vectors.data_ptr<float>();
  for (std::int64_t i = 0; i < items_; ++i) graph_->hnsw.addPoint(row + i * dim_, static_cast<hnswlib::labeltype>(i));
  graph_->hnsw.setEf(options_.ef_search);  // searchKnn explores max(ef, k) candidates
}

HnswIndex::~HnswIndex() = default;

std::pair<torch::Tensor, torch::Tensor> HnswIndex::search(const torch::Tensor& query, std::int64_t count) const {
  if (query.numel() != dim_) {
    throw std::invalid_argument("HnswIndex::search: a query of " + std::to_string(query.numel()) +
                                " values for vectors of " + std::to_string(dim_));
  }
  const torch::Tensor q = query.to(torch::kFloat32).contiguous();
  const auto n = static_cast<std::size_t>(std::min(count, items_));
  auto found = graph_->hnsw.searchKnn(q.data_ptr<float>(), n);
  std::vector<std::pair<float, hnswlib::labeltype>> best;  // (distance 1 - <q, v>, item), worst on top
  for (; !found.empty(); found.pop()) best.push_back(found.top());
  std::reverse(best.begin(), best.end());  // nearest first
  torch::Tensor items = torch::empty({static_cast<std::int64_t>(best.size())}, torch::kInt64);
  torch::Tensor scores = torch::empty({static_cast<std::int64_t>(best.size())}, torch::kFloat64);
  for (std::size_t r = 0; r < best.size(); ++r) {
    items[static_cast<std::int64_t>(r)] = static_cast<std::int64_t>(best[r].second);
    scores[static_cast<std::int64_t>(r)] = 1.0 - static_cast<double>(best[r].first);
  }
  return {items, scores};
}

}  // namespace recsys::core
