// recsys::parallel_for over the run's core budget: every index once, parts as large as the
// grain allows, exceptions carried back to the caller.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "recsys/parallel.hpp"

namespace recsys {
namespace {

class ParallelForTest : public ::testing::Test {
 protected:
  void TearDown() override { set_compute_threads(1); }

  /// The [lo, hi) parts one call makes, and the threads that ran them.
  std::vector<std::pair<std::int64_t, std::int64_t>> parts(std::int64_t begin, std::int64_t end, std::int64_t grain) {
    std::mutex mutex;
    std::vector<std::pair<std::int64_t, std::int64_t>> seen;
    parallel_for(begin, end, grain, [&](std::int64_t lo, std::int64_t hi) {
      std::lock_guard<std::mutex> lock(mutex);
      seen.emplace_back(lo, hi);
      threads.insert(std::this_thread::get_id());
    });
    std::sort(seen.begin(), seen.end());
    return seen;
  }
  std::set<std::thread::id> threads;
};

TEST_F(ParallelForTest, BudgetIsSetByTheHostAndAtLeastOne) {
  set_compute_threads(3);
  EXPECT_EQ(compute_threads(), 3);
  set_compute_threads(0);
  EXPECT_EQ(compute_threads(), 1);
}

TEST_F(ParallelForTest, SplitsIntoContiguousPartsOnePerThread) {
  set_compute_threads(3);
  using Parts = std::vector<std::pair<std::int64_t, std::int64_t>>;
  EXPECT_EQ(parts(10, 40, 1), (Parts{{10, 20}, {20, 30}, {30, 40}}));
  EXPECT_EQ(threads.size(), 3u);
  EXPECT_EQ(threads.count(std::this_thread::get_id()), 1u);  // the caller runs the first part
  // The grain limits the parts: 30 items in parts of at least 12 make 2.
  EXPECT_EQ(parts(10, 40, 12), (Parts{{10, 25}, {25, 40}}));
  EXPECT_EQ(parts(0, 5, 10), (Parts{{0, 5}}));
  EXPECT_TRUE(parts(7, 7, 1).empty());
}

TEST_F(ParallelForTest, OneThreadRunsOnTheCaller) {
  parts(0, 1000, 1);
  EXPECT_EQ(threads, std::set<std::thread::id>{std::this_thread::get_id()});
}

TEST_F(ParallelForTest, EveryIndexOnceAndExceptionsReachTheCaller) {
  set_compute_threads(4);
  std::vector<std::atomic<int>> hits(1001);
  parallel_for(0, 1001, 1, [&](std::int64_t lo, std::int64_t hi) {
    for (std::int64_t i = lo; i < hi; ++i) ++hits[static_cast<std::size_t>(i)];
  });
  for (const auto& h : hits) ASSERT_EQ(h.load(), 1);
  EXPECT_THROW(parallel_for(0, 100, 1,
                            [](std::int64_t lo, std::int64_t) {
                              if (lo > 0) throw std::runtime_error("part failed");
                            }),
               std::runtime_error);
}

}  // namespace
}  // namespace recsys
