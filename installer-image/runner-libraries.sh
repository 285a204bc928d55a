#!/bin/sh
# Prints the host paths of the dynamic loader and every shared library a dynamically linked
# kwasm-wasi needs, one a line: the content of `kwasm-wasi.libs` next to kwasm-oci, which mounts
# each read-only into a wasm container and starts the runner through that loader (a wasm image's
# rootfs has no libc). The installer image ships a fully static runner and needs no list; the
# tests and scripts/demo.sh use the debug build, whose libraries are on this machine.
#
#   runner-libraries.sh RUNNER > kwasm-wasi.libs
set -eu
runner=${1:?usage: runner-libraries.sh RUNNER > kwasm-wasi.libs}
if ! ldd "$runner" >/dev/null 2>&1; then
  echo "runner-libraries: $runner is static: no libraries" >&2
  exit 0
fi
# The names as the runner asks for them (sonames): a bind mount follows the symlinks itself.
ldd "$runner" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'
