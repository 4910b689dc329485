#pragma once
/// @file
/// A trained run opened to answer ranking and scoring queries: what `recsys-host recommend`
/// and `recsys-host serve` share, so that both give the same lists.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <torch/types.h>

#include "recsys/core/item_index.hpp"
#include "recsys/core/opened_run.hpp"

namespace recsys::core {

/// One ranking query of ServedRun::recommend.
struct RankingQuery {
  std::int64_t user = 0;             ///< contiguous user id
  std::int64_t k = 10;               ///< clamped to the items left to rank; >= 1
  bool exclude_seen = true;          ///< leave out the user's positives of every split
  std::vector<std::string> context;  ///< "name=value" entries (request_context.hpp)
  torch::Tensor candidates;          ///< int64 [C] contiguous item ids, or undefined: every item
};

/// A run's model, data and lookups, loaded once. Model calls (recommend, score) are not
/// thread-safe: one thread makes them (the server's scoring thread); the lookups, popular() and
/// similar() read constant tensors and may be called from any thread.
class ServedRun {
 public:
  /// Opens the run as open_run() does (same errors) and precomputes the id lookups, the
  /// training popularity order, the default context row and, for a factorised model, the item
  /// vectors (float32 [I, D]; item features only, so no request changes them). Unless
  /// `index.kind` is "exact", then builds that index over the item vectors, which ranks queries
  /// without candidates (item_index.hpp), and measures its recall@10 against the exact top 10 on
  /// up to 1,000 users (index_recall(), logged); throws recsys::Error when the model is not
  /// factorised.
  static std::shared_ptr<ServedRun> open(const std::filesystem::path& run_directory, const std::string& checkpoint,
                                         const IndexOptions& index = {});

  /// The contiguous id of an original id, or nullopt when the run's data has none.
  std::optional<std::int64_t> user_index(const std::string& original_id) const;
  std::optional<std::int64_t> item_index(const std::string& original_id) const;
  std::int64_t num_users() const;
  std::int64_t num_items() const;
  /// Whether the model ranks by a matrix product of user and item vectors (Model::factorized).
  bool factorized() const { return item_vectors_.defined(); }

  /// The best min(k, items left) of each query, best first, with the item's original id,
  /// title and logit. Queries without candidates of a factorised model share one matrix product
  /// of their user vectors with the item vectors; other queries score one row per candidate
  /// (model.forward), all of them in one batch. Items whose score is NaN or infinite are left
  /// out. With an index (IndexOptions of open()), queries without candidates are ranked by it
  /// instead, about-best. A query whose candidates are all excluded (seen) gets an empty
  /// list. Throws recsys::Error when every item left scores NaN or infinite, ConfigError for a
  /// bad context entry.
  std::vector<std::vector<Recommendation>> recommend(const std::vector<RankingQuery>& queries);
  /// The logits of each query's candidates (which every query must have; k and exclude_seen
  /// are not used), in the candidates' order, scored as rows (model.forward) in one batch.
  /// Throws std::invalid_argument for a query without candidates, ConfigError for a bad context.
  std::vector<std::vector<double>> score(const std::vector<RankingQuery>& queries);
  /// The k most frequent items of the training split (ties: the smaller id), among
  /// `candidates` (int64 [C] contiguous item ids) when defined; the score is the training count.
  std::vector<Recommendation> popular(std::int64_t k, const torch::Tensor& candidates = {}) const;
  /// The k items whose vectors have the highest cosine similarity with `item`'s, the item
  /// itself left out; the score is the cosine. Throws std::logic_error unless factorized().
  std::vector<Recommendation> similar(std::int64_t item, std::int64_t k) const;

  /// The index's recall@10 against the exact top 10 (seen items excluded), mean over the
  /// users measured; nullopt without an index.
  std::optional<double> index_recall() const { return index_recall_; }

  const OpenedRun& run() const { return run_; }
  const std::string& checkpoint() const { return checkpoint_; }

 private:
  ServedRun(OpenedRun run, std::string checkpoint);
  /// Fills scores[q] (float64 [C_q]) and items[q] (int64 [C_q]) of each query.
  void score_queries(const std::vector<RankingQuery>& queries, std::vector<torch::Tensor>& scores,
                     std::vector<torch::Tensor>& items);
  std::vector<Recommendation> best_of(const RankingQuery& query, torch::Tensor scores,
                                      const torch::Tensor& items) const;
  torch::Tensor user_vectors(const std::vector<RankingQuery>& queries);
  torch::Tensor product_scores(const std::vector<RankingQuery>& queries);
  std::vector<std::vector<Recommendation>> exact(const std::vector<RankingQuery>& queries);
  /// The index's best of a query without candidates, seen items left out, rescored exactly;
  /// nullopt when the index found fewer than the query asks for (then ranked exactly).
  std::optional<std::vector<Recommendation>> approximate(const RankingQuery& query, const torch::Tensor& user_vector);
  double measure_recall(std::int64_t users, std::int64_t k);
  torch::Tensor row_scores(const std::vector<RankingQuery>& queries, const std::vector<torch::Tensor>& items);
  std::vector<Recommendation> listed(const torch::Tensor& items, const torch::Tensor& scores) const;

  OpenedRun run_;
  std::string checkpoint_;
  std::unordered_map<std::string, std::int64_t> users_, items_;
  SideFeatures default_context_;
  torch::Tensor popularity_;          // float64 [I]: training count per item
  torch::Tensor popular_order_;       // int64 [I]: items by descending training count
  torch::Tensor item_vectors_;        // float32 [I, D] (factorised models), else undefined
  torch::Tensor unit_item_vectors_;   // float32 [I, D]: item_vectors_ with rows of norm 1
  std::unique_ptr<ItemIndex> index_;  // --index hnsw or faiss, else null
  std::optional<double> index_recall_;
};

}  // namespace recsys::core
