// HNSW over item vectors (item_index.hpp), on hnswlib's inner-product space.
#include <hnswlib/hnswlib.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "recsys/core/item_index.hpp"

namespace recsys::core {

namespace {}  // namespace

torch::Tensor checked_vectors(const torch::Tensor& item_vectors, const char* who) {
  if (item_vectors.dim() != 2 || item_vectors.size(0) < 1) {
    throw std::invalid_argument(std::string(who) + ": item vectors must be [I, D] with I >= 1");
  }
  return item_vectors.to(torch::kFloat32).contiguous();
}

namespace {

class HnswIndex final : public ItemIndex {
 public:
  /// `vectors`: checked_vectors' answer.
  HnswIndex(const torch::Tensor& vectors, const HnswOptions& options)
      : options_(options),
        items_(vectors.size(0)),
        dim_(vectors.size(1)),
        space_(static_cast<std::size_t>(dim_)),
        graph_(&space_, static_cast<std::size_t>(items_), options.m, options.ef_construction, options.seed) {
    const float* row = vectors.data_ptr<float>();
    for (std::int64_t i = 0; i < items_; ++i) graph_.addPoint(row + i * dim_, static_cast<hnswlib::labeltype>(i));
    graph_.setEf(options_.ef_search);  // searchKnn explores max(ef, k) candidates
  }

  std::pair<torch::Tensor, torch::Tensor> search(const torch::Tensor& query, std::int64_t count) const override {
    if (query.numel() != dim_) {
      throw std::invalid_argument("hnsw index: a query of " + std::to_string(query.numel()) +
                                  " values for vectors of " + std::to_string(dim_));
    }
    const torch::Tensor q = query.to(torch::kFloat32).contiguous();
    auto found = graph_.searchKnn(q.data_ptr<float>(), static_cast<std::size_t>(std::min(count, items_)));
    std::vector<std::pair<float, hnswlib::labeltype>> best;  // (1 - <q, v>, item), worst first
    for (; !found.empty(); found.pop()) best.push_back(found.top());
    std::reverse(best.begin(), best.end());
    const auto n = static_cast<std::int64_t>(best.size());
    torch::Tensor items = torch::empty({n}, torch::kInt64), scores = torch::empty({n}, torch::kFloat64);
    for (std::int64_t r = 0; r < n; ++r) {
      items[r] = static_cast<std::int64_t>(best[static_cast<std::size_t>(r)].second);
      scores[r] = 1.0 - static_cast<double>(best[static_cast<std::size_t>(r)].first);
    }
    return {items, scores};
  }

  std::string describe() const override {
    return "hnsw (M " + std::to_string(options_.m) + ", ef_construction " + std::to_string(options_.ef_construction) +
           ", ef " + std::to_string(options_.ef_search) + ")";
  }

 private:
  HnswOptions options_;
  std::int64_t items_, dim_;
  hnswlib::InnerProductSpace space_;
  hnswlib::HierarchicalNSW<float> graph_;
};

}  // namespace

std::unique_ptr<ItemIndex> make_hnsw_index(const torch::Tensor& item_vectors, const HnswOptions& options) {
  return std::make_unique<HnswIndex>(checked_vectors(item_vectors, "hnsw index"), options);
}

std::unique_ptr<ItemIndex> build_item_index(const IndexOptions& options, const torch::Tensor& item_vectors) {
  if (options.kind == "exact") return nullptr;
  if (options.kind == "hnsw") return make_hnsw_index(item_vectors, options.hnsw);
  if (options.kind == "faiss") return make_faiss_ivf_index(item_vectors, options.faiss);
  throw std::invalid_argument("index '" + options.kind + "': expected exact, hnsw or faiss");
}

}  // namespace recsys::core
