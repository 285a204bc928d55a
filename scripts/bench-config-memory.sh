#!/usr/bin/env bash
# Peak memory of `kwasm-node-installer install|status|uninstall --restart none` on large containerd configs
# (issue 14, item 13: target ≤ 2 × config size + 20 MB). Not a test: it prints a table.
#
#   scripts/bench-config-memory.sh [INSTALLER] [MEGABYTES]
#     INSTALLER  default .build/debug/kwasm-node-installer (build: swift build --product kwasm-node-installer [-c release])
#     MEGABYTES  config size, default 47
#
# Each config (schema 2) is written by scripts/gen-large-config.py into a temp host root: `tables` (about 350k
# registry tables at 47 MB) and `comments` (a small config padded with comment lines). A real containerd
# (Debian's, or $CONTAINERD) answers on the host root's socket so install verifies and succeeds; it is
# stopped at the end. Peak RSS is `/usr/bin/time -v`'s "Maximum resident set size".
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
installer=$(realpath "${1:-$here/../.build/debug/kwasm-node-installer}")
megabytes=${2:-47}
containerd=${CONTAINERD:-$(command -v containerd)}
work=$(mktemp -d /tmp/kwmem.XXXXXX)
containerd_pid=
cleanup() {
  if [ -n "$containerd_pid" ]; then kill "$containerd_pid" 2>/dev/null || true; wait "$containerd_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# One runtime in the catalog: an oci-binary one (runc's shim with BinaryName), so containerd 1.6's shim
# lookup does not matter; any executable serves, as with --restart none nothing starts it.
printf '#!/bin/sh\nexit 0\n' > "$work/bench-runc"
chmod 755 "$work/bench-runc"
"$installer" catalog add --assets "$work/assets" --name bench --handler bench --kind oci-binary --version 1.0.0 \
  --file "$work/bench-runc" > /dev/null

peak_kb() {  # peak RSS in kB of the command; its exit status must be 0
  local log=$work/time.log
  if ! /usr/bin/time -v "$@" > "$work/out.json" 2> "$log"; then
    echo "failed: $*" >&2; cat "$work/out.json" "$log" >&2; exit 1
  fi
  awk -F': ' '/Maximum resident set size/ { print $2 }' "$log"
}

printf '%-9s %10s %12s %12s %12s %12s\n' config "size MB" "target MB" "install MB" "status MB" "uninstall MB"
for kind in tables comments; do
  root=$work/host-$kind
  mkdir -p "$root/etc/containerd" "$root/run/containerd" "$work/cd-$kind"
  python3 "$here/gen-large-config.py" "$kind" "$root/etc/containerd/config.toml" "$megabytes" > /dev/null
  cp "$root/etc/containerd/config.toml" "$work/original.toml"
  printf 'version = 2\ndisabled_plugins = ["io.containerd.grpc.v1.cri"]\n' > "$work/cd-$kind/config.toml"
  "$containerd" -c "$work/cd-$kind/config.toml" --root "$work/cd-$kind/root" --state "$work/cd-$kind/state" \
    --address "$root/run/containerd/containerd.sock" > "$work/cd-$kind/log" 2>&1 &
  containerd_pid=$!
  for _ in $(seq 100); do [ -S "$root/run/containerd/containerd.sock" ] && break; sleep 0.1; done
  flags=(--host-root "$root" --assets "$work/assets" --restart none)
  size=$(stat -c %s "$work/original.toml")
  install=$(peak_kb "$installer" install "${flags[@]}")
  status=$(peak_kb "$installer" status "${flags[@]}")
  uninstall=$(peak_kb "$installer" uninstall "${flags[@]}")
  cmp -s "$work/original.toml" "$root/etc/containerd/config.toml" || { echo "uninstall did not restore $kind byte-exactly" >&2; exit 1; }
  kill "$containerd_pid"; wait "$containerd_pid" 2>/dev/null || true; containerd_pid=
  awk -v k="$kind" -v s="$size" -v i="$install" -v st="$status" -v u="$uninstall" 'BEGIN {
    printf "%-9s %10.1f %12.1f %12.1f %12.1f %12.1f\n", k, s / 1e6, 2 * s / 1e6 + 20, i * 1024 / 1e6, st * 1024 / 1e6, u * 1024 / 1e6 }'
  rm -rf "$root" "$work/cd-$kind"
done
