// An LD_PRELOAD interposer that times every single-precision GEMM the process hands to the
// BLAS (the Fortran entry sgemm_, which Debian's libtorch calls for mm/addmm/bmm) and, at exit,
// writes one line per (transposes, m, n, k): calls and seconds. The kernels' own rate, with no
// profiler in the process to perturb its heap and caches (torch's profiler made some of
// Wide&Deep's GEMMs look twice as slow as they run). Used by bench/matmul_efficiency.sh:
//
//   LD_PRELOAD=build/lib/librecsys-gemm-timer.so RECSYS_GEMM_TIMER_OUT=gemm.txt PROGRAM
//   gemm.txt: "TRANSA TRANSB M N K CALLS SECONDS" per line (column-major, as BLAS sees it)
#include <dlfcn.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <tuple>

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
}
