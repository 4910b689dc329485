#!/usr/bin/env bash
# The own-data issue's loading goal (docs/results.md): the files plugin on the 25M-row file of
# `recsys-bench-generate scale`, RUNS first loads (an empty parsed cache each time) alternating
# with loads from the cache, then the median of each. One load per process, so that each first
# load's peak RSS is its own. Goals: first load under 10 s and 2 GB, from the cache under 1 s.
#   bench/files_load.sh [BUILD_DIR] [DATA_DIR] [RUNS]
set -euo pipefail
build="${1:-build}"
data="${2:-/tmp/recsys-bench-files}"
runs="${3:-5}"
[ -f "$data/interactions.tsv" ] || "$build/bin/recsys-bench-generate" scale "$data"
cache="$(mktemp -d)"
trap 'rm -rf "$cache"' EXIT
export RECSYS_PLUGIN_PATH="" XDG_CACHE_HOME="$cache"
first=() cached=() first_rss=() cached_rss=()
# Prints "<load seconds> <peak RSS MB>" of one load.
load() {
  "$build/bin/recsys-bench-files-load" "$data" 2> /dev/null |
    sed -n 's/.*load \([0-9.]*\) s, .*peak RSS \([0-9]*\) MB.*/\1 \2/p'
}
for run in $(seq "$runs"); do
  rm -rf "${cache:?}"/*
  read -r s m < <(load)
  first+=("$s") first_rss+=("$m")
  read -r s m < <(load)
  cached+=("$s") cached_rss+=("$m")
  echo "run $run: first load ${first[-1]} s / ${first_rss[-1]} MB, from the cache ${cached[-1]} s / $m MB"
done
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
echo "median of $runs: first load $(median "${first[@]}") s, peak RSS $(median "${first_rss[@]}") MB;" \
  "from the cache $(median "${cached[@]}") s, peak RSS $(median "${cached_rss[@]}") MB"
