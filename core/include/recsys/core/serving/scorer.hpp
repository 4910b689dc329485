#pragma once
/// @file
/// Micro-batching: the requests that arrive together are scored together, on one scoring
/// thread that makes every model call (ServedRun's model calls are not thread-safe). The thread
/// takes every queued query at once, so queries that queued while it was busy share one matrix
/// product (factorised models) or one forward batch (the others). A query that arrives alone is
/// not delayed: the thread waits up to `window` for more only while other requests are being
/// parsed (between in_flight() and their call of recommend() or score()).

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "recsys/core/served_run.hpp"

namespace recsys::core::serving {

struct ScorerOptions {
  std::chrono::microseconds window{500};  ///< the longest wait for requests being parsed
  std::size_t max_batch = 256;            ///< the most queries scored together
};

class Scorer {
 public:
  Scorer(std::shared_ptr<ServedRun> run, ScorerOptions options);
  /// Answers every queued query, then stops the scoring thread.
  ~Scorer();
  Scorer(const Scorer&) = delete;
  Scorer& operator=(const Scorer&) = delete;

  /// Marks a request as arriving until the guard is destroyed or the request is queued.
  class Arrival {
   public:
    explicit Arrival(Scorer* scorer) : scorer_(scorer) {}
    Arrival(Arrival&& other) noexcept : scorer_(other.scorer_) { other.scorer_ = nullptr; }
    Arrival(const Arrival&) = delete;
    Arrival& operator=(const Arrival&) = delete;
    ~Arrival() { queued(); }
    void queued();

   private:
    Scorer* scorer_;
  };
  Arrival in_flight();

  /// ServedRun::recommend and ServedRun::score of one query, on the scoring thread with the
  /// queries queued beside it, against the run current when it was queued. Blocks until
  /// answered; rethrows what the run threw for this query (a batch that throws is retried one
  /// query at a time, so that one bad query fails alone).
  /// Several queries (one request's users) are queued together and answered in order.
  std::vector<std::vector<Recommendation>> recommend(std::vector<RankingQuery> queries, Arrival& arrival);
  std::vector<double> score(RankingQuery query, Arrival& arrival);

  /// The run answering new queries.
  std::shared_ptr<ServedRun> run() const;
  /// Queries queued from now on are answered by `run`; those queued before finish on theirs.
  void replace(std::shared_ptr<ServedRun> run);

 private:
  struct Answer {
    std::vector<Recommendation> items;
    std::vector<double> scores;
  };
  struct Job {
    bool score = false;
    RankingQuery query;
    std::shared_ptr<ServedRun> run;
    std::promise<Answer> answer;
  };
  std::vector<Answer> submit(bool score, std::vector<RankingQuery> queries, Arrival& arrival);
  void loop();
  std::vector<std::unique_ptr<Job>> take_batch(std::unique_lock<std::mutex>& lock);
  static void answer_batch(std::vector<std::unique_ptr<Job>>& jobs);

  ScorerOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::unique_ptr<Job>> queue_;
  std::shared_ptr<ServedRun> run_;
  std::size_t arriving_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace recsys::core::serving
