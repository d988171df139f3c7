#!/bin/sh
# check_consumer.sh BUILD_DIR CONSUMER_SRC WORK_DIR
#
# Installs the libae built in BUILD_DIR into WORK_DIR/prefix (fresh each time),
# checks the installed layout, then builds CONSUMER_SRC/consumer.c as a program
# outside the tree and runs it:
#   (a) with the compiler and pkg-config: shared (`pkg-config --libs ae`) and
#       static (`pkg-config --static --libs ae` with libae.a in place of -lae);
#   (b) with CMake: CONSUMER_SRC/CMakeLists.txt, find_package(ae 0.1) with
#       CMAKE_PREFIX_PATH=WORK_DIR/prefix, linking ae::ae and ae::ae_static.
# Also checks that the .pc file and the CMake package are relocatable and that
# the CMake package refuses an incompatible version.
# Exits non-zero if any step fails. Tools can be overridden with CC, CMAKE,
# PKG_CONFIG, READELF and NM.
set -eu

if [ "$#" -ne 3 ]; then
  echo "usage: $0 BUILD_DIR CONSUMER_SRC WORK_DIR" >&2
  exit 2
fi
build=$1
src=$2
work=$3
CC=${CC:-cc}
CMAKE=${CMAKE:-cmake}
PKG_CONFIG=${PKG_CONFIG:-pkg-config}
READELF=${READELF:-readelf}
NM=${NM:-nm}

fail() {
  echo "check_consumer: FAIL: $*" >&2
  exit 1
}
step() {
  echo "check_consumer: $*"
}
# run LOG WHAT CMD...: runs CMD with its output in LOG, shown on failure.
run() {
  _log=$1
  _what=$2
  shift 2
  if ! "$@" >"$_log" 2>&1; then
    cat "$_log" >&2
    fail "$_what"
  fi
}
# The physical absolute path of an existing directory.
canon() {
  (cd "$1" 2>/dev/null && pwd -P) || echo "<missing: $1>"
}
# The SONAME of a shared library, or "" if none.
soname() {
  "$READELF" -d "$1" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p'
}
# The NEEDED entries of an ELF file, one per line.
needed() {
  "$READELF" -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\].*/\1/p'
}

[ -f "$build/CMakeCache.txt" ] || fail "not a CMake build directory: $build"
[ -f "$src/consumer.c" ] || fail "no consumer.c in $src"
[ -f "$src/CMakeLists.txt" ] || fail "no CMakeLists.txt in $src"
# pkg-config output is split into words by the shell below.
case $work in
  *[[:space:]]*) fail "WORK_DIR must not contain white space: $work" ;;
esac
build=$(canon "$build")
src=$(canon "$src")
rm -rf "$work"
mkdir -p "$work"
work=$(canon "$work")
prefix=$work/prefix

# ---- install ----
step "installing $build into $prefix"
run "$work/install.log" "cmake --install $build --prefix $prefix" \
  "$CMAKE" --install "$build" --prefix "$prefix"

# ---- the installed layout ----
# GNUInstallDirs may have chosen lib, lib64 or lib/<multiarch>: the library
# directory is the one holding pkgconfig/ae.pc.
pcs=$(find "$prefix" -path '*/pkgconfig/ae.pc')
[ -n "$pcs" ] || fail "no pkgconfig/ae.pc installed under $prefix"
[ "$(echo "$pcs" | wc -l)" -eq 1 ] || fail "more than one ae.pc installed: $pcs"
pcdir=$(dirname "$pcs")
libdir=$(dirname "$pcdir")
step "library directory: ${libdir#"$prefix"/}"

header=$prefix/include/ae.h
[ -f "$header" ] || fail "missing $header"
version_part() {
  sed -n "s/^#define AE_VERSION_$1[[:space:]]\{1,\}\([0-9]\{1,\}\).*/\1/p" "$header"
}
major=$(version_part MAJOR)
minor=$(version_part MINOR)
patch=$(version_part PATCH)
[ -n "$major" ] && [ -n "$minor" ] && [ -n "$patch" ] ||
  fail "cannot read AE_VERSION_MAJOR/MINOR/PATCH from $header"
version=$major.$minor.$patch

# libae.so -> libae.so.MAJOR -> libae.so.MAJOR.MINOR.PATCH, relative links.
[ -L "$libdir/libae.so" ] || fail "$libdir/libae.so is not a symbolic link"
link=$(readlink "$libdir/libae.so")
[ "$link" = "libae.so.$major" ] ||
  fail "libae.so points to '$link', expected libae.so.$major"
[ -L "$libdir/libae.so.$major" ] || fail "$libdir/libae.so.$major is not a symbolic link"
link=$(readlink "$libdir/libae.so.$major")
[ "$link" = "libae.so.$version" ] ||
  fail "libae.so.$major points to '$link', expected libae.so.$version"
real=$libdir/libae.so.$version
[ -f "$real" ] && [ ! -L "$real" ] || fail "$real is not a regular file"
name=$(soname "$real")
[ "$name" = "libae.so.$major" ] || fail "SONAME of $real is '$name', expected libae.so.$major"
if "$READELF" -d "$real" | grep -E '\((RPATH|RUNPATH)\)' | grep -F "$build" >&2; then
  fail "the installed library keeps a run path into the build tree"
fi

[ -f "$libdir/libae.a" ] || fail "missing $libdir/libae.a"
"$NM" -g --defined-only "$libdir/libae.a" 2>/dev/null | grep -q ' T ae_version$' ||
  fail "$libdir/libae.a does not define ae_version"

for f in pkgconfig/ae.pc cmake/ae/aeConfig.cmake cmake/ae/aeConfigVersion.cmake \
         cmake/ae/aeTargets.cmake; do
  [ -f "$libdir/$f" ] || fail "missing $libdir/$f"
done
step "layout OK: include/ae.h, libae.so -> libae.so.$major -> libae.so.$version" \
  "(SONAME $name), libae.a, pkgconfig/ae.pc, cmake/ae"

# ---- pkg-config: the .pc file ----
unset PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_TOP_BUILD_DIR 2>/dev/null || true
PKG_CONFIG_PATH=$pcdir
export PKG_CONFIG_PATH
"$PKG_CONFIG" --exists --print-errors ae || fail "pkg-config cannot read ae.pc"
pcversion=$("$PKG_CONFIG" --modversion ae)
[ "$pcversion" = "$version" ] || fail "ae.pc says version $pcversion, ae.h $version"

# The variables resolve to the prefix it was installed into ...
# check_pc_dirs PREFIX LIBDIR
check_pc_dirs() {
  _p=$(canon "$("$PKG_CONFIG" --variable=prefix ae)")
  _l=$(canon "$("$PKG_CONFIG" --variable=libdir ae)")
  _i=$(canon "$("$PKG_CONFIG" --variable=includedir ae)")
  [ "$_p" = "$(canon "$1")" ] || fail "ae.pc prefix is $_p, expected $1"
  [ "$_l" = "$(canon "$2")" ] || fail "ae.pc libdir is $_l, expected $2"
  [ -f "$_i/ae.h" ] || fail "ae.pc includedir $_i holds no ae.h"
  case $_i in
    "$(canon "$1")"/*) ;;
    *) fail "ae.pc includedir $_i is outside the prefix $1" ;;
  esac
}
check_pc_dirs "$prefix" "$libdir"
# ... and, the prefix moved elsewhere, to the new place (relocatable).
moved=$work/moved
cp -RP "$prefix" "$moved"
PKG_CONFIG_PATH=$moved/${pcdir#"$prefix"/}
check_pc_dirs "$moved" "$moved/${libdir#"$prefix"/}"
PKG_CONFIG_PATH=$pcdir
step "ae.pc OK: version $pcversion, prefix from \${pcfiledir}, relocatable"

# ---- (a) pkg-config builds ----
cflags=$("$PKG_CONFIG" --cflags ae)
libs=$("$PKG_CONFIG" --libs ae)
static_libs=$("$PKG_CONFIG" --static --libs ae)
step "pkg-config --cflags --libs ae: $cflags $libs"
step "pkg-config --static --libs ae: $static_libs"

# The header compiles cleanly in a strict C11 program.
# shellcheck disable=SC2086 # pkg-config output is meant to be split
run "$work/compile.log" "compiling consumer.c with pkg-config --cflags ae" \
  "$CC" -std=c11 -Wall -Wextra -Wpedantic -Werror $cflags \
  -c "$src/consumer.c" -o "$work/consumer.o"

# Shared: only what `pkg-config --libs ae` gives (plus a run path).
# shellcheck disable=SC2086
run "$work/link-shared.log" "linking with pkg-config --libs ae" \
  "$CC" "$work/consumer.o" -o "$work/consumer-pc" $libs -Wl,-rpath,"$libdir"
needed "$work/consumer-pc" | grep -qx "libae.so.$major" ||
  fail "consumer-pc does not depend on libae.so.$major"

# Static: libae.a in place of -lae; Libs.private must supply the rest.
static=
found=no
for word in $static_libs; do
  case $word in
    -lae) static="$static $libdir/libae.a"; found=yes ;;
    *) static="$static $word" ;;
  esac
done
[ "$found" = yes ] || fail "no -lae in pkg-config --static --libs ae"
# shellcheck disable=SC2086
run "$work/link-static.log" "static link with pkg-config --static --libs ae" \
  "$CC" "$work/consumer.o" -o "$work/consumer-pc-static" $static
if needed "$work/consumer-pc-static" | grep -q '^libae\.'; then
  fail "consumer-pc-static depends on a shared libae"
fi

step "running consumer-pc (shared)"
LD_LIBRARY_PATH=$libdir "$work/consumer-pc" || fail "consumer-pc failed"
step "running consumer-pc-static"
"$work/consumer-pc-static" || fail "consumer-pc-static failed"

# ---- (b) CMake build: find_package(ae) from the prefix ----
cbuild=$work/cmake-build
step "configuring $src with CMAKE_PREFIX_PATH=$prefix"
run "$work/cmake-configure.log" "configuring the CMake consumer" \
  "$CMAKE" -S "$src" -B "$cbuild" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF
ae_dir=$(sed -n 's/^ae_DIR:[A-Z]*=//p' "$cbuild/CMakeCache.txt")
[ "$(canon "$ae_dir")" = "$(canon "$libdir/cmake/ae")" ] ||
  fail "find_package(ae) found '$ae_dir', not $libdir/cmake/ae"
run "$work/cmake-build.log" "building the CMake consumer" \
  "$CMAKE" --build "$cbuild"

# The executables (single- or multi-configuration generators).
find_exe() {
  for _e in "$cbuild/$1" "$cbuild/RelWithDebInfo/$1"; do
    if [ -f "$_e" ] && [ -x "$_e" ]; then echo "$_e"; return 0; fi
  done
  fail "no executable $1 in $cbuild"
}
exe=$(find_exe consumer)
exe_static=$(find_exe consumer_static)
needed "$exe" | grep -qx "libae.so.$major" || fail "$exe does not depend on libae.so.$major"
if needed "$exe_static" | grep -q '^libae\.'; then
  fail "$exe_static depends on a shared libae"
fi
step "running CMake consumer (ae::ae)"
LD_LIBRARY_PATH=$libdir "$exe" || fail "CMake consumer (ae::ae) failed"
step "running CMake consumer_static (ae::ae_static)"
"$exe_static" || fail "CMake consumer_static (ae::ae_static) failed"

# The package is relocatable: it works from the moved prefix too.
step "configuring the CMake consumer against the moved prefix"
run "$work/cmake-moved.log" "configuring the CMake consumer against $moved" \
  "$CMAKE" -S "$src" -B "$work/cmake-moved" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_PREFIX_PATH="$moved" \
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF
ae_dir=$(sed -n 's/^ae_DIR:[A-Z]*=//p' "$work/cmake-moved/CMakeCache.txt")
[ "$(canon "$ae_dir")" = "$(canon "$moved/${libdir#"$prefix"/}/cmake/ae")" ] ||
  fail "find_package(ae) from the moved prefix found '$ae_dir'"

# An incompatible version is refused.
bad=$((major + 1)).0
step "checking that find_package(ae $bad) fails"
if "$CMAKE" -S "$src" -B "$work/cmake-badversion" -DCMAKE_PREFIX_PATH="$prefix" \
     -DAE_CONSUMER_REQUIRE_VERSION="$bad" \
     -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF \
     >"$work/cmake-badversion.log" 2>&1; then
  fail "find_package(ae $bad) succeeded against libae $version"
fi
{ grep -q 'requested version' "$work/cmake-badversion.log" &&
  grep -q "aeConfig.cmake, version: $version" "$work/cmake-badversion.log"; } || {
  cat "$work/cmake-badversion.log" >&2
  fail "find_package(ae $bad) failed for another reason than the version"
}

step "OK: libae $version installed, consumed via pkg-config (shared, static) and CMake (ae::ae, ae::ae_static)"
