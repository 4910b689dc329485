#pragma once
/// @file
/// What the process computes with: the BLAS library mapped into it and the thread counts.
/// Debian's libtorch calls whatever libblas.so.3 the alternatives system selects; the
/// reference BLAS makes the MLP models 10-20x slower than OpenBLAS.

#include <string>

namespace recsys::core {

struct BlasInfo {
  std::string library;  ///< path of the mapped BLAS shared object, or "" if none found
  std::string family;   ///< "openblas", "reference", "mkl", "blis" or "unknown"
  int threads = -1;     ///< OpenBLAS's own thread count, -1 when not OpenBLAS
  /// Whether the BLAS runs its own pthread pool (openblas-pthread) rather than OpenMP's or
  /// none: its workers and torch's OpenMP workers then busy-wait against each other.
  bool own_thread_pool = false;
  /// OpenBLAS's kernel set ("Haswell", "SkylakeX", ...: openblas_get_corename()), "" otherwise.
  std::string core;
  /// OPENBLAS_CORETYPE as the environment set it ("" when unset): OpenBLAS then runs that
  /// kernel set instead of choosing one for the CPU.
  std::string core_from_environment;
};

/// Reads /proc/self/maps for the BLAS shared object the process mapped.
BlasInfo detect_blas();

/// The vector support that decides which OpenBLAS kernels a CPU can run (OS support included).
struct CpuVectorSupport {
  bool avx512 = false;       ///< AVX512 F, BW, DQ and VL: OpenBLAS's SkylakeX kernels
  bool avx512_bf16 = false;  ///< and AVX512_BF16: its Cooperlake kernels
  bool avx2 = false;         ///< AVX2 and FMA: its Haswell kernels
};
CpuVectorSupport cpu_vector_support();

/// The faster kernel set OpenBLAS has for a CPU with `cpu`'s support when `core` names an
/// older one: the AVX-512 set ("Cooperlake" with AVX512_BF16, else "SkylakeX") for AVX2 kernels
/// ("Haswell", "Zen"), and the best of those or "Haswell" for SSE or AVX kernels ("Prescott",
/// "Nehalem", "Sandybridge", ...: what OpenBLAS picks on a CPU model it does not recognise, as
/// in virtual machines that report a plain "Intel Xeon Processor"); "" when `core` is the best. OpenBLAS 0.3.21 makes
/// that choice itself unless OPENBLAS_CORETYPE overrides it: on this project's 2-core AMD machine, whose environment
/// sets OPENBLAS_CORETYPE=Haswell, the 2048^3 sgemm runs at 235 GFLOP/s with the Haswell kernels and at about 450 with
/// the Cooperlake ones.
std::string faster_openblas_core(const std::string& core, const CpuVectorSupport& cpu);

/// Keeps freed memory blocks of up to 32 MiB in glibc's heap instead of returning each to
/// the kernel: by default blocks over 128 KiB are mmap'ed and unmapped one by one, so every
/// training step's activations fault their pages in again (FM on ml-100k: 450k -> 900k
/// samples/s). Process-wide; call once at start.
void configure_allocator();

/// How the process's cores are shared between torch's OpenMP pool and the BLAS.
struct ThreadPlan {
  int cores = 1;       ///< the budget: `[training] threads`, or cores / ranks on this machine
  int intra_op = 1;    ///< torch's intra-op (OpenMP) threads
  int blas = -1;       ///< OpenBLAS threads (-1: not OpenBLAS, left alone)
  BlasInfo blas_info;  ///< the BLAS the plan was made for (`threads`: as the plan set them)
};

/// Logs the BLAS in use, its threads and kernels, and warns about the reference BLAS and about
/// OpenBLAS kernels older than the CPU runs (faster_openblas_core).
void log_blas(const ThreadPlan& threads);

/// OpenBLAS's pthread workers spin, calling sched_yield, for 2^28 cycles (about 0.1 s) after
/// each call before they sleep, so between GEMMs they hold the cores that the run's own kernels
/// (recsys::parallel_for) and the background epoch draw want (perf, AutoInt: 30% of the samples
/// in sched_yield). Unless the user set OPENBLAS_THREAD_TIMEOUT, sets it to 22 (2^22 cycles,
/// about 1.6 ms: they still spin through the short gaps between an MLP step's GEMMs, whose
/// kernels lost 20 points of the GEMM peak to wake-ups with 2^4, and sleep in longer phases),
/// has OpenBLAS read its environment again (openblas_read_env) and stops its pool
/// (blas_thread_shutdown_), which restarts with that timeout at the next threaded call, as
/// OpenBLAS does after a fork. Measured on 2 cores: AutoInt 20.1k -> 24.7k samples/s with its
/// attention split over both cores, DCN-V2 about +5%. Returns whether it changed the setting
/// (false when the variable is already set, by the user or an earlier call, or without those
/// OpenBLAS symbols).
bool let_openblas_workers_sleep();

/// Gives the process `threads` cores (<= 0: hardware threads / `local_ranks`). With a BLAS
/// that runs its own pthread pool (Debian's openblas-pthread), the GEMMs get every core and
/// torch's intra-op pool one thread: between parallel regions OpenMP's workers spin, and
/// OpenBLAS's yield, so both pools at full size oversubscribe the cores (measured on
/// 2 cores: DCN-V2 14.9k -> 28.7k samples/s), and its idle workers sleep
/// (let_openblas_workers_sleep). Otherwise torch gets every core and OpenBLAS (OpenMP build) the
/// same count. recsys::compute_threads() reports the budget to plugins' own kernels. Returns
/// what was set.
ThreadPlan configure_threads(int threads, int local_ranks = 1);

}  // namespace recsys::core
