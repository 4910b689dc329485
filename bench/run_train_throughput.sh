#!/usr/bin/env bash
# Builds and runs the training-throughput benchmark, one process per architecture so that
# each peak RSS is its own. Usage: bench/run_train_throughput.sh [build-dir]
# Environment: RECSYS_DATA_DIR (folder holding ml-100k/), RECSYS_BENCH_BATCHES (default 16).
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
cmake --build "$build" --target recsys-bench-train >/dev/null
for arch in mf neumf wide_deep dcn dcn_v2 fm autoint; do
  "$build/bin/recsys-bench-train" --benchmark_filter="^${arch}/" 2>/dev/null | grep "^${arch}/"
done
