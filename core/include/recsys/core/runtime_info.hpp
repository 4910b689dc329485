#pragma once
/// @file
/// What the process computes with: the BLAS library mapped into it and the thread counts.
/// Debian's libtorch calls whatever libblas.so.3 the alternatives system selects; the
/// reference BLAS makes the MLP models 10-20x slower than OpenBLAS.

#include <string>

namespace recsys::core {

struct BlasInfo {
  std::string library;   ///< path of the mapped BLAS shared object, or "" if none found
  std::string family;    ///< "openblas", "reference", "mkl", "blis" or "unknown"
  int threads = -1;      ///< OpenBLAS's own thread count, -1 when not OpenBLAS
};

/// Reads /proc/self/maps for the BLAS shared object the process mapped.
BlasInfo detect_blas();

/// Sets torch's intra-op threads (`threads` <= 0: one per core) and returns the count used.
int configure_threads(int threads);

}  // namespace recsys::core
