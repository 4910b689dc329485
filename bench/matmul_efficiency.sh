#!/usr/bin/env bash
# How close the GEMM-bound architectures' matmuls run to this machine's GEMM peak. Each model
# trains BATCHES batches per pass (recsys-bench-train, 3 timed passes after a warm-up epoch).
# This machine's speed drifts by up to 2x within seconds to minutes, so the peak is sampled all
# through the model's own run. Per model and repetition:
#   run 1, build/lib/librecsys-gemm-timer.so preloaded: it times every sgemm_ call at the BLAS
#     boundary (no profiler in the process) and, after every PEAK_EVERY-th call, one 2048^3 GEMM
#     on the same BLAS threads (the peak, sampled about once a second);
#     GEMM kernels: the matrix-matrix products' FLOPs (2mnk per call) over their summed time,
#       against the sampled peak;
#     all matmuls: the same with the matrix-vector and outer products (one of m, n, k is 1: the
#       single-output layers), which are memory-bound by construction; their share of the time;
#   run 2, no timer: the step, the Linear layers' FLOPs (6 x in x out per example) over the wall
#     time of the training passes, against the mean of the peak measured right before and after
#     (2048^3 torch::mm; a coarser figure, the drift included).
# The median over REPEATS repetitions closes each model. SHAPES=1 adds the first repetition's
# GEMMs by shape. Only the timed passes count: recsys-bench-train resets the timer after its warm-up.
#
#   bench/matmul_efficiency.sh [build-dir]
#       (MODELS="wide_deep dcn dcn_v2" BATCHES=48 REPEATS=3 PEAK_EVERY=200 SHAPES=0)
#   env -u OPENBLAS_CORETYPE bench/matmul_efficiency.sh   # let OpenBLAS choose its kernels
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
models="${MODELS:-wide_deep dcn dcn_v2}"
repeats="${REPEATS:-3}"
export RECSYS_DATA_DIR="${RECSYS_DATA_DIR:-$(cd .. && pwd)/shared/data}"
export RECSYS_BENCH_BATCHES="${BATCHES:-48}"
cmake --build "$build" --target recsys-bench-train recsys-gemm-timer > /dev/null
timer="$(cd "$build/lib" && pwd)/librecsys-gemm-timer.so"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
bench() { "$build/bin/recsys-bench-train" --benchmark_format=json --benchmark_filter="$1" 2>/dev/null; }

echo "OPENBLAS_CORETYPE: ${OPENBLAS_CORETYPE:-unset}"
printf "BLAS: %s\n" "$(bench '^gemm_peak/' | python3 -c 'import json, sys; print(json.load(sys.stdin)["context"].get("blas", "?"))')"
printf "%-10s %-6s %13s | %15s %8s | %12s %8s %8s | %11s %12s %8s\n" model run "sampled peak" \
  "GEMMs GFLOP/s" "of peak" "all matmuls" "of peak" "mv time" "peak (step)" "step GFLOP/s" "of peak"
for model in $models; do
  for rep in $(seq 1 "$repeats"); do
    LD_PRELOAD="$timer" RECSYS_GEMM_TIMER_OUT="$work/calls" RECSYS_GEMM_TIMER_PEAK_EVERY="${PEAK_EVERY:-200}" \
      bench "^${model}/" > /dev/null
    bench "^(gemm_peak|${model}/)" > "$work/step.json"
    python3 - "$model" "$rep" "$work/step.json" "$work/calls" "${SHAPES:-0}" >> "$work/$model" <<'PY'
import json, sys
model, rep, step, calls, shapes = sys.argv[1], sys.argv[2], json.load(open(sys.argv[3])), sys.argv[4], sys.argv[5] == "1"
peak_flops = peak_s = gemm_flops = gemm_s = mv_flops = mv_s = 0.0
rows = []
for line in open(calls):
    ta, tb, m, n, k, count, seconds = line.split()
    m, n, k, count, seconds = int(m), int(n), int(k), int(count), float(seconds)
    flops = 2.0 * m * n * k * count
    if ta == "P":  # the peak's samples
        peak_flops, peak_s = peak_flops + flops, peak_s + seconds
        continue
    rows.append((seconds, flops, f"{ta}{tb} m={m} n={n} k={k}", count))
    if min(m, n, k) == 1:
        mv_flops, mv_s = mv_flops + flops, mv_s + seconds
    else:
        gemm_flops, gemm_s = gemm_flops + flops, gemm_s + seconds
peak = peak_flops / peak_s / 1e9
gemms = gemm_flops / gemm_s / 1e9
all_mm = (gemm_flops + mv_flops) / (gemm_s + mv_s) / 1e9
counters = {b["name"].split("/")[0]: b for b in step["benchmarks"]}
step_peak = (counters["gemm_peak"]["gflops"] + counters["gemm_peak_after"]["gflops"]) / 2
linear = counters[model]["linear_gflops"]
print(f"{model:<10} {rep:<6} {peak:13.1f} | {gemms:15.1f} {100 * gemms / peak:7.0f}% | {all_mm:12.1f} {100 * all_mm / peak:7.0f}% "
      f"{100 * mv_s / (gemm_s + mv_s):7.1f}% | {step_peak:11.1f} {linear:12.1f} {100 * linear / step_peak:7.0f}%")
if shapes and rep == "1":
    for s, f, name, count in sorted(rows, reverse=True):
        rate = f / s / 1e9
        print(f"    {name:<24} {count:5} calls {1e3 * s:8.1f} ms {100 * s / (gemm_s + mv_s):5.1f}% of matmul time "
              f"{rate:7.1f} GFLOP/s {100 * rate / peak:4.0f}%")
PY
  done
  cat "$work/$model"
  # The median of each fraction over the repetitions.
  grep "^$model " "$work/$model" | python3 -c '
import statistics, sys
rows = [line.replace("%", "").replace("|", "").split() for line in sys.stdin]
med = lambda i: statistics.median(float(r[i]) for r in rows)
print(f"{rows[0][0]:<10} median {med(2):13.1f} | {med(3):15.1f} {med(4):7.0f}% | {med(5):12.1f} {med(6):7.0f}% {med(7):7.1f}% | {med(8):11.1f} {med(9):12.1f} {med(10):7.0f}%")'
done
