#!/usr/bin/env bash
# Quality side by side with ../shared/reference/pytorch_ranking.py in one go: BPR-MF (or
# LightGCN) trained to early stopping (validation NDCG@10, patience 10) under RecBole's
# protocol on ml-100k with the reference's training choices on both sides (embedding 64, batch
# 2048, Adam 1e-3, one uniform negative avoiding training items, Xavier initialisation), for
# each seed; then the test NDCG@10 of both and the difference (the goal: recsys >= reference -
# 0.005). Seeds are each program's own: the two split the data with different generators.
#   bench/compare_ranking_quality.sh [BUILD_DIR] [bpr|lightgcn] [SEEDS...]
set -euo pipefail
build="${1:-build}"
model="${2:-bpr}"
shift 2 || true
seeds=("$@")
[ ${#seeds[@]} -gt 0 ] || seeds=(1)
case "$model" in bpr | lightgcn) ;; *) echo "compare_ranking_quality: model bpr or lightgcn, not $model" >&2; exit 2 ;; esac
root="$(cd "$(dirname "$0")/.." && pwd)"
data="${RECSYS_DATA_DIR:?set RECSYS_DATA_DIR to the folder holding ml-100k}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
export RECSYS_PLUGIN_PATH=""
# shellcheck source=bench/reference_choices.sh
source "$root/bench/reference_choices.sh"
reference_choices "$root" "$model" "$out/reference_choices.toml"
ours=() theirs=()
for seed in "${seeds[@]}"; do
  "$build/bin/recsys-host" run "$out/reference_choices.toml" --set "logging.output_dir=$out" \
    --set "training.seed=$seed" > "$out/ours.log" 2>&1
  ours+=("$(grep -o 'test (epoch [0-9]*): .*' "$out/ours.log" | grep -o 'ndcg@10 [0-9.]*' | awk '{print $2}')")
  /usr/bin/python3 "$root/../shared/reference/pytorch_ranking.py" --model "$model" --seed "$seed" \
    --threads "$(nproc)" --data-dir "$data/ml-100k" 2> /dev/null > "$out/theirs.json"
  theirs+=("$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["test"]["ndcg@10"])' "$out/theirs.json")")
  echo "seed $seed: test NDCG@10 recsys ${ours[-1]}, reference ${theirs[-1]}"
done
mean() { printf '%s\n' "$@" | awk '{s += $1} END {printf "%.4f", s / NR}'; }
m_ours=$(mean "${ours[@]}") m_theirs=$(mean "${theirs[@]}")
echo "mean over ${#seeds[@]} seed(s): recsys $m_ours, reference $m_theirs; difference $(awk -v a="$m_ours" -v b="$m_theirs" 'BEGIN {printf "%+.4f", a - b}')"
