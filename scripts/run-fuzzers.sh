#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ (clang++-14, -fsanitize=fuzzer,address,undefined; the
# CMake option RECSYS_FUZZ) in build-fuzz/, runs each target once over every input in
# fuzz/regressions/<target>/ (inputs that once crashed it), then fuzzes each for SECONDS on a
# fresh copy of its seed corpus. Fails on any crash, sanitizer report, hang (-timeout=10),
# out-of-memory (-rss_limit_mb=4096) or a property a target checks, printing the reproducer.
# Run by .ci/run after the main test run; docs/architecture.md, "Fuzzing and sanitizers".
#
# Usage: scripts/run-fuzzers.sh [SECONDS_PER_TARGET]   (default 30)
#   RECSYS_FUZZ_BUILD_DIR (default build-fuzz), RECSYS_FUZZ_CXX (default clang++-14),
#   RECSYS_FUZZ_TARGETS (default: all, space-separated).
# ccache, when installed, is the compiler launcher (the top-level CMakeLists.txt sets it).
#
# Seeds: fuzz/corpus/<target>/, plus configs/*.toml for fuzz_pipeline_config, plus what each
# target writes itself with RECSYS_FUZZ_WRITE_SEEDS=DIR (the tests' MovieLens fixtures, a
# cache and a checkpoint of our own writers and the recipes of their entries).
# Reproduce a finding: build-fuzz/bin/<target> <file>; RECSYS_FUZZ_VERBOSE=1 says what a
# torch archive input led to.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
seconds="${1:-30}"
build="${RECSYS_FUZZ_BUILD_DIR:-build-fuzz}"
cxx="${RECSYS_FUZZ_CXX:-clang++-14}"
all_targets="fuzz_pipeline_config fuzz_movielens_100k fuzz_movielens_1m fuzz_movielens_csv fuzz_movielens_cache
  fuzz_checkpoint fuzz_files_table fuzz_files_cache fuzz_serve_requests"
read -r -a targets <<< "$(echo ${RECSYS_FUZZ_TARGETS:-$all_targets})"
# The targets that write seeds of their own (LLVMFuzzerInitialize reads RECSYS_FUZZ_WRITE_SEEDS).
seed_writers=" fuzz_movielens_100k fuzz_movielens_1m fuzz_movielens_csv fuzz_movielens_cache fuzz_checkpoint fuzz_files_cache "

if ! command -v "$cxx" > /dev/null; then
  echo "run-fuzzers: $cxx not found (apt-get install clang-14 libclang-rt-14-dev, or scripts/install-deps.sh)" >&2
  exit 2
fi
start=$SECONDS
cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" -DRECSYS_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug > /dev/null
cmake --build "$build" --target "${targets[@]}"
echo "run-fuzzers: built ${targets[*]} in $((SECONDS - start)) s"

# detect_leaks stays on (libFuzzer checks each input that allocates more than it frees), with
# libtorch's own leaks suppressed (fuzz/lsan-suppressions.txt says which and why).
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:symbolize=1:detect_stack_use_after_return=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$PWD/fuzz/lsan-suppressions.txt:print_suppressions=0}"
work="$build/fuzz-work"
rm -rf "$work"
failed=()

# fail TARGET LOG DIR: reports a failed run with its reproducers (a failed regression run
# names the regression input in its log; fuzzing goes on, to find what else there is).
fail() {
  local target="$1" log="$2" dir="$3"
  failed+=("$target")
  echo "run-fuzzers: $target FAILED; the end of $log:"
  tail -n 60 "$log" | sed 's/^/    /'
  local running
  running="$(sed -n 's/^Running: //p' "$log" | tail -n 1)"
  if [ -n "$running" ]; then echo "run-fuzzers: reproducer $running (run: $build/bin/$target $running)"; fi
  for artifact in "$dir"/crash-* "$dir"/timeout-* "$dir"/oom-* "$dir"/leak-* "$dir"/slow-unit-*; do
    [ -e "$artifact" ] || continue
    echo "run-fuzzers: reproducer $artifact (run: $build/bin/$target $artifact;" \
      "keep it as fuzz/regressions/$target/<name>)"
    mv "$artifact" "$dir/reported-$(basename "$artifact")"
  done
}

for target in "${targets[@]}"; do
  binary="$build/bin/$target"
  dir="$work/$target"
  mkdir -p "$dir/corpus"
  # Each run has a limit of its own, in the foreground (timeout's --foreground: in this
  # script's process group, so that a `timeout` around the whole script, as .ci/run has, stops
  # the fuzzer too).
  # 1. The regressions: each file executed once (a list of files, not a folder: no fuzzing).
  mapfile -t regressions < <(find "fuzz/regressions/$target" -type f 2> /dev/null | sort)
  if [ ${#regressions[@]} -gt 0 ]; then
    if ! timeout --foreground 300 "$binary" -timeout=10 -rss_limit_mb=4096 -artifact_prefix="$dir/" "${regressions[@]}" \
      > "$dir/regressions.log" 2>&1; then
      fail "$target" "$dir/regressions.log" "$dir"
    else
      echo "run-fuzzers: $target: ${#regressions[@]} regression inputs pass"
    fi
  fi
  # 2. Fuzzing on a copy of the seeds.
  if [ -d "fuzz/corpus/$target" ]; then cp -r "fuzz/corpus/$target/." "$dir/corpus/"; fi
  if [ "$target" = fuzz_pipeline_config ]; then cp configs/*.toml "$dir/corpus/"; fi
  # A seed writer checks that what our writers write reads back (a cache, a checkpoint).
  if [[ "$seed_writers" == *" $target "* ]] &&
    ! RECSYS_FUZZ_WRITE_SEEDS="$dir/corpus" "$binary" > "$dir/seeds.log" 2>&1; then
    fail "$target" "$dir/seeds.log" "$dir"
  fi
  seeds=$(find "$dir/corpus" -type f | wc -l)
  if ! timeout --foreground $((seconds + 300)) "$binary" -timeout=10 -rss_limit_mb=4096 -max_total_time="$seconds" \
    -print_final_stats=1 -artifact_prefix="$dir/" "$dir/corpus" > "$dir/fuzz.log" 2>&1; then
    fail "$target" "$dir/fuzz.log" "$dir"
    continue
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/fuzz.log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/fuzz.log")
  coverage=$(grep -o 'cov: [0-9]*' "$dir/fuzz.log" | tail -n 1)
  echo "run-fuzzers: $target: ${runs:-?} runs in ${seconds} s (${rate:-?} exec/s), $coverage," \
    "corpus $seeds -> $(find "$dir/corpus" -type f | wc -l) inputs"
done

echo "run-fuzzers: done in $((SECONDS - start)) s"
if [ ${#failed[@]} -gt 0 ]; then
  echo "run-fuzzers: FAILED: $(printf '%s\n' "${failed[@]}" | sort -u | tr '\n' ' ')" >&2
  exit 1
fi
