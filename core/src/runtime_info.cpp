#include "recsys/core/runtime_info.hpp"

#include <dlfcn.h>

#include <fstream>
#include <thread>

#include <ATen/Parallel.h>

namespace recsys::core {

BlasInfo detect_blas() {
  BlasInfo info;
  info.family = "unknown";
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    const auto slash = line.find('/');
    if (slash == std::string::npos) continue;
    const std::string path = line.substr(slash);
    const auto name = path.substr(path.rfind('/') + 1);
    if (name.find("libopenblas") == 0 || path.find("/openblas") != std::string::npos) {
      if (name.find("blas") == std::string::npos) continue;
      info.family = "openblas";
      info.library = path;
      break;
    }
    if (name.find("libmkl_rt") == 0) {
      info.family = "mkl";
      info.library = path;
      break;
    }
    if (name.find("libblis") == 0) {
      info.family = "blis";
      info.library = path;
      break;
    }
    if (name.find("libblas.so") == 0) {  // the reference BLAS unless it is a symlink to another
      info.family = "reference";
      info.library = path;
    }
  }
  if (info.family == "openblas") {
    using GetThreads = int (*)();
    if (auto get = reinterpret_cast<GetThreads>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"))) {
      info.threads = get();
    }
  }
  return info;
}

int configure_threads(int threads) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(threads);
  return at::get_num_threads();
}

}  // namespace recsys::core
