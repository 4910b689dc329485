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
for model in $models; do
  for rep in $(seq 1 "$repeats"); do
    LD_PRELOAD="$timer" RECSYS_GEMM_TIMER_OUT="$work/$model.$rep.calls" RECSYS_GEMM_TIMER_PEAK_EVERY="${PEAK_EVERY:-200}" \
      bench "^${model}/" > /dev/null
    bench "^(gemm_peak|${model}/)" > "$work/$model.$rep.json"
  done
done
python3 - "$work" "$repeats" "${SHAPES:-0}" $models <<'PY'
import json, statistics, sys
work, repeats, shapes, models = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1", sys.argv[4:]
LAYOUT = "{:<10} {:<6} {:>13} | {:>15} {:>8} | {:>12} {:>8} {:>8} | {:>11} {:>12} {:>8}"

def measure(model, rep):
    """One repetition: the timer's calls and the untimed run's counters -> figures, shape rows."""
    sums = {"peak": [0.0, 0.0], "gemm": [0.0, 0.0], "mv": [0.0, 0.0]}  # FLOPs, seconds
    rows = []
    for line in open(f"{work}/{model}.{rep}.calls"):
        ta, tb, m, n, k, count, seconds = line.split()
        m, n, k, count, seconds = int(m), int(n), int(k), int(count), float(seconds)
        flops = 2.0 * m * n * k * count
        kind = "peak" if ta == "P" else "mv" if min(m, n, k) == 1 else "gemm"
        sums[kind][0] += flops
        sums[kind][1] += seconds
        if kind != "peak":
            rows.append((seconds, flops, f"{ta}{tb} m={m} n={n} k={k}", count))
    step = json.load(open(f"{work}/{model}.{rep}.json"))
    counters = {b["name"].split("/")[0]: b for b in step["benchmarks"]}
    peak = sums["peak"][0] / sums["peak"][1] / 1e9
    matmul_s = sums["gemm"][1] + sums["mv"][1]
    step_peak = (counters["gemm_peak"]["gflops"] + counters["gemm_peak_after"]["gflops"]) / 2
    figures = {
        "peak": peak,
        "gemms": sums["gemm"][0] / sums["gemm"][1] / 1e9,
        "all": (sums["gemm"][0] + sums["mv"][0]) / matmul_s / 1e9,
        "mv_time": 100 * sums["mv"][1] / matmul_s,
        "step_peak": step_peak,
        "step": counters[model]["linear_gflops"],
    }
    return figures, rows, matmul_s, step["context"].get("blas", "?")

def fractions(f):
    """The figures as fractions of the peak they are taken against."""
    return {"gemms": f["gemms"] / f["peak"], "all": f["all"] / f["peak"], "step": f["step"] / f["step_peak"]}

def print_row(model, run, f, fr):
    print(LAYOUT.format(model, run, f"{f['peak']:.1f}", f"{f['gemms']:.1f}", f"{100 * fr['gemms']:.0f}%",
                        f"{f['all']:.1f}", f"{100 * fr['all']:.0f}%", f"{f['mv_time']:.1f}%",
                        f"{f['step_peak']:.1f}", f"{f['step']:.1f}", f"{100 * fr['step']:.0f}%"))

for index, model in enumerate(models):
    runs = [measure(model, rep) for rep in range(1, repeats + 1)]
    if index == 0:
        print(f"BLAS: {runs[0][3]}")
        print(LAYOUT.format("model", "run", "sampled peak", "GEMMs GFLOP/s", "of peak", "all matmuls", "of peak",
                            "mv time", "peak (step)", "step GFLOP/s", "of peak"))
    for rep, (figures, rows, matmul_s, _) in enumerate(runs, start=1):
        print_row(model, rep, figures, fractions(figures))
        if shapes and rep == 1:
            for s, f, name, count in sorted(rows, reverse=True):
                rate = f / s / 1e9
                print(f"    {name:<24} {count:5} calls {1e3 * s:8.1f} ms {100 * s / matmul_s:5.1f}% of matmul time "
                      f"{rate:7.1f} GFLOP/s {100 * rate / figures['peak']:4.0f}%")
    # The median of each figure, and of each fraction, over the repetitions.
    median = {key: statistics.median(r[0][key] for r in runs) for key in runs[0][0]}
    median_fractions = {key: statistics.median(fractions(r[0])[key] for r in runs) for key in ("gemms", "all", "step")}
    print_row(model, "median", median, median_fractions)
PY
