#!/bin/bash
# tests/static_analysis.sh BUILD_DIR
#
# cppcheck and clang-tidy on src/ (the library and the ae command), both
# required clean: exit 1 on any finding. BUILD_DIR must have been configured
# with -DCMAKE_EXPORT_COMPILE_COMMANDS=ON (clang-tidy reads the exact flags of
# each file from its compile_commands.json); a clang build is best, as
# clang-tidy is clang. What is suppressed, and why: tests/cppcheck.supp,
# .clang-tidy, docs/RELIABILITY.md.
#
# Needs: cppcheck clang-tidy-14 (Debian; .ci/deps installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
if (($# != 1)); then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
build=$1
[[ -f $build/compile_commands.json ]] ||
  { echo "static_analysis: $build/compile_commands.json missing (configure with -DCMAKE_EXPORT_COMPILE_COMMANDS=ON)" >&2; exit 1; }
jobs=$(nproc)
status=0

# cppcheck: warnings, style, performance, portability.
if ! cppcheck --enable=warning,style,performance,portability --std=c11 --quiet \
       --error-exitcode=1 --inline-suppr --suppressions-list=tests/cppcheck.supp \
       -j"$jobs" -I include -I src src/; then
  echo "static_analysis: cppcheck found problems (above)" >&2
  status=1
else
  echo "static_analysis: cppcheck: clean on src/"
fi

# clang-tidy: the checks of .clang-tidy, every warning an error.
files=(src/*.c src/*/*.c)
tidy=$(command -v clang-tidy-14 || command -v clang-tidy)
if ! printf '%s\n' "${files[@]}" |
     xargs -P "$jobs" -n 8 "$tidy" -p "$build" --quiet > "$build/clang-tidy.log" 2>&1; then
  grep -E "(warning|error):" "$build/clang-tidy.log" | sort -u >&2 || cat "$build/clang-tidy.log" >&2
  echo "static_analysis: clang-tidy found problems (above)" >&2
  status=1
else
  echo "static_analysis: clang-tidy: clean on ${#files[@]} files of src/"
fi
exit "$status"
