#!/bin/bash
# tests/fuzz/run.sh SECONDS [TARGET...]
#
# Builds the fuzz targets with clang-14, libFuzzer, AddressSanitizer and
# UndefinedBehaviorSanitizer (build dir $FUZZ_BUILD_DIR, default build-fuzz)
# and fuzzes each TARGET (default: all) for SECONDS, one after another. Each
# starts from its seeds and past crashes in tests/fuzz/corpus/<target>
# (read only); what the fuzzer finds new goes to <build>/corpus/<target>, so
# later runs on this machine go on from there. Prints one summary line per
# target (executions, corpus size, result) and exits non-zero after any
# crash, leak, timeout or out-of-memory, whose input is left in
# <build>/crashes/ -- copy it to tests/fuzz/corpus/<target>/crash-<what> and
# fix the bug: ctest then replays it in every build (docs/RELIABILITY.md).
# FUZZ_PARALLEL=N fuzzes N targets at once (each for SECONDS, on its own core).
#
# Needs: clang-14 libclang-rt-14-dev (Debian; .ci/deps installs them).
set -euo pipefail
cd "$(dirname "$0")/../.."

if (($# < 1)) || ! [[ $1 =~ ^[0-9]+$ ]]; then
  echo "usage: $0 SECONDS [TARGET...]" >&2
  exit 2
fi
seconds=$1
shift
targets=("$@")
((${#targets[@]})) || targets=(model spec npy idx idx_gz csv args)
build=${FUZZ_BUILD_DIR:-build-fuzz}
cc=${FUZZ_CC:-clang-14}

mkdir -p "$build"
cmake -S . -B "$build" -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DAE_FUZZ=ON -DAE_SANITIZE=address,undefined -DAE_BUILD_EXAMPLES=OFF \
      -DAE_BUILD_CLI=OFF > "$build/configure.log" 2>&1 ||
  { cat "$build/configure.log" >&2; exit 1; }
cmake --build "$build" -j"$(nproc)" --target "${targets[@]/#/fuzz_}" > "$build/build.log" 2>&1 ||
  { tail -40 "$build/build.log" >&2; exit 1; }

# Sanitizers: a huge allocation is refused (NULL), as malloc would, so that
# the library's out-of-memory paths are exercised; every report is fatal.
export ASAN_OPTIONS=allocator_may_return_null=1:detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# BLAS threads would only add noise (and time) to every execution.
export OPENBLAS_NUM_THREADS=1

mkdir -p "$build/crashes"

# fuzz_one TARGET: fuzzes one target; prints its summary line; non-zero on a
# finding.
fuzz_one() {
  local t=$1
  local bin="$build/tests/fuzz/fuzz_$t" work="$build/corpus/$t" log="$build/fuzz_$t.log"
  mkdir -p "$work"
  local dict=()
  [[ -f tests/fuzz/$t.dict ]] && dict=(-dict="tests/fuzz/$t.dict")
  local rc=0
  # -close_fd_mask=3: the readers' messages and help texts go nowhere; the
  # fuzzer's and the sanitizers' reports still reach the log.
  "$bin" "$work" "tests/fuzz/corpus/$t" "${dict[@]}" -max_total_time="$seconds" \
         -timeout=20 -rss_limit_mb=2560 -malloc_limit_mb=2560 -max_len=8192 \
         -close_fd_mask=3 -print_final_stats=1 \
         -artifact_prefix="$build/crashes/$t-" > "$log" 2>&1 || rc=$?
  local execs corpus result
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  corpus=$(find "$work" -type f | wc -l)
  if ((rc == 0)); then
    result="no crash"
  else
    result="FAILED (exit $rc; see $log)"
  fi
  printf 'fuzz_%-7s %10s execs in %ss, corpus %s, %s\n' "$t" "${execs:-?}" "$seconds" \
         "$corpus" "$result"
  if ((rc != 0)); then
    grep -E "^==[0-9]+==ERROR|SUMMARY|property failed| gave |Test unit written|runtime error" \
         "$log" | head -20 >&2 || true
    return 1
  fi
}

# FUZZ_PARALLEL targets at a time (default 1; CI uses one per core).
parallel=${FUZZ_PARALLEL:-1}
status=0
pids=()
for t in "${targets[@]}"; do
  fuzz_one "$t" &
  pids+=($!)
  if ((${#pids[@]} >= parallel)); then
    wait "${pids[0]}" || status=1
    pids=("${pids[@]:1}")
  fi
done
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
exit "$status"
