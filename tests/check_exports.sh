#!/bin/sh
# check_exports.sh LIBAE_SO AE_H LIBAE_MAP
#
# The shared library's ABI is exactly the functions of the public header:
#   - `nm -D --defined-only LIBAE_SO` lists only ae_* functions (type T), each
#     bound to a version node, plus the version node symbols themselves
#     (LIBAE_0, ...; type A);
#   - that set of functions equals the functions declared with AE_API in AE_H;
#   - and equals the names in the global: lists of LIBAE_MAP, whose version
#     nodes are the version node symbols of the library.
# Prints what differs and exits 1 on any mismatch.
set -eu

if [ "$#" -ne 3 ]; then
  echo "usage: $0 LIBAE_SO AE_H LIBAE_MAP" >&2
  exit 2
fi
so=$1
header=$2
map=$3
NM=${NM:-nm}

fail() {
  echo "check_exports: FAIL: $*" >&2
  exit 1
}

for f in "$so" "$header" "$map"; do
  [ -f "$f" ] || fail "no such file: $f"
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ae-exports.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

# Prints the C file $1 with comments removed (newlines kept) and with
# preprocessor directives, continuation lines included, blanked out.
strip_c() {
  awk '
    BEGIN { incomment = 0 }
    {
      line = $0; out = ""; i = 1; n = length(line); instr = 0
      while (i <= n) {
        c = substr(line, i, 1); c2 = substr(line, i, 2)
        if (incomment) {
          if (c2 == "*/") { incomment = 0; i += 2; out = out " " } else i++
          continue
        }
        if (instr) {
          out = out c
          if (c == "\\") { out = out substr(line, i + 1, 1); i += 2; continue }
          if (c == instr) instr = 0
          i++; continue
        }
        if (c2 == "/*") { incomment = 1; i += 2; continue }
        if (c2 == "//") break
        if (c == "\"" || c == "\047") instr = c
        out = out c; i++
      }
      print out
    }' "$1" |
  awk '
    BEGIN { cont = 0 }
    {
      if (cont || $0 ~ /^[ \t]*#/) {
        cont = ($0 ~ /\\[ \t]*$/)
        print ""
        next
      }
      print
    }'
}

# ---- the library: defined dynamic symbols ----
"$NM" -D --defined-only "$so" >"$tmp/nm.raw" 2>"$tmp/nm.err" ||
  { cat "$tmp/nm.err" >&2; fail "nm -D --defined-only $so failed"; }
: >"$tmp/lib.funcs"
: >"$tmp/lib.nodes"
: >"$tmp/lib.bad"
while read -r a b c; do
  # Lines are "VALUE TYPE NAME" (or "TYPE NAME" for undefined-address symbols).
  if [ -n "$c" ]; then type=$b; sym=$c; else type=$a; sym=$b; fi
  name=${sym%%@*}
  version=
  case $sym in
    *@@*) version=${sym#*@@} ;;
    *@*) version=${sym#*@} ;;
  esac
  case $type:$name in
    A:LIBAE_*)
      echo "$name" >>"$tmp/lib.nodes" ;;
    T:ae_*)
      case $version in
        LIBAE_*) echo "$name" >>"$tmp/lib.funcs" ;;
        *) echo "$sym (function without a LIBAE_* version node)" >>"$tmp/lib.bad" ;;
      esac ;;
    *)
      echo "$type $sym" >>"$tmp/lib.bad" ;;
  esac
done <"$tmp/nm.raw"
if [ -s "$tmp/lib.bad" ]; then
  echo "check_exports: $so exports symbols that are not versioned ae_* functions:" >&2
  sed 's/^/  /' "$tmp/lib.bad" >&2
  fail "unexpected exported symbols"
fi
sort -u "$tmp/lib.funcs" -o "$tmp/lib.funcs"
sort -u "$tmp/lib.nodes" -o "$tmp/lib.nodes"

# ---- the header: functions declared with AE_API ----
# Join the code into one line, cut it into declarations at ';', '{' and '}',
# and take, from each declaration naming AE_API, the identifier before '('.
strip_c "$header" | tr '\n' ' ' | tr ';{}' '\n\n\n' |
  grep -E '(^|[^A-Za-z0-9_])AE_API([^A-Za-z0-9_]|$)' |
  sed -E 's/^[^(]*[^A-Za-z0-9_(]([A-Za-z_][A-Za-z0-9_]*)[[:space:]]*\(.*$/\1/' |
  sort -u >"$tmp/header.funcs" || true
if grep -Ev '^[A-Za-z_][A-Za-z0-9_]*$' "$tmp/header.funcs" >"$tmp/header.bad"; then
  echo "check_exports: AE_API declarations whose name could not be read:" >&2
  sed 's/^/  /' "$tmp/header.bad" >&2
  fail "cannot parse $header"
fi

# ---- the version script: names under global:, and the node names ----
# Tokens: identifiers/patterns, '{', '}', ';', and "global:"/"local:".
strip_c "$map" |
  sed -e 's/#.*$//' -e 's/[[:space:]]*:/: /g' -e 's/[{};]/ & /g' |
  tr -s ' \t' '\n\n' | grep -v '^$' |
  awk -v funcs="$tmp/map.funcs" -v nodes="$tmp/map.nodes" -v bad="$tmp/map.bad" '
    BEGIN {
      depth = 0; section = ""; inherit = 0
      printf "" >funcs; printf "" >nodes; printf "" >bad
    }
    $0 == "{" { depth++; section = ""; inherit = 0; next }
    $0 == "}" { depth--; section = ""; if (depth == 0) inherit = 1; next }
    $0 == ";" { inherit = 0; next }
    $0 == "global:" || $0 == "local:" { section = $0; next }
    depth == 0 {
      # A node name before its "{"; a name after "}" is the node it inherits.
      if (!inherit) print $0 >nodes
      next
    }
    section == "global:" {
      if ($0 ~ /^[A-Za-z_][A-Za-z0-9_]*$/) print $0 >funcs
      else print "pattern or odd token in global: " $0 >bad
      next
    }
    section == "" { print "token outside global:/local: " $0 >bad }
  '
if [ -s "$tmp/map.bad" ]; then
  sed 's/^/  /' "$tmp/map.bad" >&2
  fail "cannot parse $map"
fi
sort -u "$tmp/map.funcs" -o "$tmp/map.funcs"
sort -u "$tmp/map.nodes" -o "$tmp/map.nodes"

# ---- compare ----
status=0
[ -s "$tmp/lib.funcs" ] || { echo "check_exports: no ae_* function exported by $so" >&2; status=1; }
[ -s "$tmp/header.funcs" ] || { echo "check_exports: no AE_API function found in $header" >&2; status=1; }
[ -s "$tmp/map.funcs" ] || { echo "check_exports: no global: name found in $map" >&2; status=1; }

# compare LABEL_A FILE_A LABEL_B FILE_B: prints the names in one set only.
compare() {
  if ! cmp -s "$2" "$4"; then
    echo "check_exports: $1 and $3 differ:" >&2
    comm -23 "$2" "$4" | awk -v p="  only in $1: " '{ print p $0 }' >&2
    comm -13 "$2" "$4" | awk -v p="  only in $3: " '{ print p $0 }' >&2
    status=1
  fi
}
compare "library ($so)" "$tmp/lib.funcs" "header ($header)" "$tmp/header.funcs"
compare "library ($so)" "$tmp/lib.funcs" "version script ($map)" "$tmp/map.funcs"
compare "header ($header)" "$tmp/header.funcs" "version script ($map)" "$tmp/map.funcs"
compare "library version nodes" "$tmp/lib.nodes" "version script nodes" "$tmp/map.nodes"

if [ "$status" -ne 0 ]; then
  fail "exported symbols, header and version script disagree"
fi
echo "check_exports: OK: $(wc -l <"$tmp/lib.funcs" | tr -d ' ') functions" \
  "($(tr '\n' ' ' <"$tmp/lib.nodes" | sed 's/ $//')) agree across library, header and version script"
