#!/usr/bin/env bash
# Serving load on loopback: trains the shipped MF and DCN-V2 configs on ml-100k (3 epochs),
# serves each with `recsys-host serve`, and runs recsys-bench-serve-load's closed loop against
# it: MF GET /recommend top-10 (seen items excluded) at 1, 8 and 64 clients, DCN-V2 POST /score
# of 200 candidates at 1 and 8 clients. Each round is bounded by REQUESTS requests and SECONDS;
# the two servers alternate for REPEATS repeats and the medians per row are printed last.
#   bench/serve_load.sh [BUILD_DIR] [REPEATS] [REQUESTS] [SECONDS]
set -euo pipefail
build="${1:-build}"
repeats="${2:-3}"
requests="${3:-20000}"
seconds="${4:-8}"
export RECSYS_PLUGIN_PATH=""
: "${RECSYS_DATA_DIR:?set RECSYS_DATA_DIR to the folder holding ml-100k}"
host="$build/bin/recsys-host"
work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2> /dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

for model in mf dcn_v2; do
  "$host" run "configs/movielens_${model}.toml" --set training.epochs=3 --set logging.run_name=load \
    --set "logging.output_dir=\"$work\"" > "$work/train_${model}.log" 2>&1
done

# Starts a server on a free port for the run of $1; sets $port.
serve() {
  : > "$work/serve_$1.log"  # exists before the background job opens it: sed below reads it at once
  "$host" serve "$work/movielens_$1/load" --port 0 > "$work/serve_$1.log" 2>&1 &
  pids+=("$!")
  for _ in $(seq 200); do
    port="$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/serve_$1.log")"
    if [ -n "$port" ]; then return; fi
    sleep 0.1
  done
  echo "serve_load: the $1 server did not start:" >&2
  cat "$work/serve_$1.log" >&2
  exit 1
}
serve mf
mf_port="$port"
serve dcn_v2
dcn_port="$port"

load="$build/bin/recsys-bench-serve-load"
rows="$work/rows"
for repeat in $(seq "$repeats"); do
  echo "repeat $repeat"
  "$load" --url "http://127.0.0.1:$mf_port" --workload recommend --clients 1,8,64 \
    --requests "$requests" --seconds "$seconds" | sed 's/^recommend/mf_recommend/' | tee -a "$rows"
  "$load" --url "http://127.0.0.1:$dcn_port" --workload score --candidates 200 --clients 1,8 \
    --requests "$requests" --seconds "$seconds" | sed 's/^score/dcn_v2_score/' | tee -a "$rows"
done

echo "medians over $repeats repeats:"
python3 - "$rows" << 'EOF'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    f = line.split()
    if f[0] != "workload":
        rows.setdefault((f[0], int(f[1])), []).append(f)
for (workload, clients), runs in sorted(rows.items()):
    med = lambda k: statistics.median(float(r[k]) for r in runs)
    errors = sum(int(r[3]) for r in runs)
    print(f"{workload:14s} {clients:3d} clients: {med(4):8.0f} requests/s, p50 {med(5):7.3f} ms, "
          f"p99 {med(6):7.3f} ms, max {max(float(r[7]) for r in runs):8.3f} ms, errors {errors}")
EOF
