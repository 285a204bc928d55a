#!/bin/sh
# Registers every runtime of CATALOG_RUNTIMES in ASSETS_DIR/runtimes.json with
# `kwasm-node-installer catalog add`, which computes each file's sha256: no checksum is ever
# written by hand. The binaries must already be in ASSETS_DIR/bin (fetch-runtimes.sh puts them there).
#
#   build-catalog.sh ASSETS_DIR
#
# Environment:
#   KWASM_NODE_INSTALLER  the installer binary (default: kwasm-node-installer on PATH)
#   CATALOG_RUNTIMES      space-separated catalog names (see runtimes.table)
#   <R>_VERSION           version of runtime R (R = name upper-cased, '-' -> '_')
set -eu

assets=${1:?usage: build-catalog.sh ASSETS_DIR}
here=$(cd "$(dirname "$0")" && pwd)
table=${RUNTIMES_TABLE:-$here/runtimes.table}
installer=${KWASM_NODE_INSTALLER:-kwasm-node-installer}

fail() { echo "build-catalog: $*" >&2; exit 1; }
var() { eval "printf '%s' \"\${$1:-}\""; }

command -v "$installer" >/dev/null 2>&1 || fail "installer binary '$installer' not found (set KWASM_NODE_INSTALLER)"

for name in ${CATALOG_RUNTIMES:?CATALOG_RUNTIMES is empty}; do
  row=$(awk -v n="$name" '$1 == n { print }' "$table")
  [ -n "$row" ] || fail "unknown runtime '$name' (not in $table)"
  set -- $row
  handler=$2 kind=$3
  shift 3
  files="$*"
  prefix=$(echo "$name" | tr 'a-z-' 'A-Z_')
  version=$(var "${prefix}_VERSION"); [ -n "$version" ] || fail "${prefix}_VERSION is not set"
  set -- catalog add --assets "$assets" --name "$name" --handler "$handler" --kind "$kind" --version "$version"
  for file in $files; do
    [ -f "$assets/bin/$file" ] || fail "$name: $assets/bin/$file is missing"
    set -- "$@" --file "$assets/bin/$file"
  done
  echo "build-catalog: $name $version ($kind, handler $handler)"
  "$installer" "$@"
done

[ -s "$assets/runtimes.json" ] || fail "$assets/runtimes.json was not written"
"$installer" catalog list --assets "$assets"
