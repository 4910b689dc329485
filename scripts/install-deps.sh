#!/usr/bin/env bash
# Installs everything recsys needs to build and test on Debian 12, and makes OpenBLAS the
# BLAS that libtorch calls: Debian's libtorch uses whatever libblas.so.3 the alternatives
# system selects, and the reference BLAS makes the MLP models 10-20x slower. The pthread build
# runs its own thread pool; recsys-host sizes it and torch's OpenMP pool so that they do not
# spin against each other (core/src/runtime_info.cpp). To select the OpenMP build instead,
# switch all three alternatives (libblas.so.3, liblapack.so.3 and libopenblas.so.0): its
# libblas.so.3 loads libopenblas.so.0 through the symlink's directory, so switching only the
# first mixes the two builds in one process.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

packages=(
  cmake ninja-build g++ ccache pkg-config
  clang-format-14 python3
  # clang and its runtimes (libclang_rt.fuzzer, .asan, .ubsan) for scripts/run-fuzzers.sh;
  # -fsanitize=fuzzer links libclang_rt.fuzzer, so libfuzzer-14-dev (libFuzzer.a) is not needed.
  clang-14 libclang-rt-14-dev
  libtorch-dev
  libboost-dev libboost-filesystem-dev libboost-program-options-dev
  libtomlplusplus-dev libspdlog-dev libfmt-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libcurl4-openssl-dev libarchive-dev libssl-dev zlib1g-dev
  # recsys-host serve: the HTTP server (a compiled library with a pkg-config file)
  libcpp-httplib-dev
  # recsys-host serve --index hnsw|faiss: approximate nearest neighbours
  libhnswlib-dev libfaiss-dev
  libgloo-dev
  libopenblas0-pthread
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq "${missing[@]}"
fi

arch="$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)"
openblas="/usr/lib/${arch}/openblas-pthread/libblas.so.3"
if [ -e "$openblas" ]; then
  $SUDO update-alternatives --quiet --set "libblas.so.3-${arch}" "$openblas"
fi
if [ -e "/usr/lib/${arch}/openblas-pthread/liblapack.so.3" ]; then
  $SUDO update-alternatives --quiet --set "liblapack.so.3-${arch}" "/usr/lib/${arch}/openblas-pthread/liblapack.so.3"
fi
if update-alternatives --query "libopenblas.so.0-${arch}" > /dev/null 2>&1; then
  $SUDO update-alternatives --quiet --set "libopenblas.so.0-${arch}" "/usr/lib/${arch}/openblas-pthread/libopenblas.so.0"
fi
echo "install-deps: BLAS is $(readlink -f "/usr/lib/${arch}/libblas.so.3")"
