#pragma once
/// @file
/// The run's core budget for kernels that split their own work, and a split over it.

#include <algorithm>
#include <cstdint>
#include <exception>
#include <thread>
#include <vector>

#include "recsys/export.hpp"

namespace recsys {

/// Cores the host gave this process's computation (the thread plan's budget: `[training]
/// threads`, or the hardware threads shared among the ranks on this machine); 1 until the host
/// sets it. Since plugin API 1.1.
RECSYS_API int compute_threads();

/// Set by the host when it plans its threads; values below 1 count as 1.
RECSYS_API void set_compute_threads(int threads);

/// Runs f(lo, hi) on up to compute_threads() contiguous parts of [begin, end), each at least
/// `grain` long: the first part on the calling thread, the others on threads started for the
/// call; returns when all are done and rethrows the first exception. For kernels whose parts
/// write disjoint memory and that do at least about a millisecond of work per call (a thread
/// start costs tens of microseconds). Why not at::parallel_for: beside the pthread OpenBLAS the
/// host keeps torch's OpenMP pool at one thread, whose workers would otherwise spin against
/// OpenBLAS's (docs/config.md, `threads`).
template <typename F>
void parallel_for(std::int64_t begin, std::int64_t end, std::int64_t grain, const F& f) {
  const std::int64_t n = end - begin;
  if (n <= 0) return;
  const std::int64_t parts =
      std::max<std::int64_t>(1, std::min<std::int64_t>(compute_threads(), n / std::max<std::int64_t>(grain, 1)));
  if (parts == 1) {
    f(begin, end);
    return;
  }
  std::vector<std::exception_ptr> errors(static_cast<std::size_t>(parts));
  auto run = [&](std::int64_t part) {
    const std::int64_t lo = begin + n * part / parts, hi = begin + n * (part + 1) / parts;
    try {
      f(lo, hi);
    } catch (...) {
      errors[static_cast<std::size_t>(part)] = std::current_exception();
    }
  };
  std::vector<std::thread> others;
  others.reserve(static_cast<std::size_t>(parts - 1));
  for (std::int64_t part = 1; part < parts; ++part) others.emplace_back(run, part);
  run(0);
  for (auto& thread : others) thread.join();
  for (const auto& error : errors) {
    if (error) std::rethrow_exception(error);
  }
}

}  // namespace recsys
