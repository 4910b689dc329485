#!/usr/bin/env bash
# Builds a subset of the tests with AddressSanitizer and UndefinedBehaviorSanitizer (GCC,
# -DRECSYS_SANITIZE=ON: -fsanitize=address,undefined -fno-omit-frame-pointer
# -fno-sanitize-recover=undefined on every compilation and link) in build-asan/, and runs it
# with CTest. Any sanitizer report fails its test. Run by .ci/run after the main test run.
#
# Usage: scripts/sanitizer-tests.sh [BUILD_DIR]   (default build-asan; RECSYS_ASAN_JOBS=N
#        limits the build's parallel jobs)
#
# The subset: the tests of our own parsing, I/O and metric code, and of the plugin loader:
#   config_test           the pipeline TOML, --set overrides, typed getters (sdk/src/config.cpp)
#   files_test            atomic writes, text file reading
#   split_test            random / leave-one-out / temporal splits (index arithmetic)
#   run_directory_test    the files of a run directory
#   checkpoint_test       checkpoint writing and reading (core/src/checkpoint.cpp)
#   mlflow_store_test     MLflow's file store
#   movielens_test        the MovieLens readers, the parsed-data cache (through the plugin)
#   pointwise_metrics_test, ranking_metrics_test   the metric plugins
#   plugin_registry_test  dlopen of every built plugin and of each broken fixture library
# Why these and not all: the build dominates, and every translation unit that includes torch
# costs 10-30 s even with the precompiled header. These need recsys_core, the SDK, the test
# support library, the fixture libraries and the plugins they load; the models other than
# inner_product (which plugin_registry_test expects) are left out (-DRECSYS_MODEL_SUBSET), since
# every test depends on every plugin and no test here exercises them. The trainer, evaluation and
# model tests are mostly libtorch arithmetic, which is not instrumented anyway, and the e2e tests
# run recsys-host for minutes. Measured on 2 cores: see docs/architecture.md.
#
# Runtime options (each one needed, see the comments in ASAN_OPTIONS below).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
build="${1:-build-asan}"
tests=(config_test files_test split_test run_directory_test checkpoint_test mlflow_store_test movielens_test
  pointwise_metrics_test ranking_metrics_test plugin_registry_test)

# ccache, when installed, is the compiler launcher (the top-level CMakeLists.txt sets it).
# -O1: ASan's recommendation (tests stay fast, stack traces stay exact); -g1: line tables for
# the reports, without the full debug information of every torch template.
cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=g++ -DRECSYS_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" -DRECSYS_MODEL_SUBSET=inner_product -DRECSYS_BUILD_BENCH=OFF > /dev/null
jobs=()
if [ -n "${RECSYS_ASAN_JOBS:-}" ]; then jobs=(-j "$RECSYS_ASAN_JOBS"); fi
start=$SECONDS
cmake --build "$build" "${jobs[@]}" --target "${tests[@]}"
echo "sanitizer-tests: built ${#tests[@]} tests in $((SECONDS - start)) s"

# libtorch and Boost are not instrumented; these options make the instrumented tests and
# plugins work beside them:
# - detect_leaks=0: libtorch's global state (allocators, thread pools, operator registry) and
#   the plugins' libraries, still loaded at exit, are never freed: LeakSanitizer would report
#   them all, none ours.
# - detect_odr_violation=0: every plugin and the tests carry their own copy of the inline
#   globals of the SDK and torch headers (hidden visibility), which ASan would report as one
#   global defined twice when a plugin is dlopen'ed.
# - abort_on_error=1 and halt_on_error=1: a report ends the test with a failure at once.
# - symbolize=1 with print_summary: readable stack traces in the CTest log.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:detect_odr_violation=0:abort_on_error=1:halt_on_error=1:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
regex="^($(
  IFS='|'
  echo "${tests[*]}"
))\$"
start=$SECONDS
status=0
ctest --test-dir "$build" --output-on-failure -R "$regex" || status=$?
echo "sanitizer-tests: ran ${#tests[@]} tests in $((SECONDS - start)) s"
exit $status
