// The thread plan: cores divided among local ranks, and never two spinning pools at full size.
#include <gtest/gtest.h>

#include <dlfcn.h>

#include <algorithm>
#include <thread>

#include <ATen/Parallel.h>

#include "recsys/core/runtime_info.hpp"

namespace recsys {
namespace {

int openblas_threads() {
  using GetThreads = int (*)();
  auto get = reinterpret_cast<GetThreads>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  return get ? get() : -1;
}

TEST(ThreadPlanTest, ExplicitCountGoesToOneOfTheTwoPoolsAndTheBlas) {
  const core::BlasInfo blas = core::detect_blas();
  const core::ThreadPlan plan = core::configure_threads(3);
  EXPECT_EQ(plan.cores, 3);
  // A BLAS with its own pthread pool gets the cores; torch's OpenMP pool then runs alone.
  EXPECT_EQ(plan.intra_op, blas.own_thread_pool ? 1 : 3);
  EXPECT_EQ(at::get_num_threads(), plan.intra_op);
  if (blas.family == "openblas") {
    EXPECT_EQ(plan.blas, 3);
    EXPECT_EQ(openblas_threads(), 3);
  }
}

TEST(ThreadPlanTest, DefaultSharesTheHardwareAmongLocalRanks) {
  const int hardware = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  EXPECT_EQ(core::configure_threads(0, 1).cores, hardware);
  EXPECT_EQ(core::configure_threads(0, 2).cores, std::max(1, hardware / 2));
  EXPECT_EQ(core::configure_threads(0, 4 * hardware).cores, 1);
}

}  // namespace
}  // namespace recsys
