// The thread plan: cores divided among local ranks, and never two spinning pools at full size.
#include <gtest/gtest.h>

#include <dlfcn.h>
#include <sched.h>

#include <algorithm>
#include <cstdlib>
#include <thread>

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include "recsys/core/runtime_info.hpp"
#include "recsys/parallel.hpp"
#include "test_support.hpp"

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

TEST(ThreadPlanTest, PluginsSeeTheBudgetAndOpenBlasWorkersSleep) {
  core::configure_threads(3);
  EXPECT_EQ(compute_threads(), 3);  // what recsys::parallel_for splits over
  const core::BlasInfo blas = core::detect_blas();
  if (blas.family == "openblas" && blas.own_thread_pool && dlsym(RTLD_DEFAULT, "openblas_read_env")) {
    // The pool restarted with the shorter spin (unless the environment had set one before).
    const char* timeout = std::getenv("OPENBLAS_THREAD_TIMEOUT");
    ASSERT_NE(timeout, nullptr);
    using Getter = int (*)();
    auto current = reinterpret_cast<Getter>(dlsym(RTLD_DEFAULT, "openblas_thread_timeout"));
    ASSERT_NE(current, nullptr);
    EXPECT_EQ(current(), std::atoi(timeout));
    // A threaded GEMM after the restart still computes: a 256^3 product of ones.
    const torch::Tensor product = torch::mm(torch::ones({256, 256}), torch::ones({256, 256}));
    EXPECT_TRUE(torch::all(product == 256).item<bool>());
  }
}

/// The CPUs this thread may run on (its affinity mask).
int allowed_cpus() {
  cpu_set_t mask;
  return sched_getaffinity(0, sizeof mask, &mask) == 0 ? CPU_COUNT(&mask) : 1;
}

TEST(ThreadPlanTest, DefaultSharesTheHardwareAmongLocalRanks) {
  const int hardware = allowed_cpus();
  EXPECT_EQ(core::configure_threads(0, 1).cores, hardware);
  EXPECT_EQ(core::configure_threads(0, 2).cores, std::max(1, hardware / 2));
  EXPECT_EQ(core::configure_threads(0, 4 * hardware).cores, 1);
}

// The probe ran under `taskset -c 0`: threads = 0 took every core of the machine.
TEST(ThreadPlanTest, DefaultFollowsTheCpuAffinityMask) {
  cpu_set_t saved, one;
  ASSERT_EQ(sched_getaffinity(0, sizeof saved, &saved), 0);
  CPU_ZERO(&one);
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &saved)) {
      CPU_SET(cpu, &one);
      break;
    }
  }
  ASSERT_EQ(sched_setaffinity(0, sizeof one, &one), 0);
  const int cores = core::configure_threads(0, 1).cores;
  sched_setaffinity(0, sizeof saved, &saved);
  core::configure_threads(0, 1);
  EXPECT_EQ(cores, 1);
}

TEST(OpenBlasCoreTest, AvxTwoKernelsOnAnAvx512CpuHaveAFasterSet) {
  const core::CpuVectorSupport avx2_only{false, false}, avx512{true, false}, avx512_bf16{true, true};
  EXPECT_EQ(core::faster_openblas_core("Haswell", avx512), "SkylakeX");
  EXPECT_EQ(core::faster_openblas_core("Zen", avx512_bf16), "Cooperlake");
  EXPECT_EQ(core::faster_openblas_core("haswell", avx512_bf16), "Cooperlake");  // as OPENBLAS_CORETYPE spells it
  // The choice stands: no AVX-512, or already AVX-512 kernels, or a name we do not know.
  EXPECT_EQ(core::faster_openblas_core("Haswell", avx2_only), "");
  EXPECT_EQ(core::faster_openblas_core("SkylakeX", avx512_bf16), "");
  EXPECT_EQ(core::faster_openblas_core("Cooperlake", avx512_bf16), "");
  EXPECT_EQ(core::faster_openblas_core("", avx512), "");
}

TEST(OpenBlasCoreTest, SseOrAvxKernelsOnANewerCpuHaveAFasterSet) {
  // OpenBLAS 0.3.21 falls back to Prescott on a CPU model it does not know (a VM's "Intel Xeon
  // Processor" with AVX-512): DCN-V2's /score of 200 candidates took 10 ms there, 3.3 with SkylakeX.
  const core::CpuVectorSupport sse_only{false, false, false}, avx2{false, false, true}, avx512{true, false, true};
  EXPECT_EQ(core::faster_openblas_core("Prescott", avx512), "SkylakeX");
  EXPECT_EQ(core::faster_openblas_core("Sandybridge", avx512), "SkylakeX");
  EXPECT_EQ(core::faster_openblas_core("Nehalem", avx2), "Haswell");
  EXPECT_EQ(core::faster_openblas_core("PRESCOTT", avx2), "Haswell");
  EXPECT_EQ(core::faster_openblas_core("Prescott", sse_only), "");
}

TEST(OpenBlasCoreTest, DetectionNamesTheKernelsOpenBlasRuns) {
  const core::BlasInfo blas = core::detect_blas();
  if (blas.family != "openblas") {
    // scripts/install-deps.sh selects OpenBLAS, so under CI a different BLAS is a failure.
    RECSYS_SKIP_OUTSIDE_CI("BLAS is " << blas.family << ", not OpenBLAS (scripts/install-deps.sh selects it)");
  }
  using GetCore = char* (*)();
  auto get = reinterpret_cast<GetCore>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  ASSERT_NE(get, nullptr);
  EXPECT_EQ(blas.core, get());
  const char* forced = std::getenv("OPENBLAS_CORETYPE");
  EXPECT_EQ(blas.core_from_environment, forced ? forced : "");
}

}  // namespace
}  // namespace recsys
