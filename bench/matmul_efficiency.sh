#!/usr/bin/env bash
# How close the GEMM-bound architectures' matmuls run to this machine's GEMM peak. Each model
# trains BATCHES batches per pass (recsys-bench-train, 3 timed passes after a warm-up epoch)
# with build/lib/librecsys-gemm-timer.so preloaded, which times every sgemm_ call at the BLAS
# boundary (no profiler in the process). Reported per model:
#   kernels: the GEMMs' FLOPs (2mnk per call) over their summed time, the kernels' own rate;
#   step:    the Linear layers' FLOPs (6 x in x out per example) over the wall time of the
#            training passes (measured without the timer), the whole step's matmul rate;
# both as a fraction of the GEMM peak (2048^3 torch::mm) measured in the same process.
# SHAPES=1 adds each model's GEMMs by shape. The warm-up epoch's calls are counted too.
#
#   bench/matmul_efficiency.sh [build-dir]      (MODELS="wide_deep dcn dcn_v2" BATCHES=48 SHAPES=0)
#   env -u OPENBLAS_CORETYPE bench/matmul_efficiency.sh   # let OpenBLAS choose its kernels
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
models="${MODELS:-wide_deep dcn dcn_v2}"
export RECSYS_DATA_DIR="${RECSYS_DATA_DIR:-$(cd .. && pwd)/shared/data}"
export RECSYS_BENCH_BATCHES="${BATCHES:-48}"
cmake --build "$build" --target recsys-bench-train recsys-gemm-timer > /dev/null
timer="$(cd "$build/lib" && pwd)/librecsys-gemm-timer.so"
calls="$(mktemp)"
trap 'rm -f "$calls"' EXIT
bench() { "$build/bin/recsys-bench-train" --benchmark_format=json --benchmark_filter="$1" 2>/dev/null; }

echo "OPENBLAS_CORETYPE: ${OPENBLAS_CORETYPE:-unset}"
printf "%-10s %-26s %12s %15s %8s %14s %8s\n" model BLAS "peak GFLOP/s" "kernels GFLOP/s" "of peak" "step GFLOP/s" "of peak"
for model in $models; do
  step=$(bench "^(gemm_peak|${model}/)")
  LD_PRELOAD="$timer" RECSYS_GEMM_TIMER_OUT="$calls" bench "^${model}/" > /dev/null
  python3 - "$model" "$step" "$calls" "${SHAPES:-0}" <<'EOF'
import json, sys
model, step, calls, shapes = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3], sys.argv[4] == "1"
counters = {b["name"].split("/")[0]: b for b in step["benchmarks"]}
peak = counters["gemm_peak"]["gflops"]
rows = []
for line in open(calls):
    ta, tb, m, n, k, count, seconds = line.split()
    m, n, k, count, seconds = int(m), int(n), int(k), int(count), float(seconds)
    rows.append((seconds, 2.0 * m * n * k * count, f"{ta}{tb} m={m} n={n} k={k}", count))
flops = sum(r[1] for r in rows)
seconds = sum(r[0] for r in rows)
kernels = flops / seconds / 1e9
linear = counters[model]["linear_gflops"]
blas = step["context"].get("blas", "?")
print(f"{model:<10} {blas:<26} {peak:12.1f} {kernels:15.1f} {100 * kernels / peak:7.0f}% {linear:14.1f} {100 * linear / peak:7.0f}%")
if shapes:
    for s, f, name, count in sorted(rows, reverse=True):
        rate = f / s / 1e9
        print(f"    {name:<24} {count:5} calls {1e3 * s:8.1f} ms {100 * s / seconds:5.1f}% of GEMM time "
              f"{rate:7.1f} GFLOP/s {100 * rate / peak:4.0f}%")
EOF
done
