// An inverted file of flat vectors over item vectors (item_index.hpp), through Faiss.
#include <faiss/IndexFlat.h>
#include <faiss/IndexIVFFlat.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "recsys/core/item_index.hpp"

namespace recsys::core {

namespace {

/// nlist: the option, else about sqrt(items); never more cells than items.
std::size_t cell_count(const FaissIvfOptions& options, std::int64_t items) {
  const auto automatic = static_cast<std::size_t>(std::lround(std::sqrt(static_cast<double>(items))));
  return std::clamp<std::size_t>(options.lists > 0 ? options.lists : automatic, 1, static_cast<std::size_t>(items));
}

class FaissIvfIndex final : public ItemIndex {
 public:
  /// `vectors`: checked_vectors' answer.
  FaissIvfIndex(const torch::Tensor& vectors, const FaissIvfOptions& options)
      : dim_(vectors.size(1)),
        quantizer_(dim_),
        index_(&quantizer_, static_cast<std::size_t>(dim_), cell_count(options, vectors.size(0)),
               faiss::METRIC_INNER_PRODUCT) {
    index_.cp.seed = options.seed;
    index_.cp.min_points_per_centroid = 1;  // small catalogues: no "provide at least 39 points per centroid" warning
    index_.train(vectors.size(0), vectors.data_ptr<float>());
    index_.add(vectors.size(0), vectors.data_ptr<float>());
    index_.nprobe = std::min(std::max<std::size_t>(options.probes, 1), index_.nlist);
  }

  std::pair<torch::Tensor, torch::Tensor> search(const torch::Tensor& query, std::int64_t count) const override {
    if (query.numel() != dim_) {
      throw std::invalid_argument("faiss index: a query of " + std::to_string(query.numel()) +
                                  " values for vectors of " + std::to_string(dim_));
    }
    const torch::Tensor q = query.to(torch::kFloat32).contiguous();
    const std::int64_t k = std::min<std::int64_t>(count, index_.ntotal);
    std::vector<float> scores(static_cast<std::size_t>(k));
    std::vector<faiss::Index::idx_t> labels(static_cast<std::size_t>(k));
    index_.search(1, q.data_ptr<float>(), k, scores.data(), labels.data());  // best first; -1: unfilled
    const auto filled = std::find(labels.begin(), labels.end(), faiss::Index::idx_t{-1}) - labels.begin();
    torch::Tensor items = torch::from_blob(labels.data(), {filled}, torch::kInt64).clone();
    torch::Tensor inner = torch::from_blob(scores.data(), {filled}, torch::kFloat32).to(torch::kFloat64);
    return {items, inner};
  }

  std::string describe() const override {
    return "faiss IVF-Flat (nlist " + std::to_string(index_.nlist) + ", nprobe " + std::to_string(index_.nprobe) + ")";
  }

 private:
  std::int64_t dim_;
  faiss::IndexFlatIP quantizer_;
  faiss::IndexIVFFlat index_;
};

}  // namespace

std::unique_ptr<ItemIndex> make_faiss_ivf_index(const torch::Tensor& item_vectors, const FaissIvfOptions& options) {
  return std::make_unique<FaissIvfIndex>(checked_vectors(item_vectors, "faiss index"), options);
}

}  // namespace recsys::core
