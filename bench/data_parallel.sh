#!/usr/bin/env bash
# Data-parallel scaling on this machine: training samples/s of one process and of N ranks
# (recsys-host launch --nproc N, c10d/Gloo over loopback) on the shipped ml-100k configs, and
# the scaling efficiency rate(N) / (N * rate(1)). Rates are whole epochs 2..EPOCHS from
# metrics.csv (epoch 1 pays for start-up), negative sampling included; validation excluded.
#
#   bench/data_parallel.sh [build-dir]      (NPROC=2 EPOCHS=5 MODELS="mf neumf dcn_v2 autoint")
# One process uses every core; each of N ranks uses cores / N threads, so the figure compares
# the same machine used two ways.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
nproc_ranks="${NPROC:-2}"
epochs="${EPOCHS:-5}"
models="${MODELS:-mf neumf dcn_v2 autoint}"
export RECSYS_DATA_DIR="${RECSYS_DATA_DIR:-$(cd .. && pwd)/shared/data}"
host="$build/bin/recsys-host"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

mean_rate() {  # mean samples/s of the train rows of epochs 2.. in a run's metrics.csv
  awk -F, 'NR > 1 && $2 == "train" && $1 >= 2 { sum += $NF; n++ } END { printf "%.0f", sum / n }' "$1"
}

printf "%-10s %14s %14s %11s\n" model "1 process/s" "$nproc_ranks ranks/s" efficiency
for model in $models; do
  common=(configs/movielens_$model.toml --set training.epochs="$epochs" --set logging.output_dir="\"$out\""
          --set early_stopping.patience=0 --log-level warn)
  "$host" run "${common[@]}" --set logging.run_name=single > /dev/null
  "$host" launch --nproc "$nproc_ranks" "${common[@]}" --set logging.run_name=ranks > /dev/null
  one=$(mean_rate "$out"/*/single/metrics.csv)
  many=$(mean_rate "$out"/*/ranks/metrics.csv)
  python3 -c 'import sys
m, one, many, n = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
print(f"{m:<10} {one:14,.0f} {many:14,.0f} {100 * many / (n * one):10.0f}%")' "$model" "$one" "$many" "$nproc_ranks"
  rm -rf "${out:?}"/*
done
