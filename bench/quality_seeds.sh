#!/usr/bin/env bash
# Model quality across seeds: each shipped ml-100k config with ROC-AUC (as shipped: 10 epochs,
# early stopping as configured) under seeds 1, 2 and 3, and the mean test ROC-AUC per config.
# The speed work must leave these means within 0.003 (issue 7): run it before and after.
#
#   bench/quality_seeds.sh [build-dir]      (MODELS="mf neumf ..." SEEDS="1 2 3"
#                                            SET="training.sparse_optimizer=none ...": overrides)
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
models="${MODELS:-mf neumf wide_deep dcn dcn_v2 fm autoint}"
seeds="${SEEDS:-1 2 3}"
export RECSYS_DATA_DIR="${RECSYS_DATA_DIR:-$(cd .. && pwd)/shared/data}"
extra=()
for kv in ${SET:-}; do extra+=(--set "$kv"); done
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

printf "%-10s" config; for s in $seeds; do printf " %8s" "seed $s"; done; printf " %8s\n" mean
for model in $models; do
  values=()
  for seed in $seeds; do
    "$build/bin/recsys-host" run "configs/movielens_$model.toml" --log-level warn --set training.seed="$seed" \
      --set logging.output_dir="\"$out\"" --set logging.run_name="seed$seed" "${extra[@]}" > /dev/null
    values+=("$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["test"]["roc_auc"])' \
                "$(ls -d "$out"/*/seed"$seed")/summary.json")")
  done
  python3 -c 'import sys
m, v = sys.argv[1], [float(x) for x in sys.argv[2:]]
print(f"{m:<10}" + "".join(f" {x:8.4f}" for x in v) + f" {sum(v) / len(v):8.4f}")' "$model" "${values[@]}"
  rm -rf "${out:?}"/*
done
