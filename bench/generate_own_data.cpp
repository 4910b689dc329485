// Generators of the own-data issue's files (docs/results.md, "Your own data"):
//
//   recsys-bench-generate ctr DIR [--rows 1000000] [--seed 1]
//     A labelled click file whose labels follow a known logistic model, over a multi-valued
//     item field and a context field. DIR/clicks.tsv: user_id, item_id, hour, label; DIR/items.tsv:
//     item_id, tags ('|'-separated). Cardinalities: 20,000 users, 100,000 items (about 10 rows
//     each, too few to learn an item from its id alone), 500 tags (1-6 per item), 24 hours.
//     P(label = 1) = sigmoid(-0.5 + 0.3 u + mean of the item's tag weights + hour weight) with
//     u ~ N(0, 1), tag weights ~ N(0, 1.5^2), hour weights ~ N(0, 1): an item matters only
//     through its tags. Prints the
//     Bayes-optimal ROC-AUC (the true probabilities as scores) over every row, which a random
//     test split estimates.
//
//   recsys-bench-generate scale DIR [--rows 25000000] [--seed 1]
//     The load benchmark's file: DIR/interactions.tsv with user_id (u123456), item_id (i12345),
//     rating, timestamp, device, hour, every row a positive; DIR/users.tsv (user_id, age, country);
//     DIR/items.tsv (item_id, brand, tags: about 10 of 5,000 tags each). 162,541 users, 60,000
//     items (MovieLens-25M's shape), popularity-skewed items.
//
//   recsys-bench-generate planted DIR [--rows 25000000] [--users 162541] [--items 59047]
//                                     [--rank 8] [--layout movielens|tsv] [--seed 1]
//     The scale tests' file: interactions from a planted low-rank model with popularity skew,
//     in MovieLens-25M's layout (DIR/ml-25m/ratings.csv and movies.csv, for `movielens` with
//     variant = "25m") or as DIR/interactions.tsv (for `files`); prints the Bayes-optimal test
//     ROC-AUC under the pointwise protocol (generate_planted.cpp).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "generate_planted.hpp"

namespace {

using recsys_bench::roc_auc;

struct Args {
  std::string mode, dir;
  long long rows = 0;
  unsigned long long seed = 1;
  recsys_bench::PlantedOptions planted;
};

Args parse(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr,
                 "usage: %s ctr|scale|planted DIR [--rows N] [--seed S] (planted: [--users N] [--items N] "
                 "[--rank R] [--layout movielens|tsv])\n",
                 argv[0]);
    std::exit(2);
  }
  Args a{argv[1], argv[2], std::string(argv[1]) == "ctr" ? 1'000'000 : 25'000'000, 1};
  for (int i = 3; i + 1 < argc; i += 2) {
    const std::string key = argv[i];
    if (key == "--rows")
      a.rows = std::atoll(argv[i + 1]);
    else if (key == "--seed")
      a.seed = std::strtoull(argv[i + 1], nullptr, 10);
    else if (key == "--users")
      a.planted.users = std::atoll(argv[i + 1]);
    else if (key == "--items")
      a.planted.items = std::atoll(argv[i + 1]);
    else if (key == "--rank")
      a.planted.rank = std::atoi(argv[i + 1]);
    else if (key == "--layout")
      a.planted.layout = argv[i + 1];
    else {
      std::fprintf(stderr, "unknown option %s\n", key.c_str());
      std::exit(2);
    }
  }
  if (a.mode != "ctr" && a.mode != "scale" && a.mode != "planted") {
    std::fprintf(stderr, "unknown mode %s (ctr, scale or planted)\n", a.mode.c_str());
    std::exit(2);
  }
  if (a.planted.layout != "movielens" && a.planted.layout != "tsv") {
    std::fprintf(stderr, "--layout: movielens or tsv, not %s\n", a.planted.layout.c_str());
    std::exit(2);
  }
  a.planted.dir = a.dir;
  a.planted.rows = a.rows;
  a.planted.seed = a.seed;
  return a;
}

FILE* create(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) {
    std::perror(path.c_str());
    std::exit(1);
  }
  return f;
}

std::vector<double> normals(std::mt19937_64& rng, std::size_t n, double std) {
  std::normal_distribution<double> d(0.0, std);
  std::vector<double> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

void ctr(const Args& a) {
  constexpr int kUsers = 20'000, kItems = 100'000, kTags = 500, kHours = 24;
  std::mt19937_64 rng(a.seed);
  const auto user_w = normals(rng, kUsers, 0.3);
  const auto tag_w = normals(rng, kTags, 1.5), hour_w = normals(rng, kHours, 1.0);
  std::vector<double> item_tags_mean(kItems);
  FILE* items = create(a.dir + "/items.tsv");
  std::fprintf(items, "item_id\ttags\n");
  std::uniform_int_distribution<int> count(1, 6), tag(0, kTags - 1);
  for (int i = 0; i < kItems; ++i) {
    const int n = count(rng);
    double sum = 0;
    std::string tags;
    for (int t = 0; t < n; ++t) {
      const int id = tag(rng);
      sum += tag_w[id];
      tags += (t ? "|t" : "t") + std::to_string(id);
    }
    item_tags_mean[i] = sum / n;
    std::fprintf(items, "i%d\t%s\n", i, tags.c_str());
  }
  std::fclose(items);
  FILE* clicks = create(a.dir + "/clicks.tsv");
  std::fprintf(clicks, "user_id\titem_id\thour\tlabel\n");
  std::uniform_int_distribution<int> user(0, kUsers - 1), item(0, kItems - 1), hour(0, kHours - 1);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<double> p(static_cast<std::size_t>(a.rows));
  std::vector<char> labels(p.size());
  for (long long r = 0; r < a.rows; ++r) {
    const int u = user(rng), i = item(rng), h = hour(rng);
    const double logit = -0.5 + user_w[u] + item_tags_mean[i] + hour_w[h];
    p[r] = 1.0 / (1.0 + std::exp(-logit));
    labels[r] = unit(rng) < p[r];
    std::fprintf(clicks, "u%d\ti%d\th%d\t%d\n", u, i, h, labels[r]);
  }
  std::fclose(clicks);
  std::printf("wrote %lld rows; Bayes-optimal ROC-AUC (true probabilities, every row): %.4f\n", a.rows,
              roc_auc(p, labels));
}

void scale(const Args& a) {
  constexpr int kUsers = 162'541, kItems = 60'000, kTags = 5'000;
  std::mt19937_64 rng(a.seed);
  FILE* users = create(a.dir + "/users.tsv");
  std::fprintf(users, "user_id\tage\tcountry\n");
  std::uniform_int_distribution<int> age(15, 80), country(0, 199);
  for (int u = 0; u < kUsers; ++u) std::fprintf(users, "u%d\t%d\tc%d\n", u, age(rng), country(rng));
  std::fclose(users);
  FILE* items = create(a.dir + "/items.tsv");
  std::fprintf(items, "item_id\tbrand\ttags\n");
  std::uniform_int_distribution<int> count(5, 15), tag(0, kTags - 1), brand(0, 999);
  for (int i = 0; i < kItems; ++i) {
    std::string tags;
    for (int t = 0, n = count(rng); t < n; ++t) tags += (t ? "|t" : "t") + std::to_string(tag(rng));
    std::fprintf(items, "i%d\tb%d\t%s\n", i, brand(rng), tags.c_str());
  }
  std::fclose(items);
  FILE* out = create(a.dir + "/interactions.tsv");
  std::fprintf(out, "user_id\titem_id\trating\ttimestamp\tdevice\thour\n");
  std::uniform_int_distribution<int> user(0, kUsers - 1), device(0, 3), hour(0, 23), stars(1, 10);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const char* devices[] = {"mobile", "desktop", "tablet", "tv"};
  for (long long r = 0; r < a.rows; ++r) {
    const int i = static_cast<int>(kItems * std::pow(unit(rng), 2.0));  // popularity skew
    std::fprintf(out, "u%d\ti%d\t%.1f\t%lld\t%s\t%d\n", user(rng), i, stars(rng) / 2.0, 1'000'000'000LL + r,
                 devices[device(rng)], hour(rng));
  }
  std::fclose(out);
  std::printf("wrote %lld rows, %d users, %d items\n", a.rows, kUsers, kItems);
}

}  // namespace

int main(int argc, char** argv) {
  const Args a = parse(argc, argv);
  std::filesystem::create_directories(a.dir);
  if (a.mode == "ctr")
    ctr(a);
  else if (a.mode == "planted")
    recsys_bench::planted(a.planted);
  else
    scale(a);
  return 0;
}
