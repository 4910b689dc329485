#include "recsys/parallel.hpp"

#include <atomic>

namespace recsys {

namespace {
std::atomic<int> g_compute_threads{1};
}  // namespace

int compute_threads() {
  return g_compute_threads.load(std::memory_order_relaxed);
}

void set_compute_threads(int threads) {
  g_compute_threads.store(std::max(1, threads), std::memory_order_relaxed);
}

}  // namespace recsys
