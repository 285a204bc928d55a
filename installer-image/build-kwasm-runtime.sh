#!/bin/sh
# Builds the `kwasm` runtime's two binaries exactly as the installer image ships them: release,
# Swift stdlib and Foundation linked in, fully static (-static-executable), because kwasm-wasi runs
# inside wasm containers whose rootfs has no libc. Used by installer-image/Dockerfile and by the
# wasm benchmark (README "Benchmark"), so the benchmark measures what users get.
#
#   build-kwasm-runtime.sh OUT_DIR [SCRATCH_PATH]     (run from the repository root)
set -eu
out=${1:?usage: build-kwasm-runtime.sh OUT_DIR [SCRATCH_PATH]}
scratch=${2:-.build-static}
for product in kwasm-wasi kwasm-oci; do
  swift build -c release --static-swift-stdlib -Xswiftc -static-executable --scratch-path "$scratch" --product "$product"
done
bin=$(swift build -c release --scratch-path "$scratch" --show-bin-path)
for product in kwasm-wasi kwasm-oci; do
  install -D -m 0755 "$bin/$product" "$out/$product"
done
