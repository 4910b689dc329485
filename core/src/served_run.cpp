// A trained run answering ranking and scoring queries (recommend, serve).
#include "recsys/core/served_run.hpp"

#include <algorithm>
#include <chrono>
#include <limits>
#include <stdexcept>

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include "recsys/core/request_context.hpp"
#include "recsys/errors.hpp"

namespace recsys::core {

namespace {

constexpr double kMinusInfinity = -std::numeric_limits<double>::infinity();

std::unordered_map<std::string, std::int64_t> index_of(const std::vector<std::string>& ids) {
  std::unordered_map<std::string, std::int64_t> index;
  index.reserve(ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) index.emplace(ids[i], static_cast<std::int64_t>(i));
  return index;
}

/// float64 [I]: each item's count of training positives (labelled data: label > 0 only).
torch::Tensor training_counts(const TrainingData& data, std::int64_t items) {
  torch::Tensor item_id = data.train_item_id;
  if (data.train_label.defined()) item_id = item_id.masked_select(data.train_label > 0);
  return torch::bincount(item_id, {}, items).to(torch::kFloat64);
}

/// Unlabelled examples (label 0) of the pairs (user_id[r], item_id[r]), context row row[r].
Examples unlabelled(const torch::Tensor& user_id, const torch::Tensor& item_id, const torch::Tensor& row) {
  Examples examples;
  examples.user_id = user_id;
  examples.item_id = item_id;
  examples.label = torch::zeros({user_id.size(0)});
  examples.row = row;
  return examples;
}

/// The context rows of `queries` (one per query, in order): the defaults with each query's entries.
SideFeatures query_contexts(const InteractionData& d, const SideFeatures& defaults,
                            const std::vector<RankingQuery>& queries) {
  std::vector<torch::Tensor> continuous, categorical;
  for (const RankingQuery& q : queries) {
    const SideFeatures row = q.context.empty() ? defaults : with_context_entries(d, defaults, q.context);
    continuous.push_back(row.continuous);
    categorical.push_back(row.categorical);
  }
  return {torch::cat(continuous), torch::cat(categorical), {}};
}

/// Examples of user `users[q]` against each of `items[q]`, `row` q (the query's context row).
Examples query_rows(const std::vector<std::int64_t>& users, const std::vector<torch::Tensor>& items) {
  std::vector<torch::Tensor> user_id, row;
  for (std::size_t q = 0; q < users.size(); ++q) {
    user_id.push_back(torch::full({items[q].size(0)}, users[q], torch::kInt64));
    row.push_back(torch::full({items[q].size(0)}, static_cast<std::int64_t>(q), torch::kInt64));
  }
  torch::Tensor item_id = torch::cat(items);
  return unlabelled(torch::cat(user_id), item_id, torch::cat(row));
}

/// Leaves out the unseen items whose score is NaN or infinite (a NaN weight, an input feature
/// out of range), saying how many; none left to rank is an error. Returns the items left.
std::int64_t drop_non_finite_scores(torch::Tensor& scores, const torch::Tensor& seen, const std::string& user) {
  const torch::Tensor bad = scores.isfinite().logical_not().logical_and(seen.logical_not());
  const std::int64_t dropped = bad.sum().item<std::int64_t>(), unseen = seen.logical_not().sum().item<std::int64_t>();
  if (dropped == 0) return unseen;
  if (dropped == unseen) {
    throw Error("user " + user + ": every one of the " + std::to_string(unseen) +
                " candidate scores is NaN or infinite (a NaN weight in the checkpoint, or this "
                "user's features out of range?)");
  }
  spdlog::warn("user {}: {} of {} candidate items score NaN or infinite and are left out", user, dropped, unseen);
  scores.masked_fill_(bad, kMinusInfinity);
  return unseen - dropped;
}

}  // namespace

ServedRun::ServedRun(OpenedRun run, std::string checkpoint) : run_(std::move(run)), checkpoint_(std::move(checkpoint)) {
  const TrainingData& data = run_.loaded->data;
  const InteractionData& d = data.interactions;
  users_ = index_of(d.user_original_id);
  items_ = index_of(d.item_original_id);
  default_context_ = default_context_row(d, data.split.train);
  popularity_ = training_counts(data, num_items());
  popular_order_ = std::get<1>(popularity_.sort(/*stable=*/true, /*dim=*/0, /*descending=*/true));
  Model& model = *run_.loaded->model;
  if (!model.factorized()) return;
  torch::NoGradGuard no_grad;
  const torch::Tensor all = torch::arange(num_items(), torch::kInt64);
  const Examples rows = unlabelled(torch::zeros_like(all), all, torch::zeros_like(all));
  item_vectors_ = model.item_vectors(make_batch(rows, all, d.user_features, d.item_features, default_context_));
  unit_item_vectors_ =
      torch::nn::functional::normalize(item_vectors_, torch::nn::functional::NormalizeFuncOptions().dim(1));
}

std::shared_ptr<ServedRun> ServedRun::open(const std::filesystem::path& run_directory, const std::string& checkpoint,
                                           const IndexOptions& index) {
  std::shared_ptr<ServedRun> run(new ServedRun(open_run(run_directory, checkpoint), checkpoint));
  if (index.kind == "exact") return run;
  if (!run->factorized()) {
    throw Error("--index " + index.kind +
                ": the run's model has no item vectors (it does not score by a dot "
                "product); serve it with --index exact");
  }
  const auto start = std::chrono::steady_clock::now();
  run->index_ = build_item_index(index, run->item_vectors_);
  const double built = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  constexpr std::int64_t kRecallUsers = 1000, kRecallK = 10;
  run->index_recall_ = run->measure_recall(kRecallUsers, kRecallK);
  spdlog::info(
      "serve: {} index over {} items built in {:.2f} s; recall@{} {:.4f} against the exact top {} over {} users",
      run->index_->describe(), run->num_items(), built, kRecallK, *run->index_recall_, kRecallK,
      std::min(kRecallUsers, run->num_users()));
  return run;
}

std::optional<std::int64_t> ServedRun::user_index(const std::string& original_id) const {
  const auto found = users_.find(original_id);
  return found == users_.end() ? std::nullopt : std::optional<std::int64_t>(found->second);
}

std::optional<std::int64_t> ServedRun::item_index(const std::string& original_id) const {
  const auto found = items_.find(original_id);
  return found == items_.end() ? std::nullopt : std::optional<std::int64_t>(found->second);
}

std::int64_t ServedRun::num_users() const {
  return run_.loaded->data.interactions.schema.user.num_ids;
}
std::int64_t ServedRun::num_items() const {
  return run_.loaded->data.interactions.schema.item.num_ids;
}

torch::Tensor ServedRun::user_vectors(const std::vector<RankingQuery>& queries) {
  const InteractionData& d = run_.loaded->data.interactions;
  std::vector<std::int64_t> users;
  for (const RankingQuery& q : queries) users.push_back(q.user);
  const auto n = static_cast<std::int64_t>(users.size());
  const torch::Tensor user_id = torch::tensor(users, torch::kInt64), rows = torch::arange(n, torch::kInt64);
  const Examples examples = unlabelled(user_id, torch::zeros({n}, torch::kInt64), rows);
  const Batch batch =
      make_batch(examples, rows, d.user_features, d.item_features, query_contexts(d, default_context_, queries));
  return run_.loaded->model->user_vectors(batch);
}

torch::Tensor ServedRun::product_scores(const std::vector<RankingQuery>& queries) {
  return torch::mm(user_vectors(queries), item_vectors_.t()).to(torch::kFloat64);
}

torch::Tensor ServedRun::row_scores(const std::vector<RankingQuery>& queries, const std::vector<torch::Tensor>& items) {
  const InteractionData& d = run_.loaded->data.interactions;
  std::vector<std::int64_t> users;
  for (const RankingQuery& q : queries) users.push_back(q.user);
  const Examples examples = query_rows(users, items);
  const torch::Tensor all = torch::arange(examples.size(), torch::kInt64);
  const Batch batch =
      make_batch(examples, all, d.user_features, d.item_features, query_contexts(d, default_context_, queries));
  return run_.loaded->model->forward(batch).to(torch::kFloat64);
}

std::vector<Recommendation> ServedRun::listed(const torch::Tensor& items, const torch::Tensor& scores) const {
  const InteractionData& d = run_.loaded->data.interactions;
  std::vector<Recommendation> out;
  const auto item = items.accessor<std::int64_t, 1>();
  const auto score = scores.accessor<double, 1>();
  for (std::int64_t r = 0; r < items.size(0); ++r) {
    const std::int64_t i = item[r];
    out.push_back(
        {d.item_original_id[i], i < static_cast<std::int64_t>(d.item_title.size()) ? d.item_title[i] : "", score[r]});
  }
  return out;
}

void ServedRun::score_queries(const std::vector<RankingQuery>& queries, std::vector<torch::Tensor>& scores,
                              std::vector<torch::Tensor>& items) {
  std::vector<RankingQuery> by_product, by_rows;
  std::vector<std::size_t> product_at, rows_at;  // each one's position in `queries`
  std::vector<torch::Tensor> row_items;
  for (std::size_t q = 0; q < queries.size(); ++q) {
    const bool product = factorized() && !queries[q].candidates.defined();
    (product ? by_product : by_rows).push_back(queries[q]);
    (product ? product_at : rows_at).push_back(q);
    items[q] = queries[q].candidates.defined() ? queries[q].candidates : torch::arange(num_items(), torch::kInt64);
    if (!product) row_items.push_back(items[q]);
  }
  if (!by_product.empty()) {
    const torch::Tensor product = product_scores(by_product);
    for (std::size_t j = 0; j < by_product.size(); ++j) scores[product_at[j]] = product[static_cast<std::int64_t>(j)];
  }
  if (by_rows.empty()) return;
  const torch::Tensor flat = row_scores(by_rows, row_items);
  std::int64_t at = 0;
  for (std::size_t j = 0; j < by_rows.size(); ++j) {
    scores[rows_at[j]] = flat.narrow(0, at, row_items[j].size(0));
    at += row_items[j].size(0);
  }
}

std::vector<Recommendation> ServedRun::best_of(const RankingQuery& query, torch::Tensor scores,
                                               const torch::Tensor& items) const {
  const TrainingData& data = run_.loaded->data;
  const torch::Tensor seen = query.exclude_seen ? data.positives.contains(torch::full_like(items, query.user), items)
                                                : torch::zeros_like(items, torch::kBool);
  const std::int64_t left = drop_non_finite_scores(scores, seen, data.interactions.user_original_id[query.user]);
  scores.masked_fill_(seen, kMinusInfinity);
  const auto top = scores.topk(std::min(query.k, left));
  return listed(items.index_select(0, std::get<1>(top)), std::get<0>(top));
}

std::vector<std::vector<Recommendation>> ServedRun::recommend(const std::vector<RankingQuery>& queries) {
  for (const RankingQuery& q : queries) {
    if (q.k < 1) throw std::invalid_argument("k " + std::to_string(q.k) + ": must be at least 1");
  }
  if (!index_) return exact(queries);
  torch::NoGradGuard no_grad;
  std::vector<std::vector<Recommendation>> out(queries.size());
  std::vector<RankingQuery> indexed, rest;
  std::vector<std::size_t> indexed_at, rest_at;  // each one's position in `queries`
  for (std::size_t q = 0; q < queries.size(); ++q) {
    (queries[q].candidates.defined() ? rest : indexed).push_back(queries[q]);
    (queries[q].candidates.defined() ? rest_at : indexed_at).push_back(q);
  }
  const torch::Tensor vectors = indexed.empty() ? torch::Tensor() : user_vectors(indexed);
  for (std::size_t j = 0; j < indexed.size(); ++j) {
    auto found = approximate(indexed[j], vectors[static_cast<std::int64_t>(j)]);
    if (found) {
      out[indexed_at[j]] = std::move(*found);
    } else {  // the index found too few: ranked exactly
      rest.push_back(indexed[j]);
      rest_at.push_back(indexed_at[j]);
    }
  }
  std::vector<std::vector<Recommendation>> ranked = exact(rest);
  for (std::size_t j = 0; j < rest.size(); ++j) out[rest_at[j]] = std::move(ranked[j]);
  return out;
}

std::vector<std::vector<Recommendation>> ServedRun::exact(const std::vector<RankingQuery>& queries) {
  if (queries.empty()) return {};
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> scores(queries.size()), items(queries.size());
  score_queries(queries, scores, items);
  std::vector<std::vector<Recommendation>> out;
  for (std::size_t q = 0; q < queries.size(); ++q) out.push_back(best_of(queries[q], scores[q].clone(), items[q]));
  return out;
}

std::vector<std::vector<double>> ServedRun::score(const std::vector<RankingQuery>& queries) {
  std::vector<torch::Tensor> items;
  for (const RankingQuery& q : queries) {
    if (!q.candidates.defined()) throw std::invalid_argument("score: every query needs its candidates");
    items.push_back(q.candidates);
  }
  torch::NoGradGuard no_grad;
  const torch::Tensor flat = row_scores(queries, items).contiguous();
  std::vector<std::vector<double>> out;
  const double* at = flat.data_ptr<double>();
  for (const torch::Tensor& i : items) {
    out.emplace_back(at, at + i.size(0));
    at += i.size(0);
  }
  return out;
}

std::optional<std::vector<Recommendation>> ServedRun::approximate(const RankingQuery& query,
                                                                  const torch::Tensor& user_vector) {
  const TrainingData& data = run_.loaded->data;
  const std::int64_t seen =
      query.exclude_seen ? data.positives.positives_per_user()[query.user].item<std::int64_t>() : 0;
  const std::int64_t wanted = std::min(query.k, num_items() - seen);
  if (wanted < 1) return std::nullopt;  // nothing left: the exact path answers as without an index
  torch::Tensor items = index_->search(user_vector, query.k + seen).first;
  if (query.exclude_seen)
    items = items.masked_select(data.positives.contains(torch::full_like(items, query.user), items).logical_not());
  // Rescored exactly (the index's distances are 1 - <u, v> in float32), and ordered by that.
  torch::Tensor scores = torch::mv(item_vectors_.index_select(0, items), user_vector).to(torch::kFloat64);
  const torch::Tensor finite = scores.isfinite();
  items = items.masked_select(finite);
  scores = scores.masked_select(finite);
  if (items.size(0) < wanted) return std::nullopt;
  const auto order = std::get<1>(scores.sort(/*stable=*/true, /*dim=*/0, /*descending=*/true)).narrow(0, 0, wanted);
  return listed(items.index_select(0, order), scores.index_select(0, order));
}

double ServedRun::measure_recall(std::int64_t users, std::int64_t k) {
  std::vector<RankingQuery> queries;
  for (std::int64_t u = 0; u < std::min(users, num_users()); ++u) queries.push_back({u, k, true, {}, {}});
  const std::vector<std::vector<Recommendation>> truth = exact(queries), found = recommend(queries);
  double sum = 0.0;
  for (std::size_t q = 0; q < queries.size(); ++q) {
    std::int64_t hits = 0;
    for (const Recommendation& r : found[q]) {
      hits += std::any_of(truth[q].begin(), truth[q].end(), [&](const Recommendation& t) { return t.item == r.item; });
    }
    sum += truth[q].empty() ? 1.0 : static_cast<double>(hits) / static_cast<double>(truth[q].size());
  }
  return queries.empty() ? 1.0 : sum / static_cast<double>(queries.size());
}

std::vector<Recommendation> ServedRun::popular(std::int64_t k, const torch::Tensor& candidates) const {
  torch::Tensor order = popular_order_;
  if (candidates.defined()) {
    torch::Tensor among = torch::zeros({num_items()}, torch::kBool);
    among.index_fill_(0, candidates, true);
    order = order.masked_select(among.index_select(0, order));
  }
  order = order.narrow(0, 0, std::min(k, order.size(0)));
  return listed(order, popularity_.index_select(0, order));
}

std::vector<Recommendation> ServedRun::similar(std::int64_t item, std::int64_t k) const {
  if (!factorized()) throw std::logic_error("similar items need a model with item vectors (Model::factorized)");
  torch::NoGradGuard no_grad;
  torch::Tensor cosine = torch::mv(unit_item_vectors_, unit_item_vectors_[item]).to(torch::kFloat64);
  cosine[item] = kMinusInfinity;
  const auto top = cosine.topk(std::min(k, num_items() - 1));
  return listed(std::get<1>(top), std::get<0>(top));
}

}  // namespace recsys::core
