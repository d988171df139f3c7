#!/bin/bash
# Tests the Python binding against an INSTALLED libae.
#
#   bash bindings/python/ci.sh PREFIX [PYTEST_ARGS...]
#
# PREFIX is where `cmake --install BUILD --prefix PREFIX` put libae. The script
# creates a fresh virtual environment (python3 -m venv; on Debian that needs the
# python3-venv package), pip-installs this package with numpy, pytest and
# hypothesis from PyPI, and runs the test suite with the library found through
# pkg-config (PKG_CONFIG_PATH=PREFIX/.../pkgconfig), as users' programs find it.
# Exits non-zero on any failure.
#
# Environment: PYTHON (default python3) picks the interpreter; AE_INTEROP_DIR,
# when set, enables the cross-language test (see tests/test_interop.py);
# LIBAE_PY_VENV reuses a venv at that path instead of a temporary one.
set -euo pipefail

if (($# < 1)); then
  echo "usage: $0 PREFIX [PYTEST_ARGS...]   (PREFIX: the install prefix of libae)" >&2
  exit 2
fi
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PREFIX="$(cd "$1" && pwd)"
shift  # the rest goes to pytest
PYTHON="${PYTHON:-python3}"

pc_file="$(find "$PREFIX" -path '*/pkgconfig/ae.pc' -print -quit)"
if [[ -z "$pc_file" ]]; then
  echo "ci.sh: no pkgconfig/ae.pc under $PREFIX: is libae installed there?" >&2
  exit 1
fi
command -v pkg-config >/dev/null || { echo "ci.sh: pkg-config is needed (apt-get install pkg-config)" >&2; exit 1; }
export PKG_CONFIG_PATH="$(dirname "$pc_file")${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
unset LIBAE_LIBRARY                       # find it through pkg-config, not a shortcut
export LIBAE_TEST_PREFIX="$PREFIX"        # the tests check the library came from here
echo "ci.sh: libae $(pkg-config --modversion ae) in $(pkg-config --variable=libdir ae)"

if [[ -n "${AE_INTEROP_DIR:-}" ]]; then
  AE_INTEROP_DIR="$(cd "$AE_INTEROP_DIR" && pwd)"   # absolute: the tests run from $HERE
  export AE_INTEROP_DIR
  echo "ci.sh: cross-language files in $AE_INTEROP_DIR"
else
  echo "ci.sh: AE_INTEROP_DIR not set, the interop test will be skipped"
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
VENV="${LIBAE_PY_VENV:-$WORK/venv}"
if [[ ! -x "$VENV/bin/python" ]]; then
  if ! "$PYTHON" -m venv "$VENV"; then
    echo "ci.sh: '$PYTHON -m venv' failed; on Debian: apt-get install python3-venv" >&2
    exit 1
  fi
fi

# Install from a copy, so that the build leaves nothing in the source tree.
mkdir "$WORK/pkg"
cp -R "$HERE/pyproject.toml" "$HERE/README.md" "$HERE/src" "$WORK/pkg/"
pip=("$VENV/bin/python" -m pip install --quiet --disable-pip-version-check)
"${pip[@]}" numpy pytest hypothesis
"${pip[@]}" --force-reinstall --no-deps "$WORK/pkg"

# The tests import the installed package, never src/ (pytest puts only tests/
# on sys.path). Keep the source tree clean: no caches, no bytecode, and
# hypothesis's example database in the scratch directory.
cd "$HERE"
export PYTHONDONTWRITEBYTECODE=1 HYPOTHESIS_STORAGE_DIRECTORY="$WORK/hypothesis"
"$VENV/bin/python" -m pytest tests -p no:cacheprovider -ra "$@"
