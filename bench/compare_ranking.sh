#!/usr/bin/env bash
# BPR-MF (or LightGCN) side by side with the idiomatic PyTorch reference (../shared/reference/pytorch_ranking.py)
# on ml-100k under RecBole's protocol, with the reference's training choices on both sides
# (embedding 64, batch 2048, Adam 1e-3, one uniform negative avoiding training items, Xavier
# initialisation): training positives per second over epochs 2..N (median, as the reference
# counts), alternating the two programs RUNS times; then the medians.
#   bench/compare_ranking.sh [BUILD_DIR] [EPOCHS] [RUNS] [bpr|lightgcn]
set -euo pipefail
build="${1:-build}"
epochs="${2:-6}"
runs="${3:-3}"
model="${4:-bpr}"
case "$model" in bpr | lightgcn) ;; *) echo "compare_ranking: model bpr or lightgcn, not $model" >&2; exit 2 ;; esac
root="$(cd "$(dirname "$0")/.." && pwd)"
data="${RECSYS_DATA_DIR:?set RECSYS_DATA_DIR to the folder holding ml-100k}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
export RECSYS_PLUGIN_PATH=""
ours=() theirs=()
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
# shellcheck source=bench/reference_choices.sh
source "$root/bench/reference_choices.sh"
reference_choices "$root" "$model" "$out/reference_choices.toml"
for run in $(seq "$runs"); do
  "$build/bin/recsys-host" run "$out/reference_choices.toml" --set "logging.output_dir=$out" --set "training.epochs=$epochs" \
    --set early_stopping.patience=0 > "$out/ours.log" 2>&1
  # Rows per second / 2: each positive trains with its one negative.
  rate=$(grep -o 'epoch [0-9]*/[0-9]*: train loss [0-9.]*, [0-9.]*k samples/s' "$out/ours.log" | tail -n +2 |
    awk '{print $(NF - 1)}' | tr -d k | awk '{print $1 * 1000 / 2}')
  ours+=("$(median $rate)")
  /usr/bin/python3 "$root/../shared/reference/pytorch_ranking.py" --model "$model" --epochs "$epochs" --no-early-stop \
    --threads "$(nproc)" --data-dir "$data/ml-100k" 2> /dev/null > "$out/theirs.json"
  theirs+=("$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["train_samples_per_s_after_first"])' \
    "$out/theirs.json")")
  echo "run $run: recsys ${ours[-1]} positives/s, reference ${theirs[-1]} positives/s"
done
m_ours=$(median "${ours[@]}") m_theirs=$(median "${theirs[@]}")
echo "median of $runs: recsys $m_ours, reference $m_theirs positives/s; ratio $(awk -v a="$m_ours" -v b="$m_theirs" 'BEGIN {printf "%.2f", a / b}')"
