#!/usr/bin/env bash
# Installs everything recsys needs to build and test on Debian 12, and makes OpenBLAS the
# BLAS that libtorch calls: Debian's libtorch uses whatever libblas.so.3 the alternatives
# system selects, and the reference BLAS makes the MLP models 10-20x slower. Of Debian's
# OpenBLAS builds, the OpenMP one: it shares libtorch's OpenMP thread pool, where the pthread
# build runs a second pool whose threads and OpenMP's spin against each other between calls
# (2 cores: DCN-V2 15k -> 34k samples/s, AutoInt 10k -> 17k, for recsys and PyTorch alike).
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

packages=(
  cmake ninja-build g++ ccache pkg-config
  libtorch-dev
  libboost-dev libboost-filesystem-dev libboost-program-options-dev
  libtomlplusplus-dev libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libcurl4-openssl-dev libarchive-dev libssl-dev
  libgloo-dev
  libopenblas0-openmp
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
openblas="/usr/lib/${arch}/openblas-openmp/libblas.so.3"
if [ -e "$openblas" ]; then
  $SUDO update-alternatives --quiet --set "libblas.so.3-${arch}" "$openblas"
fi
if [ -e "/usr/lib/${arch}/openblas-openmp/liblapack.so.3" ]; then
  $SUDO update-alternatives --quiet --set "liblapack.so.3-${arch}" "/usr/lib/${arch}/openblas-openmp/liblapack.so.3"
fi
echo "install-deps: BLAS is $(readlink -f "/usr/lib/${arch}/libblas.so.3")"
