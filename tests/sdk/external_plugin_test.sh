#!/usr/bin/env bash
# Installs recsys into a fresh prefix, builds examples/external_plugin against the installed
# SDK, runs its tests, and checks that the installed recsys-host lists, checks and trains with
# the external plugin. Usage: external_plugin_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build="$1"
source="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "== install into $work/prefix"
cmake --install "$build" --prefix "$work/prefix" > "$work/install.log"
test -x "$work/prefix/bin/recsys-host"
test -f "$work/prefix/lib/cmake/RecsysSDK/RecsysSDKConfig.cmake"

echo "== build the external plugin against the installed SDK"
launcher=()
if command -v ccache > /dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake -S "$source/examples/external_plugin" -B "$work/gmf" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" \
  "${launcher[@]}" > "$work/configure.log"
cmake --build "$work/gmf" > "$work/build.log" || { cat "$work/build.log"; exit 1; }
ctest --test-dir "$work/gmf" --output-on-failure

host="$work/prefix/bin/recsys-host"
export RECSYS_PLUGIN_PATH="$work/gmf/lib/recsys/plugins"
echo "== recsys-host plugins"
"$host" plugins | tee "$work/plugins.txt"
grep -E "^model +gmf +0\.1\.0 +1\.1 +ok " "$work/plugins.txt"
grep -E "^model +neumf .* ok .*$work/prefix/lib/recsys/plugins/" "$work/plugins.txt"

echo "== recsys-host plugins --check"
"$host" plugins --check "$RECSYS_PLUGIN_PATH/recsys_model_gmf.so"

echo "== a pipeline with the external model trains"
data="${RECSYS_DATA_DIR:-$source/../shared/data}"
if [ -f "$data/ml-100k/u.data" ]; then
  RECSYS_DATA_DIR="$data" "$host" run "$source/examples/external_plugin/movielens_gmf.toml" \
    --set training.epochs=1 --set logging.output_dir="\"$work/runs\"" | tee "$work/run.txt"
  grep -E "^  roc_auc +0\.[0-9]+" "$work/run.txt"
else
  echo "ml-100k not found under $data: training step skipped"
fi
echo "external plugin: all checks passed"
