#!/usr/bin/env bash
# The own-data issue's quality check on a generated click file (docs/results.md): FM and
# DCN-V2 against the generator's Bayes-optimal AUC, and FM without the multi-valued field
# (tags) or the context field (hour). Test ROC-AUC over training seeds 1-3.
#   bench/own_data_quality.sh [BUILD_DIR] [DATA_DIR]
set -euo pipefail
build="${1:-build}"
data="${2:-/tmp/ctr}"
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"$build/bin/recsys-bench-generate" ctr "$data" --rows 1000000 --seed 1
export RECSYS_PLUGIN_PATH=""
run() {  # label, then --set arguments
  local label="$1" scores=()
  shift
  for seed in 1 2 3; do
    "$build/bin/recsys-host" run "$root/configs/generated_ctr_fm.toml" --set "dataset.data_dir=$data" \
      --set "training.seed=$seed" --set "logging.output_dir=$out" "$@" > "$out/log" 2>&1
    scores+=("$(grep -o 'test (epoch [0-9]*): loss [0-9.]*  roc_auc [0-9.]*' "$out/log" | awk '{print $NF}')")
  done
  echo "$label ${scores[*]} mean $(printf '%s\n' "${scores[@]}" | awk '{s += $1} END {printf "%.4f", s / NR}')"
}
run "fm" 
run "fm_without_tags" --set 'model.exclude_fields=["tags"]'
run "fm_without_hour" --set 'model.exclude_fields=["hour"]'
run "dcn_v2" --set model.architecture=dcn_v2 --set model.embedding_dim=8 --set 'model.deep_layers=[64, 32]' \
  --set model.cross_layers=2 --set model.dropout=0.1
