// Full-ranking speed: every user's top 10 by one matrix product per block of users
// (core/top_k.hpp), against scoring one row per (user, item) pair.
//
//   recsys-bench-full-ranking scale [USERS [ITEMS [MASKED_PER_USER]]]
//     MF of dimension 64 (the shipped inner_product plugin, randomly initialised) over a
//     generated catalogue (default 160,000 users x 60,000 items, the shape of MovieLens-25M),
//     each user with about MASKED_PER_USER (default 150) popularity-skewed training items
//     masked. Prints the ranking's seconds (generation excluded), a brute-force spot check of
//     200 users, and the process's peak RSS.
//   recsys-bench-full-ranking ml100k [REPEATS]
//     configs/movielens_bpr.toml's model and test lists on ml-100k ($RECSYS_DATA_DIR): users/s
//     of the top 10 by matrix product and by rows (model.forward on every (user, item) row),
//     alternated REPEATS times (default 5), medians; checks that both give the same lists.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "recsys/core/pipeline.hpp"
#include "recsys/core/top_k.hpp"

namespace {

using namespace recsys;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/// A batch of `n` ids on one side with no side-feature columns (what a dataset without side
/// files gives).
Batch ids_batch(const torch::Tensor& users, const torch::Tensor& items) {
  Batch b;
  const std::int64_t n = users.size(0);
  b.user_id = users;
  b.item_id = items;
  b.label = torch::zeros({n});
  for (torch::Tensor* t : {&b.user_continuous, &b.item_continuous, &b.context_continuous}) *t = torch::zeros({n, 0});
  for (torch::Tensor* t : {&b.user_categorical, &b.item_categorical, &b.context_categorical}) {
    *t = torch::zeros({n, 0}, torch::kInt64);
  }
  return b;
}

/// Each user's masked items: a count around `mean` (uniform in [mean / 2, 3 mean / 2]), items
/// drawn with probability proportional to 1 / (rank + 10) (popular items masked more often).
core::UserPositives generate_masks(std::int64_t users, std::int64_t items, std::int64_t mean) {
  const torch::Tensor counts = torch::randint(mean / 2, mean * 3 / 2 + 1, {users}, torch::kInt64);
  const torch::Tensor user_id = torch::repeat_interleave(torch::arange(users, torch::kInt64), counts);
  const torch::Tensor weights = 1.0 / (torch::arange(items, torch::kFloat64) + 10.0);
  const torch::Tensor item_id = torch::multinomial(weights, user_id.size(0), /*replacement=*/true);
  return core::UserPositives::from_pairs(user_id, item_id, users);
}

/// The model of configs/movielens_mf.toml at dimension 64 for a catalogue with no side features.
std::shared_ptr<Model> mf_model(std::int64_t users, std::int64_t items) {
  const core::PipelineConfig config = core::PipelineConfig::load(
      std::string(RECSYS_BENCH_SOURCE_DIR) + "/configs/movielens_mf.toml", {"model.embedding_dim=64"});
  static core::PluginRegistry registry;
  core::discover_plugins(registry, config);
  FeatureSchema schema;
  schema.user.num_ids = users;
  schema.item.num_ids = items;
  const Config& section = config.section("model");
  return registry.create<PluginKind::model>(section.get_string("architecture"), section, &schema);
}

/// 200 users' lists against sorting their full, masked score rows.
std::int64_t spot_check(const core::TopK& top, const torch::Tensor& user_vectors, const torch::Tensor& item_vectors,
                        const core::UserPositives& masked) {
  const torch::Tensor sample = torch::randperm(user_vectors.size(0), torch::kInt64).slice(0, 0, 200);
  torch::Tensor scores = torch::mm(user_vectors.index_select(0, sample), item_vectors.t());
  const core::TopK expected = core::top_k_of_scores(scores, sample, &masked, top.items.size(1));
  return expected.items.eq(top.items.index_select(0, sample)).all(1).sum().item<std::int64_t>();
}

int scale(std::int64_t users, std::int64_t items, std::int64_t masked_per_user) {
  torch::manual_seed(1);
  const auto generation = Clock::now();
  std::shared_ptr<Model> model = mf_model(users, items);
  model->eval();
  const core::UserPositives masked = generate_masks(users, items, masked_per_user);
  std::printf("generated %lld users x %lld items, %lld masked items (%.1f s)\n", static_cast<long long>(users),
              static_cast<long long>(items), static_cast<long long>(masked.items.size(0)), seconds_since(generation));
  torch::NoGradGuard no_grad;
  const auto start = Clock::now();
  const torch::Tensor all_users = torch::arange(users, torch::kInt64), all_items = torch::arange(items, torch::kInt64);
  const torch::Tensor user_vectors = model->user_vectors(ids_batch(all_users, torch::zeros_like(all_users)));
  const torch::Tensor item_vectors = model->item_vectors(ids_batch(torch::zeros_like(all_items), all_items));
  const double vectors_seconds = seconds_since(start);
  const core::TopK top = core::top_k_by_product(all_users, user_vectors, item_vectors, &masked, 10);
  const double total = seconds_since(start);
  std::printf("top 10 of every user (vectors of width %lld): %.2f s (vectors %.2f s), %.0f users/s\n",
              static_cast<long long>(user_vectors.size(1)), total, vectors_seconds, static_cast<double>(users) / total);
  std::printf("spot check: %lld of 200 users' lists equal the brute-force ranking\n",
              static_cast<long long>(spot_check(top, user_vectors, item_vectors, masked)));
  std::printf("peak RSS %.0f MB\n", peak_rss_mb());
  return 0;
}

}  // namespace

namespace {

/// The test lists of configs/movielens_bpr.toml: its data and (untrained) model.
struct Ml100k {
  core::TrainingData data;
  std::shared_ptr<Model> model;
  torch::Tensor users;         // int64 [U]: users with a test positive
  core::UserPositives masked;  // training and validation positives
};

Ml100k load_ml100k() {
  const core::PipelineConfig config =
      core::PipelineConfig::load(std::string(RECSYS_BENCH_SOURCE_DIR) + "/configs/movielens_bpr.toml");
  static core::PluginRegistry registry;
  core::discover_plugins(registry, config);
  const core::Pipeline pipeline = core::build_pipeline(config, registry);
  core::LoadedPipeline loaded = core::load_pipeline(pipeline, config, registry);
  Ml100k m{std::move(loaded.data), std::move(loaded.model), {}, {}};
  const InteractionData& d = m.data.interactions;
  const torch::Tensor earlier = torch::cat({m.data.split.train, m.data.split.validation});
  m.masked = core::UserPositives::from_pairs(d.user_id.index_select(0, earlier), d.item_id.index_select(0, earlier),
                                             d.schema.user.num_ids);
  m.users = std::get<0>(torch::_unique(d.user_id.index_select(0, m.data.split.test)));
  m.model->eval();
  return m;
}

Batch rows_batch(const Ml100k& m, const torch::Tensor& users, const torch::Tensor& items) {
  const InteractionData& d = m.data.interactions;
  const Examples rows{users, items, torch::zeros({users.size(0)}), torch::zeros({users.size(0)}, torch::kInt64)};
  return make_batch(rows, torch::arange(users.size(0), torch::kInt64), d.user_features, d.item_features);
}

core::TopK by_product(const Ml100k& m) {
  const std::int64_t items = m.data.interactions.schema.item.num_ids;
  const torch::Tensor all_items = torch::arange(items, torch::kInt64);
  const torch::Tensor u = m.model->user_vectors(rows_batch(m, m.users, torch::zeros_like(m.users)));
  const torch::Tensor v = m.model->item_vectors(rows_batch(m, torch::zeros_like(all_items), all_items));
  return core::top_k_by_product(m.users, u, v, &m.masked, 10);
}

/// model.forward on every (user, item) row, 64 users at a time, then the same top 10.
core::TopK by_rows(const Ml100k& m) {
  const std::int64_t items = m.data.interactions.schema.item.num_ids, block = 64;
  std::vector<torch::Tensor> lists, scores;
  for (std::int64_t begin = 0; begin < m.users.size(0); begin += block) {
    const torch::Tensor users = m.users.slice(0, begin, begin + block);
    const std::int64_t b = users.size(0);
    torch::Tensor s = m.model->forward(rows_batch(m, users.repeat_interleave(items), torch::arange(items).repeat({b})))
                          .view({b, items});
    const core::TopK top = core::top_k_of_scores(s, users, &m.masked, 10);
    lists.push_back(top.items);
    scores.push_back(top.scores);
  }
  return {torch::cat(lists), torch::cat(scores)};
}

int ml100k(int repeats) {
  torch::NoGradGuard no_grad;
  const Ml100k m = load_ml100k();
  const double users = static_cast<double>(m.users.size(0));
  std::vector<double> product_rate, rows_rate;
  core::TopK product, rows;
  for (int r = 0; r < repeats; ++r) {
    auto start = Clock::now();
    product = by_product(m);
    product_rate.push_back(users / seconds_since(start));
    start = Clock::now();
    rows = by_rows(m);
    rows_rate.push_back(users / seconds_since(start));
    std::printf("run %d: matrix product %.0f users/s, rows %.0f users/s\n", r + 1, product_rate.back(),
                rows_rate.back());
  }
  const std::int64_t same = product.items.eq(rows.items).all(1).sum().item<std::int64_t>();
  std::printf(
      "ml-100k, %lld test users x %lld items, top 10: median of %d: matrix product %.0f users/s, rows %.0f "
      "users/s (%.1fx); %lld of %lld lists identical\n",
      static_cast<long long>(m.users.size(0)), static_cast<long long>(m.data.interactions.schema.item.num_ids), repeats,
      median(product_rate), median(rows_rate), median(product_rate) / median(rows_rate), static_cast<long long>(same),
      static_cast<long long>(m.users.size(0)));
  return same == m.users.size(0) ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  const auto arg = [&](int i, std::int64_t fallback) { return argc > i ? std::stoll(argv[i]) : fallback; };
  try {
    if (mode == "scale") return scale(arg(2, 160000), arg(3, 60000), arg(4, 150));
    if (mode == "ml100k") return ml100k(static_cast<int>(arg(2, 5)));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "recsys-bench-full-ranking: %s\n", e.what());
    return 1;
  }
  std::fprintf(stderr, "usage: recsys-bench-full-ranking scale [USERS [ITEMS [MASKED_PER_USER]]] | ml100k [REPEATS]\n");
  return 2;
}
