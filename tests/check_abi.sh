#!/bin/sh
# check_abi.sh LIBAE_SO BASELINE [--update]
#
# The ABI gate: compares the shared library's ABI (functions, their
# parameter and return types, every type they reach, the exported symbols and
# their versions; read from DWARF by abidw, Debian's abigail-tools) with the
# stored baseline (abi/libae.abi), using abidiff.
#   - an incompatible change (a symbol removed, a parameter, return or struct
#     type changed, an enumerator renumbered...) fails: exit 1, with abidiff's
#     report; anything abidiff counts as Removed or Changed is incompatible;
#   - a compatible change (a function added; an enumerator appended is not
#     even reported) passes, with the report and a reminder to refresh the
#     baseline (--update) in the same commit as the change;
#   - no change passes silently but for one line.
# --update rewrites BASELINE from LIBAE_SO. The library must be built with
# debug information (-g: RelWithDebInfo or Debug). Repository paths are
# stripped from the baseline so that it does not depend on the checkout.
set -eu
if [ "$#" -lt 2 ] || [ "$#" -gt 3 ]; then
  echo "usage: $0 LIBAE_SO BASELINE [--update]" >&2
  exit 2
fi
so=$1
baseline=$2
root=$(cd "$(dirname "$0")/.." && pwd)
for tool in abidw abidiff; do
  command -v "$tool" > /dev/null || { echo "check_abi: $tool not found (apt-get install abigail-tools)" >&2; exit 1; }
done
[ -f "$so" ] || { echo "check_abi: no such file: $so" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ae-abi.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# Only what ae.h declares: types private to src/ are left out.
abidw --no-corpus-path --no-show-locs --drop-undefined-syms --drop-private-types \
      --type-id-style hash --headers-dir "$root/include" "$so" > "$tmp/raw.abi"
sed -e "s|$root/||g" -e "s|$root||g" "$tmp/raw.abi" > "$tmp/current.abi"

if [ "${3:-}" = "--update" ]; then
  cp "$tmp/current.abi" "$baseline"
  echo "check_abi: baseline $baseline written from $so"
  exit 0
fi
[ -f "$baseline" ] || { echo "check_abi: no baseline $baseline (run with --update)" >&2; exit 1; }

rc=0
abidiff --no-unreferenced-symbols "$baseline" "$tmp/current.abi" > "$tmp/report" 2>&1 || rc=$?
# abidiff's exit status is a bit field: 1 error, 2 usage, 4 ABI change,
# 8 incompatible ABI change.
if [ $((rc & 3)) -ne 0 ]; then
  cat "$tmp/report" >&2
  echo "check_abi: FAIL: abidiff could not compare (status $rc)" >&2
  exit 1
fi
# abidiff calls only a few changes incompatible (a removed symbol, say); a
# changed parameter type is merely "changed" to it. Here anything removed or
# changed fails: only additions are compatible. (Harmless changes, such as an
# enumerator appended to an enum, are filtered out by abidiff already.)
if grep -E "summary: .*[1-9][0-9]* (Removed|Changed)" "$tmp/report" > /dev/null; then
  rc=$((rc | 8))
fi
if [ $((rc & 8)) -ne 0 ]; then
  cat "$tmp/report" >&2
  echo "check_abi: FAIL: incompatible ABI change against $baseline (see above); if" \
       "intended, it needs a new major version (SONAME) and a new baseline" >&2
  exit 1
fi
if [ $((rc & 4)) -ne 0 ]; then
  cat "$tmp/report"
  echo "check_abi: OK, compatible changes only (above); refresh the baseline:" \
       "sh tests/check_abi.sh $so $baseline --update"
  exit 0
fi
echo "check_abi: OK: the ABI of $so equals $baseline"
