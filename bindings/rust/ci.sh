#!/bin/bash
# Tests the Rust binding against an INSTALLED libae.
#
#   bash bindings/rust/ci.sh PREFIX      # PREFIX as given to `cmake --install --prefix`
#
# Finds ae.pc under PREFIX, points pkg-config and the dynamic loader at it and
# runs `cargo test` for the workspace (libae-sys and libae) with the committed
# Cargo.lock. With AE_INTEROP_DIR set, the cross-language test also reads C's
# files there and writes rust.model and rust.codes.f32. Exits non-zero on any
# failure.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 INSTALL_PREFIX" >&2
  exit 2
fi
prefix="$(cd "$1" && pwd)"   # absolute: cargo runs tests from each package's directory
here="$(cd "$(dirname "$0")" && pwd)"

pcdir=""
for d in "$prefix"/lib/pkgconfig "$prefix"/lib64/pkgconfig "$prefix"/lib/*/pkgconfig; do
  if [ -f "$d/ae.pc" ]; then pcdir="$d"; break; fi
done
if [ -z "$pcdir" ]; then
  echo "ci.sh: no ae.pc under $prefix (install libae there first)" >&2
  exit 1
fi
export PKG_CONFIG_PATH="$pcdir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
libdir="$(pkg-config --variable=libdir ae)"
export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
echo "rust binding: libae $(pkg-config --modversion ae) from $libdir"

cd "$here"
if [ -n "${AE_INTEROP_DIR:-}" ]; then
  AE_INTEROP_DIR="$(cd "$AE_INTEROP_DIR" && pwd)"
  export AE_INTEROP_DIR
  echo "rust binding: interop files in $AE_INTEROP_DIR"
else
  echo "rust binding: AE_INTEROP_DIR not set, the interop test will skip"
fi

# Everything but the interop test, then the interop test with its output
# shown (it says whether it ran or skipped).
cargo test --locked --workspace -- --skip interop_with_c
cargo test --locked -p libae --test interop -- --nocapture
