#!/usr/bin/env bash
# How close the GEMM-bound architectures' matmuls run to this machine's GEMM peak, from a
# profile: each model trains BATCHES batches under torch's profiler; the Linear layers' FLOPs
# (6 * in * out per example: forward, input gradient, weight gradient) divided by the self time
# of the matmul operators (aten::mm, aten::addmm) is the kernels' own rate; divided by the wall
# time of the whole step, the step's rate. Both as a fraction of a 2048^3 torch::mm.
#
#   bench/matmul_efficiency.sh [build-dir]      (MODELS="wide_deep dcn dcn_v2" BATCHES=48)
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
models="${MODELS:-wide_deep dcn dcn_v2}"
export RECSYS_DATA_DIR="${RECSYS_DATA_DIR:-$(cd .. && pwd)/shared/data}"
export RECSYS_BENCH_BATCHES="${BATCHES:-48}"
trace="$(mktemp)"
trap 'rm -f "$trace"' EXIT
bench() { "$build/bin/recsys-bench-train" --benchmark_format=json --benchmark_filter="$1" 2>/dev/null; }

peak=$(bench '^gemm_peak' | python3 -c 'import json,sys; print(json.load(sys.stdin)["benchmarks"][0]["gflops"])')
printf "GEMM peak (2048^3 torch::mm): %.1f GFLOP/s\n" "$peak"
printf "%-10s %14s %14s %14s %14s\n" model "matmul GFLOP/s" "of peak" "step GFLOP/s" "of peak"
for model in $models; do
  RECSYS_BENCH_PROFILE="$trace" bench "^${model}/" | python3 -c '
import collections, json, sys
model, peak, trace = sys.argv[1], float(sys.argv[2]), sys.argv[3]
b = json.load(sys.stdin)["benchmarks"][0]
seconds = b["real_time"] * b["iterations"] / 1000.0  # real_time: ms per iteration
flops = b["linear_gflops"] * seconds                   # GFLOP of the Linear layers, in total
events = [e for e in json.load(open(trace)) if e.get("ph") == "X"]
# Self time of the matmul operators: their span minus nested operators on the same thread.
by_thread = collections.defaultdict(list)
for e in events: by_thread[e.get("tid")].append(e)
matmul_us = 0.0
for evs in by_thread.values():
    evs.sort(key=lambda e: (e["ts"], -e["dur"]))
    stack = []
    def close(until):
        global matmul_us
        while stack and stack[-1][0] <= until:
            end, name, children, dur = stack.pop()
            if name in ("aten::mm", "aten::addmm"): matmul_us += dur - children
            if stack: stack[-1][2] += dur
    for e in evs:
        close(e["ts"]); stack.append([e["ts"] + e["dur"], e["name"], 0.0, e["dur"]])
    close(float("inf"))
kernel = flops / (matmul_us / 1e6)
step = b["linear_gflops"]
print(f"{model:<10} {kernel:14.1f} {100 * kernel / peak:13.0f}% {step:14.1f} {100 * step / peak:13.0f}%")
' "$model" "$peak" "$trace"
done
