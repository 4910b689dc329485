#!/usr/bin/env bash
# Training cost against the catalogue's size: each shipped config (MF, NeuMF, FM) on ml-100k
# and on the planted 25M-row file (`recsys-bench-generate planted DIR`, MovieLens-25M's layout),
# alternated RUNS times, 2 epochs each; per run the second epoch's samples/s (waiting for data
# included), the 25M run's phases (load, split, evaluation sets, each epoch, validation, test)
# and its peak RSS (/usr/bin/time -v). The ratio 25M / ml-100k is of the medians.
#   bench/scale_run.sh BUILD_DIR PLANTED_DIR [RUNS] [MODELS...]
set -euo pipefail
build="$1"
planted="$2"
runs="${3:-1}"
shift 3 || shift $#
models=("$@")
[ ${#models[@]} -gt 0 ] || models=(mf neumf fm)
root="$(cd "$(dirname "$0")/.." && pwd)"
: "${RECSYS_DATA_DIR:?set RECSYS_DATA_DIR to the folder holding ml-100k}"
export RECSYS_PLUGIN_PATH=""
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
second_epoch_rate() { grep -o 'epoch 2/2: train loss [0-9.]*, [0-9.]*k samples/s' "$1" | awk '{print $(NF - 1)}' | tr -d k; }
for model in "${models[@]}"; do
  small=() large=()
  for run in $(seq "$runs"); do
    "$build/bin/recsys-host" run "$root/configs/movielens_$model.toml" --set training.epochs=2 \
      --set "logging.output_dir=$out" > "$out/small.log" 2>&1
    small+=("$(second_epoch_rate "$out/small.log")")
    /usr/bin/time -v "$build/bin/recsys-host" run "$root/configs/movielens_$model.toml" --set training.epochs=2 \
      --set dataset.variant=25m --set "dataset.data_dir=$planted/ml-25m" --set "logging.output_dir=$out" \
      > "$out/large.log" 2>&1
    large+=("$(second_epoch_rate "$out/large.log")")
    echo "$model run $run: ml-100k ${small[-1]}k samples/s, 25M ${large[-1]}k samples/s"
    grep -oE 'dataset movielens: .*|split: .*|epoch [0-9]/2: .*|test \(.*|Maximum resident set size.*' "$out/large.log" |
      sed -E 's/(roc_auc [0-9.]*).*pr_auc [0-9.]*/\1/; s/^/    /'
  done
  m_small=$(median "${small[@]}") m_large=$(median "${large[@]}")
  echo "$model: median ml-100k ${m_small}k, 25M ${m_large}k samples/s; ratio $(awk -v a="$m_large" -v b="$m_small" 'BEGIN {printf "%.2f", a / b}')"
done
