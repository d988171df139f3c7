#!/usr/bin/env bash
# Runs the Go binding's checks against an INSTALLED libae.
#   bindings/go/ci.sh PREFIX
# PREFIX is what `cmake --install BUILD --prefix PREFIX` produced (PREFIX/lib/
# pkgconfig/ae.pc, PREFIX/lib/libae.so). Set AE_INTEROP_DIR to also run the
# cross-language test (TestInterop); without it that test is skipped.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 INSTALL_PREFIX" >&2
  exit 2
fi
prefix=$(cd "$1" && pwd)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
libdir=$prefix/lib
[ -f "$libdir/pkgconfig/ae.pc" ] || { echo "ci.sh: $libdir/pkgconfig/ae.pc not found" >&2; exit 2; }

export PKG_CONFIG_PATH=$libdir/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
export LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export CGO_ENABLED=1
# No third-party modules: never reach the network.
export GOPROXY=off GOTOOLCHAIN=local

cd "$here"
echo "== go: $(go version); libae $(pkg-config --modversion ae) from $prefix"
test -z "$(gofmt -l .)" || { echo "ci.sh: gofmt needed:" >&2; gofmt -l . >&2; exit 1; }
go vet ./...
go test -count=1 ./...
if [ "${AE_GO_RACE:-0}" = 1 ]; then # optional: the race detector (about 30 s more)
  go test -race -count=1 ./...
fi
echo "== go binding: OK"
