#!/usr/bin/env bash
# Training throughput of recsys and of the PyTorch reference (../shared/reference/
# pytorch_baseline.py, Debian's python3-torch: the same libtorch 1.13), side by side, run
# alternately per architecture on this machine. Both draw fresh negatives every epoch
# (--resample-negatives on the reference's side) and train BATCHES batches of 4096 per epoch
# after a warm-up epoch. Prints one row per architecture: both samples/s and the ratio, and
# the GEMM peak with each side's Linear-layer FLOP rate as a fraction of it.
#
#   bench/compare_pytorch.sh [build-dir]     (BATCHES=48, a whole epoch, by default; ARCHS="mf fm" for some)
#   BLAS=openblas-pthread bench/compare_pytorch.sh   # both sides on another of Debian's OpenBLAS
#                                                    # builds (LD_LIBRARY_PATH), default: the system's
#   env -u OPENBLAS_CORETYPE bench/compare_pytorch.sh  # both sides on the kernels OpenBLAS picks for
#                                                    # this CPU when the environment pins a kernel set
# Needs: apt-get install python3-torch python3-sklearn python3-numpy
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
batches="${BATCHES:-48}"  # 48 batches of 4096: a whole ml-100k epoch
reference="${RECSYS_REFERENCE:-../shared/reference/pytorch_baseline.py}"
export RECSYS_DATA_DIR="${RECSYS_DATA_DIR:-$(cd .. && pwd)/shared/data}"
cmake --build "$build" --target recsys-bench-train > /dev/null
if [ -n "${BLAS:-}" ]; then
  export LD_LIBRARY_PATH="/usr/lib/$(gcc -print-multiarch)/$BLAS${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
echo "BLAS for both sides: $(python3 -c 'import ctypes.util, os, sys
for d in os.environ.get("LD_LIBRARY_PATH", "").split(":") + ["/usr/lib/" + sys.argv[1]]:
    p = os.path.join(d, "libblas.so.3")
    if d and os.path.exists(p): print(os.path.realpath(p)); break' "$(gcc -print-multiarch)")"

json_counter() {  # json_counter BENCHMARK_JSON NAME_PREFIX COUNTER
  python3 -c 'import json,sys
data = json.loads(sys.argv[1])
print(next(b[sys.argv[3]] for b in data["benchmarks"] if b["name"].startswith(sys.argv[2])))' "$1" "$2" "$3"
}
bench() { RECSYS_BENCH_BATCHES="$batches" "$build/bin/recsys-bench-train" --benchmark_format=json --benchmark_filter="$1" 2>/dev/null; }

peak_json="$(bench '^gemm_peak/')"
echo "OpenBLAS kernels for both sides: ${OPENBLAS_CORETYPE:+OPENBLAS_CORETYPE=}${OPENBLAS_CORETYPE:-chosen by OpenBLAS}" \
     "(recsys runs: $(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["context"].get("blas", "?"))' "$peak_json"))"
reference_log="${REFERENCE_LOG:-$(mktemp -t recsys-reference-XXXXXX.log)}"
echo "reference stderr: $reference_log"
peak=$(json_counter "$peak_json" gemm_peak gflops)
printf "single-precision GEMM peak (2048^3 torch::mm, %s threads): %.1f GFLOP/s\n" "$(nproc)" "$peak"
printf "%-14s %12s %12s %7s %16s\n" architecture "recsys/s" "pytorch/s" ratio "Linear FLOP/peak"
declare -A names=([mf]=NeuralInnerProduct [neumf]=NeuralColabFilter [wide_deep]=WideAndDeep [dcn]=DCN
                  [dcn_v2]=DCNV2 [fm]=FactorizationMachines [autoint]=AutoInt)
for arch in ${ARCHS:-mf neumf wide_deep dcn dcn_v2 fm autoint}; do
  ours=$(bench "^${arch}/")
  ours_rate=$(json_counter "$ours" "$arch/" samples_per_s)
  ours_gflops=$(json_counter "$ours" "$arch/" linear_gflops)
  # A failed reference run is reported on its row; the others still run.
  if ! theirs=$(/usr/bin/python3 "$reference" --model "${names[$arch]}" --epochs 4 --resample-negatives --no-val \
                --no-ranking --threads "$(nproc)" --max-train-batches "$batches" 2>>"$reference_log" |
                python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["samples_per_s_epochs2_N"])' 2>/dev/null); then
    printf "%-14s %12.0f %12s (reference run failed: see %s)\n" "$arch" "$ours_rate" "-" "$reference_log"
    continue
  fi
  python3 -c 'import sys
arch, ours, theirs, gflops, peak = sys.argv[1], *map(float, sys.argv[2:])
print(f"{arch:<14} {ours:12,.0f} {theirs:12,.0f} {ours / theirs:6.2f}x {100 * gflops / peak:15.0f}%")' \
    "$arch" "$ours_rate" "$theirs" "$ours_gflops" "$peak"
done
