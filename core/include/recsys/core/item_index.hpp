#pragma once
/// @file
/// Approximate maximum-inner-product search over a run's item vectors, for `recsys-host serve
/// --index hnsw|faiss`: ServedRun asks an index for a user's about-best items instead of one
/// exact matrix product over the catalogue, for catalogues where that product is the cost.
/// Two indexes, each from a Debian package, built on the calling thread, deterministic for
/// their seed:
/// - HNSW, a hierarchical navigable small-world graph (Malkov and Yashunin 2018) through
///   hnswlib 0.6 (libhnswlib-dev, header-only), its inner-product space;
/// - an inverted file of flat vectors (faiss::IndexIVFFlat, METRIC_INNER_PRODUCT; Jégou, Douze
///   and Schmid 2011; Johnson, Douze and Jégou 2019) through Faiss 1.7 (libfaiss-dev): k-means
///   splits the items into cells, a query scans the cells whose centroids score highest.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include <torch/types.h>

namespace recsys::core {

class ItemIndex {
 public:
  virtual ~ItemIndex() = default;
  /// The about-best min(count, I) items by inner product with `query` (float32 [D]), best
  /// first: item ids int64 [n] and inner products float64 [n] (n may be below count when the
  /// index reaches fewer items). Throws std::invalid_argument for a query of another width.
  /// Safe to call from several threads at once.
  virtual std::pair<torch::Tensor, torch::Tensor> search(const torch::Tensor& query, std::int64_t count) const = 0;
  /// The index and its settings, for the log ("hnsw (M 16, ef_construction 200, ef 100)").
  virtual std::string describe() const = 0;
};

/// hnswlib's arguments.
struct HnswOptions {
  std::size_t m = 16;                 ///< graph degree (hnswlib's M)
  std::size_t ef_construction = 200;  ///< candidate list while building
  std::size_t ef_search = 100;        ///< candidate list while searching (raised to the count asked for)
  std::size_t seed = 100;             ///< hnswlib's level generator seed
};

/// Faiss's arguments.
struct FaissIvfOptions {
  std::size_t lists = 0;    ///< nlist: k-means cells; 0: about sqrt(items)
  std::size_t probes = 16;  ///< nprobe: cells scanned per query (more: better recall, slower)
  int seed = 1234;          ///< k-means seed (ClusteringParameters::seed)
};

/// Which index `serve --index` builds, with the options of each.
struct IndexOptions {
  std::string kind = "exact";  ///< exact (no index), hnsw or faiss
  HnswOptions hnsw;
  FaissIvfOptions faiss;
};

/// The indexes over `item_vectors` (float32 [I, D], I >= 1; row i is item i). Throw
/// std::invalid_argument for another shape.
std::unique_ptr<ItemIndex> make_hnsw_index(const torch::Tensor& item_vectors, const HnswOptions& options);
std::unique_ptr<ItemIndex> make_faiss_ivf_index(const torch::Tensor& item_vectors, const FaissIvfOptions& options);

/// `item_vectors` as float32 [I, D] contiguous; std::invalid_argument unless 2-d with I >= 1
/// (`who` names the index in the message).
torch::Tensor checked_vectors(const torch::Tensor& item_vectors, const char* who);

/// The index `options.kind` names; nullptr for "exact". Throws std::invalid_argument for another kind.
std::unique_ptr<ItemIndex> build_item_index(const IndexOptions& options, const torch::Tensor& item_vectors);

}  // namespace recsys::core
