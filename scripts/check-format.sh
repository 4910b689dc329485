#!/usr/bin/env bash
# Fails when a C++ source of the repository is not formatted as .clang-format says.
# Usage: check-format.sh [REPOSITORY]   (default: the repository holding this script)
# Checks every *.cpp, *.hpp and *.h that git tracks, or that is untracked but not ignored,
# with clang-format-14 (the version the style was written for: others format differently).
# Registered as the CTest test `format` (label lint); scripts/install-deps.sh installs it.
set -euo pipefail

repo="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
formatter="${CLANG_FORMAT:-clang-format-14}"

# A missing formatter is a failure, never a skip: a check that does not run must not pass.
if ! command -v "$formatter" > /dev/null; then
  echo "check-format: $formatter not found; install it (apt-get install clang-format-14," \
    "or scripts/install-deps.sh)" >&2
  exit 2
fi

cd "$repo"
if ! git rev-parse --is-inside-work-tree > /dev/null 2>&1; then
  echo "check-format: $repo is not a git work tree" >&2
  exit 2
fi
mapfile -d '' files < <(git ls-files -z -co --exclude-standard -- '*.cpp' '*.hpp' '*.h')

unformatted=()
for file in "${files[@]}"; do
  # A file listed by git but deleted in the work tree is not ours to check.
  [ -f "$file" ] || continue
  if ! report="$("$formatter" --style=file --dry-run --Werror "$file" 2>&1)"; then
    # Its first diagnostic, "FILE:LINE:COL: error: code should be clang-formatted ...", names
    # the first line that differs; any other error (a bad .clang-format) is shown whole.
    first="${report%%$'\n'*}"
    case "$first" in
      "$file:"*": error: code should be clang-formatted"*) unformatted+=("${first%%: error:*}") ;;
      *) unformatted+=("$file ($first)") ;;
    esac
  fi
done

if [ ${#unformatted[@]} -gt 0 ]; then
  echo "check-format: ${#unformatted[@]} of ${#files[@]} files are not formatted (fix: $formatter -i FILE):"
  printf '  %s\n' "${unformatted[@]}"
  exit 1
fi
echo "check-format: all ${#files[@]} C++ files formatted"
