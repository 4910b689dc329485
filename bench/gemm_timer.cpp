// An LD_PRELOAD interposer that times every single-precision GEMM the process hands to the
// BLAS (the Fortran entry sgemm_, which Debian's libtorch calls for mm/addmm/bmm) and, at exit,
// writes one line per (transposes, m, n, k): calls and seconds. The kernels' own rate, with no
// profiler in the process to perturb its heap and caches (torch's profiler made some of
// Wide&Deep's GEMMs look twice as slow as they run). Used by bench/matmul_efficiency.sh:
//
//   LD_PRELOAD=build/lib/librecsys-gemm-timer.so RECSYS_GEMM_TIMER_OUT=gemm.txt PROGRAM
//   gemm.txt: "TRANSA TRANSB M N K CALLS SECONDS" per line (column-major, as BLAS sees it)
//
// recsys_gemm_timer_reset(), looked up with dlsym by a program that wants to leave its warm-up
// out, forgets every call timed so far.
//
// RECSYS_GEMM_TIMER_PEAK_EVERY=N (default 0: off) also runs, after every N-th call, one square
// GEMM of RECSYS_GEMM_TIMER_PEAK_SIZE (default 2048) on the same BLAS threads and reports those
// as "P P SIZE SIZE SIZE CALLS SECONDS": the GEMM peak sampled all through the run. This
// machine's speed drifts by up to 2x within seconds to minutes, so a peak measured before or
// after the workload can be far from the one the workload's own calls met.
#include <dlfcn.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <random>
#include <tuple>
#include <vector>

namespace {

using Sgemm = void (*)(const char*, const char*, const int*, const int*, const int*, const float*, const float*,
                       const int*, const float*, const int*, const float*, float*, const int*);
using Shape = std::tuple<char, char, int, int, int>;
struct Totals {
  long calls = 0;
  double seconds = 0.0;
};

struct Timings {
  std::mutex mutex;
  std::map<Shape, Totals> by_shape;
  ~Timings() {  // at exit: the report
    const char* path = std::getenv("RECSYS_GEMM_TIMER_OUT");
    FILE* out = path && *path ? std::fopen(path, "w") : stderr;
    if (!out) return;
    for (const auto& [shape, totals] : by_shape) {
      const auto& [ta, tb, m, n, k] = shape;
      std::fprintf(out, "%c %c %d %d %d %ld %.9f\n", ta, tb, m, n, k, totals.calls, totals.seconds);
    }
    if (out != stderr) std::fclose(out);
  }
};
Timings timings;

long env_long(const char* name, long fallback) {
  const char* value = std::getenv(name);
  if (!value || !*value) return fallback;
  char* end = nullptr;
  const long parsed = std::strtol(value, &end, 10);
  if (*end != '\0' || parsed < 0) {
    std::fprintf(stderr, "recsys-gemm-timer: %s=%s is not a non-negative integer\n", name, value);
    std::abort();
  }
  return parsed;
}

/// One square GEMM through the BLAS, timed, after every `every` calls (0: never).
struct PeakSampler {
  long every = env_long("RECSYS_GEMM_TIMER_PEAK_EVERY", 0);
  int size = static_cast<int>(env_long("RECSYS_GEMM_TIMER_PEAK_SIZE", 2048));
  long calls = 0;
  std::vector<float> a, b, c;

  void after_call(Sgemm gemm) {
    if (every <= 0 || ++calls % every != 0) return;
    if (a.empty()) {
      std::mt19937 random(7);
      std::uniform_real_distribution<float> uniform(-1.0F, 1.0F);
      const std::size_t elements = static_cast<std::size_t>(size) * static_cast<std::size_t>(size);
      a.resize(elements);
      b.resize(elements);
      c.assign(elements, 0.0F);
      for (std::size_t i = 0; i < elements; ++i) a[i] = uniform(random), b[i] = uniform(random);
      run(gemm);  // warm-up: page faults of c, the BLAS's buffers
    }
    const auto start = std::chrono::steady_clock::now();
    run(gemm);
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    Totals& totals = timings.by_shape[Shape{'P', 'P', size, size, size}];
    ++totals.calls;
    totals.seconds += elapsed.count();
  }

  void run(Sgemm gemm) {
    const char no = 'N';
    const float one = 1.0F, zero = 0.0F;
    gemm(&no, &no, &size, &size, &size, &one, a.data(), &size, b.data(), &size, &zero, c.data(), &size);
  }
};
PeakSampler peak_sampler;

}  // namespace

// Exported although the project builds with hidden visibility: it must interpose the BLAS's.
extern "C" __attribute__((visibility("default"))) void sgemm_(const char* transa, const char* transb, const int* m,
                                                              const int* n, const int* k, const float* alpha,
                                                              const float* a, const int* lda, const float* b,
                                                              const int* ldb, const float* beta, float* c,
                                                              const int* ldc) {
  static const auto next = reinterpret_cast<Sgemm>(dlsym(RTLD_NEXT, "sgemm_"));
  if (!next) {
    std::fprintf(stderr, "recsys-gemm-timer: no sgemm_ after this library (is a BLAS loaded?)\n");
    std::abort();
  }
  const auto start = std::chrono::steady_clock::now();
  next(transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  std::lock_guard<std::mutex> lock(timings.mutex);
  Totals& totals = timings.by_shape[Shape{*transa, *transb, *m, *n, *k}];
  ++totals.calls;
  totals.seconds += elapsed.count();
  // After the call, so that the sample's cache traffic does not land in the call's own time.
  peak_sampler.after_call(next);
}

// Forgets the calls and peak samples so far (recsys-bench-train calls it after its warm-up).
extern "C" __attribute__((visibility("default"))) void recsys_gemm_timer_reset() {
  std::lock_guard<std::mutex> lock(timings.mutex);
  timings.by_shape.clear();
  peak_sampler.calls = 0;
}
