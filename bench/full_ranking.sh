#!/usr/bin/env bash
# Full ranking by matrix product: the top 10 of 160,000 users over 60,000 items (MF of
# dimension 64, about 150 masked training items per user) under /usr/bin/time -v, then users/s
# on ml-100k by matrix product and by rows (alternated, medians).
#   bench/full_ranking.sh [BUILD_DIR] [REPEATS]
set -euo pipefail
build="${1:-build}"
repeats="${2:-5}"
export RECSYS_PLUGIN_PATH=""
: "${RECSYS_DATA_DIR:?set RECSYS_DATA_DIR to the folder holding ml-100k}"
times="$(mktemp)"
trap 'rm -f "$times"' EXIT
/usr/bin/time -v "$build/bin/recsys-bench-full-ranking" scale 160000 60000 150 2> "$times"
grep -E "Maximum resident set size|Elapsed \(wall clock\)" "$times"
"$build/bin/recsys-bench-full-ranking" ml100k "$repeats" 2> /dev/null
