#include "recsys/core/runtime_info.hpp"

#include <dlfcn.h>
#include <malloc.h>
#include <sched.h>
#include <strings.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <thread>

#include <ATen/Parallel.h>
#include <spdlog/spdlog.h>

#include "recsys/parallel.hpp"

namespace recsys::core {

namespace {
/// An OpenBLAS function of the process's BLAS, or nullptr when the BLAS has none.
template <typename Function>
Function openblas_function(const char* name) {
  return reinterpret_cast<Function>(dlsym(RTLD_DEFAULT, name));
}
}  // namespace

BlasInfo detect_blas() {
  BlasInfo info;
  info.family = "unknown";
  bool decided = false;  // an optimized BLAS was found; only the pthread check goes on
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    const auto slash = line.find('/');
    if (slash == std::string::npos) continue;
    const std::string path = line.substr(slash);
    // Debian's OpenBLAS builds live in openblas-pthread/, openblas-openmp/ and
    // openblas-serial/. Any pthread one mapped (also behind another build's libblas.so.3, see
    // scripts/install-deps.sh) runs its own pool.
    if (path.find("/openblas-pthread/") != std::string::npos) info.own_thread_pool = true;
    if (decided) continue;
    const auto name = path.substr(path.rfind('/') + 1);
    const auto found = [&](const char* family) {
      info.family = family;
      info.library = path;
      decided = true;
    };
    if (name.find("libopenblas") == 0 || path.find("/openblas") != std::string::npos) {
      if (name.find("blas") != std::string::npos) found("openblas");
    } else if (name.find("libmkl_rt") == 0) {
      found("mkl");
    } else if (name.find("libblis") == 0) {
      found("blis");
    } else if (name.find("libblas.so") == 0) {  // the reference BLAS unless it is a symlink to another
      info.family = "reference";
      info.library = path;
    }
  }
  if (info.family == "openblas") {
    if (auto get = openblas_function<int (*)()>("openblas_get_num_threads")) info.threads = get();
    if (auto get = openblas_function<char* (*)()>("openblas_get_corename")) info.core = get();
    if (const char* forced = std::getenv("OPENBLAS_CORETYPE")) info.core_from_environment = forced;
  }
  return info;
}

CpuVectorSupport cpu_vector_support() {
  __builtin_cpu_init();
  CpuVectorSupport cpu;
  // libgcc's checks include the OS's XSAVE support of the AVX-512 registers.
  cpu.avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
  cpu.avx512_bf16 = cpu.avx512 && __builtin_cpu_supports("avx512bf16");
  cpu.avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return cpu;
}

std::string faster_openblas_core(const std::string& core, const CpuVectorSupport& cpu) {
  const auto named = [&core](std::initializer_list<const char*> names) {
    return std::any_of(names.begin(), names.end(), [&core](const char* n) { return strcasecmp(core.c_str(), n) == 0; });
  };
  const std::string avx512 = !cpu.avx512 ? "" : cpu.avx512_bf16 ? "Cooperlake" : "SkylakeX";
  if (named({"Haswell", "Zen"})) return avx512;
  const bool older = named({"Prescott", "Core2", "Penryn", "Dunnington", "Nehalem", "Atom", "Sandybridge", "Barcelona",
                            "Bobcat", "Bulldozer", "Piledriver", "Steamroller", "Excavator"});
  if (!older) return "";
  return !avx512.empty() ? avx512 : cpu.avx2 ? "Haswell" : "";
}

void configure_allocator() {
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's maximum on 64-bit; also fixes the threshold
  mallopt(M_TRIM_THRESHOLD, 1 << 30);   // keep up to 1 GiB of free heap top
}

bool let_openblas_workers_sleep() {
  if (std::getenv("OPENBLAS_THREAD_TIMEOUT")) return false;  // the user's setting
  auto read_env = openblas_function<int (*)()>("openblas_read_env");
  auto shutdown = openblas_function<int (*)()>("blas_thread_shutdown_");
  if (!read_env || !shutdown) return false;
  setenv("OPENBLAS_THREAD_TIMEOUT", "22", 0);
  read_env();
  shutdown();  // the pool restarts, with the new timeout, at the next threaded call
  return true;
}

namespace {

// The cores this process may run on: its CPU affinity mask (taskset, cgroups' cpusets, a
// scheduler's allocation), not every core of the machine.
int usable_cores() {
  cpu_set_t mask;
  if (sched_getaffinity(0, sizeof mask, &mask) == 0) return std::max(1, CPU_COUNT(&mask));
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

}  // namespace

ThreadPlan configure_threads(int threads, int local_ranks) {
  ThreadPlan plan;
  const int hardware = usable_cores();
  plan.cores = threads > 0 ? threads : std::max(1, hardware / std::max(1, local_ranks));
  plan.blas_info = detect_blas();
  const BlasInfo& blas = plan.blas_info;
  plan.intra_op = blas.own_thread_pool ? 1 : plan.cores;
  at::set_num_threads(plan.intra_op);
  plan.intra_op = at::get_num_threads();
  set_compute_threads(plan.cores);
  if (blas.own_thread_pool && blas.family == "openblas") let_openblas_workers_sleep();
  if (blas.family == "openblas") {
    if (auto set = openblas_function<void (*)(int)>("openblas_set_num_threads")) {
      set(plan.cores);
      plan.blas = plan.blas_info.threads = plan.cores;
    }
  }
  return plan;
}

namespace {

/// A warning when OpenBLAS runs older kernels than the CPU has (its choice, or the environment's).
void warn_about_blas_kernels(const BlasInfo& blas) {
  const std::string faster = faster_openblas_core(blas.core, cpu_vector_support());
  if (faster.empty()) return;
  if (!blas.core_from_environment.empty()) {
    spdlog::warn(
        "BLAS: OPENBLAS_CORETYPE={} holds OpenBLAS to older kernels than this CPU runs; `unset "
        "OPENBLAS_CORETYPE` (or set it to {}) to let OpenBLAS use its {} kernels, about twice the GEMM "
        "throughput on MLP models (bench/matmul_efficiency.sh measures it on your machine)",
        blas.core_from_environment, faster, faster);
  } else {
    spdlog::warn(
        "BLAS: OpenBLAS chose its {} kernels, older than this CPU runs (it does not recognise the CPU "
        "model, as in many virtual machines); OPENBLAS_CORETYPE={} selects its {} kernels, 2-3x the "
        "GEMM throughput on MLP models (bench/matmul_efficiency.sh measures it on your machine)",
        blas.core, faster, faster);
  }
}

}  // namespace

void log_blas(const ThreadPlan& threads) {
  const BlasInfo& blas = threads.blas_info;
  if (blas.family == "reference") {
    spdlog::warn(
        "BLAS: {} is the reference BLAS, 10-20x slower on MLP models; select OpenBLAS "
        "(apt-get install libopenblas0-pthread; update-alternatives --config libblas.so.3-x86_64-linux-gnu)",
        blas.library);
    return;
  }
  std::string details = blas.library.empty() ? std::string("not mapped") : blas.library;
  if (blas.threads > 0) details += ", " + std::to_string(blas.threads) + (blas.threads == 1 ? " thread" : " threads");
  if (!blas.core.empty()) details += ", " + blas.core + " kernels";
  if (!blas.core_from_environment.empty()) details += " from OPENBLAS_CORETYPE";
  spdlog::info("BLAS: {} ({}), torch intra-op threads: {}{}", blas.family, details, threads.intra_op,
               blas.own_thread_pool && threads.cores > 1 ? " (the BLAS's own pool runs the GEMMs on the cores)" : "");
  warn_about_blas_kernels(blas);
}

}  // namespace recsys::core
