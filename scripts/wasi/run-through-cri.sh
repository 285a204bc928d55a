#!/usr/bin/env bash
# Runs a WASI module as a pod with runtime handler `kwasm` through containerd's CRI, the way the
# kubelet does (RunPodSandbox with the handler, CreateContainer, StartContainer), and prints the
# module's output and the container's exit code. Used by scripts/demo.sh.
#
#   run-through-cri.sh CONTAINERD_SOCKET KWASM_SANDBOX_BINARY MODULE.wasm WORK_DIR
#
# The CRI calls are kwasm-sandbox's own client (`kwasm-sandbox cri-run`, the gRPC client the installer
# verifies with), so nothing beyond this repository's build and Debian's ctr is needed; the sandbox has
# already imported its pod sandbox (pause) image.
set -euo pipefail
socket=${1:?usage: run-through-cri.sh SOCKET KWASM_SANDBOX MODULE WORK_DIR}
sandbox=${2:?}; module=${3:?}; work=${4:?}
here=$(cd "$(dirname "$0")" && pwd)

name=$(basename "$module" .wasm)
reference="kwasm.local/$name:demo"
python3 "$here/make-image.py" "$module" "$reference" "$work/$name-image.tar"
ctr --address "$socket" -n k8s.io images import "$work/$name-image.tar" >/dev/null
echo "    image $reference: one layer holding /$name.wasm ($(stat -c %s "$module") bytes), entrypoint /$name.wasm"

echo "\$ kwasm-sandbox cri-run --handler kwasm --image $reference --annotation module.wasm.image/variant=compat"
echo "    (RunPodSandbox with runtime handler kwasm, CreateContainer, StartContainer, wait for exit; its output:)"
set +e
"$sandbox" cri-run --socket "$socket" --handler kwasm --image "$reference" \
  --annotation module.wasm.image/variant=compat 2>&1 | sed 's/^/    /'
code=${PIPESTATUS[0]}
set -e
echo "    exit code $code: the module's own proc_exit code, run by kwasm-wasi through runc (handler kwasm)"
