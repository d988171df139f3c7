#!/bin/bash
# tests/valgrind.sh BUILD_DIR [TEST...]
#
# Runs the C test binaries of BUILD_DIR (a build without sanitizers, e.g.
# RelWithDebInfo) under valgrind memcheck: every test_* binary (or the TESTs
# named) and the fuzz targets' corpus replays. Any memory error, and any leak
# that is definitely or indirectly lost, fails the run (exit 1); memory
# still reachable at exit (OpenBLAS's buffers) is not a leak of libae's.
# Prints one line per binary with its time and valgrind's error summary, and
# keeps each full log in BUILD_DIR/valgrind/.
#
# OPENBLAS_NUM_THREADS=1: valgrind serialises threads anyway, and OpenBLAS's
# thread pool only adds time. test_crash_save runs 20 kills instead of 200,
# without requiring that some land mid-save (under valgrind nearly all of a
# save is serialisation, before the temporary file exists).
# More valgrind options through VALGRIND_OPTS (e.g. --track-origins=yes, to
# find where an uninitialised value came from; off here, it doubles the time).
set -euo pipefail
if (($# < 1)); then
  echo "usage: $0 BUILD_DIR [TEST...]" >&2
  exit 2
fi
build=$(cd "$1" && pwd)
shift
src=$(cd "$(dirname "$0")" && pwd)
command -v valgrind > /dev/null || { echo "valgrind: not installed" >&2; exit 1; }

tests=("$@")
if ((${#tests[@]} == 0)); then
  for t in "$build"/tests/test_*; do
    [[ -x $t && -f $t ]] && tests+=("$(basename "$t")")
  done
  for t in "$build"/tests/fuzz/fuzz_*; do
    [[ -x $t && -f $t && $t != *make_seeds ]] && tests+=("fuzz/$(basename "$t")")
  done
fi

logs="$build/valgrind"
mkdir -p "$logs"
export OPENBLAS_NUM_THREADS=1 AE_CRASH_ITERATIONS=20 AE_CRASH_MID_SAVE_MIN=0
export AE_TEST_TMPDIR="$build/tests"
status=0
for t in "${tests[@]}"; do
  bin="$build/tests/$t"
  args=()
  if [[ $t == fuzz/* ]]; then
    args=("$src/fuzz/corpus/${t#fuzz/fuzz_}")
  fi
  log="$logs/$(basename "$t").log"
  start=$(date +%s)
  rc=0
  valgrind --tool=memcheck --error-exitcode=99 --leak-check=full \
           --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
           --child-silent-after-fork=yes \
           --log-file="$log" "$bin" "${args[@]}" > "$log.out" 2>&1 || rc=$?
  summary=$(grep -h "ERROR SUMMARY" "$log" | tail -1 | sed 's/^==[0-9]*== //' || true)
  leaks=$(grep -h -E "definitely lost:|indirectly lost:" "$log" | sed 's/^==[0-9]*== *//' |
          tr '\n' ' ' || true)
  printf '%-28s %4ss  rc %-3s %s %s\n' "$t" "$(($(date +%s) - start))" "$rc" \
         "${summary:-no summary}" "$leaks"
  if ((rc != 0)); then
    status=1
    tail -5 "$log.out" >&2 || true
  fi
done
((status == 0)) && echo "valgrind: no errors, no leaks in ${#tests[@]} binaries" ||
  echo "valgrind: FAILED (logs in $logs)"
exit "$status"
