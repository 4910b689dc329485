// `recsys-bench-generate planted`: interactions from a planted low-rank model with popularity
// skew, so that quality at scale is measurable, and the Bayes-optimal test ROC-AUC of the
// pointwise protocol (a held-out positive against uniform negatives) printed beside it.
//
// Model: item popularity q(i) proportional to 1 / (rank(i) + 10) over a random order of the
// items; user and item factors u, v ~ N(0, I / rank) in `rank` dimensions; user u draws its
// distinct items from p(i | u) proportional to q(i) * sigmoid(4 <u, v_i>) (rejection sampling
// from q), its number of rows log-normal (median 40) scaled to `rows` in all. Each row's rating
// is 4.0-5.0 (a positive under positive_threshold = 4) with probability 0.3, else 0.5-3.5, so
// positives are a random 30% of the rows, as the load benchmark's file has.
//
// The Bayes-optimal score of (u, i) against a uniform negative is the likelihood ratio
// p(i | u) / (1 / num_items), i.e. log q(i) + log sigmoid(4 <u, v_i>) - log Z_u, Z_u = E_q[sigmoid]
// estimated from 512 draws per user; its ROC-AUC over 200,000 random positives, each with 4
// uniform negatives the user has no positive with, is what a perfect model reaches.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "generate_planted.hpp"

namespace recsys_bench {

namespace {

constexpr double kStrength = 4.0;

struct Planted {
  std::vector<float> user_factors, item_factors;  // [users * rank], [items * rank]
  std::vector<double> cumulative;                 // of q, for draws
  std::vector<double> log_q;
  int rank = 0;

  double affinity(long long u, long long i) const {
    double dot = 0;
    for (int k = 0; k < rank; ++k) dot += user_factors[u * rank + k] * item_factors[i * rank + k];
    return 1.0 / (1.0 + std::exp(-kStrength * dot));
  }
  long long draw(std::mt19937_64& rng) const {
    const double x = std::uniform_real_distribution<double>(0.0, cumulative.back())(rng);
    return std::upper_bound(cumulative.begin(), cumulative.end(), x) - cumulative.begin();
  }
};

Planted plant(const PlantedOptions& o, std::mt19937_64& rng) {
  Planted p;
  p.rank = o.rank;
  std::normal_distribution<float> factor(0.0f, 1.0f / std::sqrt(static_cast<float>(o.rank)));
  p.user_factors.resize(o.users * o.rank);
  p.item_factors.resize(o.items * o.rank);
  for (auto& x : p.user_factors) x = factor(rng);
  for (auto& x : p.item_factors) x = factor(rng);
  std::vector<long long> order(o.items);
  std::iota(order.begin(), order.end(), 0LL);
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<double> q(o.items);
  for (long long r = 0; r < o.items; ++r) q[order[r]] = 1.0 / (static_cast<double>(r) + 10.0);
  const double total = std::accumulate(q.begin(), q.end(), 0.0);
  p.log_q.resize(o.items);
  p.cumulative.resize(o.items);
  for (long long i = 0; i < o.items; ++i) {
    p.log_q[i] = std::log(q[i] / total);
    p.cumulative[i] = (i ? p.cumulative[i - 1] : 0.0) + q[i];
  }
  return p;
}

/// Rows per user: log-normal, at least 5 and at most half the catalogue, about `rows` in all.
std::vector<long long> rows_per_user(const PlantedOptions& o, std::mt19937_64& rng) {
  std::lognormal_distribution<double> activity(std::log(40.0), 1.0);
  std::vector<double> raw(o.users);
  for (auto& x : raw) x = activity(rng);
  const double scale = static_cast<double>(o.rows) / std::accumulate(raw.begin(), raw.end(), 0.0);
  std::vector<long long> n(o.users);
  for (long long u = 0; u < o.users; ++u) {
    n[u] = std::clamp(static_cast<long long>(std::llround(raw[u] * scale)), 5LL, o.items / 2);
  }
  return n;
}

class RowWriter {
 public:
  RowWriter(const std::string& path, const char* header, char separator)
      : out_(std::fopen(path.c_str(), "wb")), sep_(separator) {
    if (!out_) {
      std::perror(path.c_str());
      std::exit(1);
    }
    std::fputs(header, out_);
  }
  ~RowWriter() {
    std::fwrite(buffer_.data(), 1, buffer_.size(), out_);
    std::fclose(out_);
  }
  void row(const std::string& user_prefix, long long user, const std::string& item_prefix, long long item,
           int half_stars, long long timestamp) {
    buffer_ += user_prefix;
    put(user);
    buffer_ += sep_;
    buffer_ += item_prefix;
    put(item);
    buffer_ += sep_;
    put(half_stars / 2);
    buffer_ += half_stars % 2 ? ".5" : ".0";
    buffer_ += sep_;
    put(timestamp);
    buffer_ += '\n';
    if (buffer_.size() > (1u << 22)) {
      std::fwrite(buffer_.data(), 1, buffer_.size(), out_);
      buffer_.clear();
    }
  }

 private:
  void put(long long v) {
    char number[24];
    buffer_.append(number, std::to_chars(number, number + sizeof number, v).ptr);
  }
  std::FILE* out_;
  char sep_;
  std::string buffer_;
};

/// Writes every user's rows; returns each user's positive items (rating >= 4), sorted.
std::vector<std::vector<long long>> write_rows(const PlantedOptions& o, const Planted& p, std::mt19937_64& rng) {
  const bool movielens = o.layout == "movielens";
  const std::string base = movielens ? o.dir + "/ml-25m" : o.dir;
  std::filesystem::create_directories(base);
  RowWriter out(movielens ? base + "/ratings.csv" : base + "/interactions.tsv",
                movielens ? "userId,movieId,rating,timestamp\n" : "user_id\titem_id\trating\ttimestamp\n",
                movielens ? ',' : '\t');
  const std::string user_prefix = movielens ? "" : "u", item_prefix = movielens ? "" : "i";
  const long long first = movielens ? 1 : 0;
  const std::vector<long long> counts = rows_per_user(o, rng);
  std::vector<std::vector<long long>> positives(o.users);
  std::vector<char> seen(o.items, 0);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<long long> mine;
  for (long long u = 0; u < o.users; ++u) {
    mine.clear();
    while (static_cast<long long>(mine.size()) < counts[u]) {
      const long long i = p.draw(rng);
      if (seen[i] || unit(rng) >= p.affinity(u, i)) continue;
      seen[i] = 1;
      mine.push_back(i);
    }
    for (const long long i : mine) {
      seen[i] = 0;
      const bool positive = unit(rng) < 0.3;
      const int half_stars = positive ? 8 + static_cast<int>(rng() % 3) : 1 + static_cast<int>(rng() % 7);
      if (positive) positives[u].push_back(i);
      out.row(user_prefix, u + first, item_prefix, i + first, half_stars,
              789652009 + static_cast<long long>(rng() % 900000000));
    }
    std::sort(positives[u].begin(), positives[u].end());
  }
  if (movielens) {
    std::FILE* movies = std::fopen((base + "/movies.csv").c_str(), "wb");
    std::fputs("movieId,title,genres\n", movies);
    for (long long m = 1; m <= o.items; ++m)
      std::fprintf(movies, "%lld,\"Movie %lld, The (%lld)\",%s\n", m, m, 1900 + m % 120,
                   m % 5 ? "Drama" : "Comedy|Romance");
    std::fclose(movies);
  }
  return positives;
}

/// The Bayes-optimal ROC-AUC of the pointwise protocol (see the file comment).
double bayes_auc(const PlantedOptions& o, const Planted& p, const std::vector<std::vector<long long>>& positives,
                 std::mt19937_64& rng) {
  std::vector<double> log_z(o.users);
  for (long long u = 0; u < o.users; ++u) {
    double sum = 0;
    for (int s = 0; s < 512; ++s) sum += p.affinity(u, p.draw(rng));
    log_z[u] = std::log(sum / 512.0);
  }
  const auto score = [&](long long u, long long i) { return p.log_q[i] + std::log(p.affinity(u, i)) - log_z[u]; };
  std::vector<double> scores;
  std::vector<char> labels;
  std::uniform_int_distribution<long long> user(0, o.users - 1), item(0, o.items - 1);
  while (labels.size() < 5 * 200'000) {
    const long long u = user(rng);
    if (positives[u].empty()) continue;
    const long long i = positives[u][rng() % positives[u].size()];
    scores.push_back(score(u, i));
    labels.push_back(1);
    for (int n = 0; n < 4;) {
      const long long j = item(rng);
      if (std::binary_search(positives[u].begin(), positives[u].end(), j)) continue;
      scores.push_back(score(u, j));
      labels.push_back(0);
      ++n;
    }
  }
  return roc_auc(scores, labels);
}

}  // namespace

// ROC-AUC of `scores` against `labels`, ties counted 1/2 (the rank-sum formula).
double roc_auc(const std::vector<double>& scores, const std::vector<char>& labels) {
  std::vector<std::size_t> order(scores.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return scores[a] < scores[b]; });
  double rank_sum = 0, positives = 0;
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j < order.size() && scores[order[j]] == scores[order[i]]) ++j;
    const double mid = (static_cast<double>(i) + static_cast<double>(j) + 1) / 2.0;  // 1-based mean rank
    for (std::size_t k = i; k < j; ++k) {
      if (labels[order[k]]) {
        rank_sum += mid;
        positives += 1;
      }
    }
    i = j;
  }
  const double negatives = static_cast<double>(scores.size()) - positives;
  return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives);
}

void planted(const PlantedOptions& o) {
  std::mt19937_64 rng(o.seed);
  const Planted p = plant(o, rng);
  const auto positives = write_rows(o, p, rng);
  long long count = 0;
  for (const auto& v : positives) count += static_cast<long long>(v.size());
  std::printf("wrote about %lld rows (%lld positives, rating >= 4), %lld users, %lld items, %s layout, rank %d\n",
              o.rows, count, o.users, o.items, o.layout.c_str(), o.rank);
  std::printf("Bayes-optimal test ROC-AUC (pointwise protocol, 4 uniform negatives per positive): %.4f\n",
              bayes_auc(o, p, positives, rng));
}

}  // namespace recsys_bench
