#!/bin/sh
# Downloads the shim/runtime binaries of CATALOG_RUNTIMES for one architecture into OUT_DIR/bin.
#
#   fetch-runtimes.sh OUT_DIR
#
# Environment (the Dockerfile passes its ARGs):
#   TARGETARCH          amd64 | arm64
#   CATALOG_RUNTIMES    space-separated catalog names (see runtimes.table)
#   <R>_VERSION         version of runtime R (R = name upper-cased, '-' -> '_', e.g. SPIN, CRUN_WASMEDGE)
#   <R>_URL             download URL; @VERSION@ and @ARCH@ (x86_64 | aarch64) are substituted.
#                       A .tar.gz/.tgz is searched for the runtime's files; anything else is the binary.
#   <R>_SHA256_AMD64 / <R>_SHA256_ARM64
#                       sha256 of the download as published upstream; checked when set.
#   REQUIRE_ARCHIVE_SHA256=true  refuse any download without such a checksum (release builds).
# Checksums of the extracted binaries are not this script's business: build-catalog.sh has
# `kwasm-node-installer catalog add` compute them into runtimes.json.
set -eu

out=${1:?usage: fetch-runtimes.sh OUT_DIR}
here=$(cd "$(dirname "$0")" && pwd)
table=${RUNTIMES_TABLE:-$here/runtimes.table}
case "${TARGETARCH:?TARGETARCH must be amd64 or arm64}" in
  amd64) arch=x86_64 ;;
  arm64) arch=aarch64 ;;
  *) echo "fetch-runtimes: unsupported TARGETARCH '$TARGETARCH' (amd64 or arm64)" >&2; exit 2 ;;
esac
arch_upper=$(echo "$TARGETARCH" | tr 'a-z' 'A-Z')

fail() { echo "fetch-runtimes: $*" >&2; exit 1; }
var() { eval "printf '%s' \"\${$1:-}\""; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out/bin"

for name in ${CATALOG_RUNTIMES:?CATALOG_RUNTIMES is empty}; do
  row=$(awk -v n="$name" '$1 == n { $1 = ""; $2 = ""; $3 = ""; print }' "$table")
  [ -n "$row" ] || fail "unknown runtime '$name' (not in $table)"
  prefix=$(echo "$name" | tr 'a-z-' 'A-Z_')
  version=$(var "${prefix}_VERSION"); [ -n "$version" ] || fail "${prefix}_VERSION is not set"
  url=$(var "${prefix}_URL"); [ -n "$url" ] || fail "${prefix}_URL is not set (no upstream default for $name)"
  url=$(printf '%s' "$url" | sed -e "s|@VERSION@|$version|g" -e "s|@ARCH@|$arch|g")
  expected=$(var "${prefix}_SHA256_${arch_upper}")

  download="$work/$name.download"
  echo "fetch-runtimes: $name $version ($TARGETARCH) <- $url"
  curl --fail --silent --show-error --location --retry 3 --output "$download" "$url" \
    || fail "$name: download failed: $url"
  if [ -n "$expected" ]; then
    actual=$(sha256sum "$download" | cut -d' ' -f1)
    [ "$actual" = "$expected" ] || fail "$name: checksum mismatch for $url: expected $expected, got $actual"
  elif [ "${REQUIRE_ARCHIVE_SHA256:-false}" = true ]; then
    fail "$name: ${prefix}_SHA256_${arch_upper} is not set and REQUIRE_ARCHIVE_SHA256=true"
  else
    echo "fetch-runtimes: WARNING: $name: no upstream checksum given (${prefix}_SHA256_${arch_upper}); download not verified" >&2
  fi

  case "$url" in
    *.tar.gz|*.tgz)
      mkdir -p "$work/$name"
      tar -xzf "$download" -C "$work/$name"
      for file in $row; do
        found=$(find "$work/$name" -type f -name "$file" | head -n 1)
        [ -n "$found" ] || fail "$name: $file not found in $url"
        install -m 0755 "$found" "$out/bin/$file"
      done ;;
    *)
      set -- $row
      [ $# -eq 1 ] || fail "$name: a plain download can only provide one file, the table lists: $row"
      install -m 0755 "$download" "$out/bin/$1" ;;
  esac
done
echo "fetch-runtimes: done: $(ls "$out/bin" | tr '\n' ' ')"
