// Micro-batching of ranking and scoring queries on one scoring thread.
#include "recsys/core/serving/scorer.hpp"

#include <map>
#include <utility>

namespace recsys::core::serving {

Scorer::Scorer(std::shared_ptr<ServedRun> run, ScorerOptions options)
    : options_(options), run_(std::move(run)), thread_([this] { loop(); }) {}

Scorer::~Scorer() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void Scorer::Arrival::queued() {
  if (!scorer_) return;
  {
    const std::lock_guard lock(scorer_->mutex_);
    --scorer_->arriving_;
  }
  scorer_->wake_.notify_all();
  scorer_ = nullptr;
}

Scorer::Arrival Scorer::in_flight() {
  const std::lock_guard lock(mutex_);
  ++arriving_;
  return Arrival(this);
}

std::shared_ptr<ServedRun> Scorer::run() const {
  const std::lock_guard lock(mutex_);
  return run_;
}

void Scorer::replace(std::shared_ptr<ServedRun> run) {
  const std::lock_guard lock(mutex_);
  run_ = std::move(run);
}

std::vector<Scorer::Answer> Scorer::submit(bool score, std::vector<RankingQuery> queries, Arrival& arrival) {
  std::vector<std::future<Answer>> answers;
  {
    const std::lock_guard lock(mutex_);
    for (RankingQuery& query : queries) {
      auto job = std::make_unique<Job>();
      job->score = score;
      job->query = std::move(query);
      job->run = run_;
      answers.push_back(job->answer.get_future());
      queue_.push_back(std::move(job));
    }
  }
  arrival.queued();  // notifies the scoring thread
  std::vector<Answer> out;
  for (auto& answer : answers) out.push_back(answer.get());
  return out;
}

std::vector<std::vector<Recommendation>> Scorer::recommend(std::vector<RankingQuery> queries, Arrival& arrival) {
  std::vector<std::vector<Recommendation>> out;
  for (Answer& answer : submit(false, std::move(queries), arrival)) out.push_back(std::move(answer.items));
  return out;
}

std::vector<double> Scorer::score(RankingQuery query, Arrival& arrival) {
  return std::move(submit(true, {std::move(query)}, arrival).front().scores);
}

std::vector<std::unique_ptr<Scorer::Job>> Scorer::take_batch(std::unique_lock<std::mutex>& lock) {
  wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
  // Requests still being parsed would be scored with this batch if they were queued: wait for
  // them a little, never for a request that arrived alone.
  const auto deadline = std::chrono::steady_clock::now() + options_.window;
  wake_.wait_until(lock, deadline, [&] { return stopping_ || arriving_ == 0 || queue_.size() >= options_.max_batch; });
  std::vector<std::unique_ptr<Job>> jobs;
  while (!queue_.empty() && jobs.size() < options_.max_batch) {
    jobs.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return jobs;
}

void Scorer::loop() {
  std::unique_lock lock(mutex_);
  for (;;) {
    std::vector<std::unique_ptr<Job>> jobs = take_batch(lock);
    if (jobs.empty() && stopping_) return;
    lock.unlock();
    answer_batch(jobs);
    lock.lock();
  }
}

namespace {

/// Answers `jobs` (one run, one kind) together; when that throws, each alone.
template <typename Job, typename Call>
void answer_together(std::vector<Job*>& jobs, Call call) {
  std::vector<RankingQuery> queries;
  for (Job* job : jobs) queries.push_back(job->query);
  try {
    auto answers = call(queries);
    for (std::size_t j = 0; j < jobs.size(); ++j) jobs[j]->answer.set_value(std::move(answers[j]));
    return;
  } catch (const std::exception&) {
    if (jobs.size() == 1) {
      jobs.front()->answer.set_exception(std::current_exception());
      return;
    }
  }
  for (Job* job : jobs) {
    try {
      job->answer.set_value(std::move(call({job->query}).front()));
    } catch (const std::exception&) {
      job->answer.set_exception(std::current_exception());
    }
  }
}

}  // namespace

void Scorer::answer_batch(std::vector<std::unique_ptr<Job>>& jobs) {
  std::map<std::pair<ServedRun*, bool>, std::vector<Job*>> groups;
  for (auto& job : jobs) groups[{job->run.get(), job->score}].push_back(job.get());
  for (auto& [key, group] : groups) {
    ServedRun& run = *key.first;
    if (key.second) {
      answer_together(group, [&](const std::vector<RankingQuery>& q) {
        std::vector<Answer> out;
        for (auto& scores : run.score(q)) out.push_back({{}, std::move(scores)});
        return out;
      });
    } else {
      answer_together(group, [&](const std::vector<RankingQuery>& q) {
        std::vector<Answer> out;
        for (auto& items : run.recommend(q)) out.push_back({std::move(items), {}});
        return out;
      });
    }
  }
}

}  // namespace recsys::core::serving
