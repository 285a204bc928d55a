#!/usr/bin/env bash
# Runs a WASI module as a pod with runtime handler `kwasm` through containerd's CRI, the way the
# kubelet does (RunPodSandbox with the handler, CreateContainer, StartContainer), with crictl, and
# prints the module's output and the container's exit code. Used by scripts/demo.sh.
#
#   run-through-cri.sh CONTAINERD_SOCKET HOST_ROOT MODULE.wasm WORK_DIR
#
# Needs crictl and the pause image: KWASM_TEST_ASSETS (default /tmp/kwasm-testbin, see
# shared/testbin) provides both; KWASM_CRICTL overrides crictl.
set -euo pipefail
socket=${1:?usage: run-through-cri.sh SOCKET HOST_ROOT MODULE WORK_DIR}
host_root=${2:?}; module=${3:?}; work=${4:?}
here=$(cd "$(dirname "$0")" && pwd)
assets=${KWASM_TEST_ASSETS:-/tmp/kwasm-testbin}
crictl=${KWASM_CRICTL:-$(command -v crictl || echo "$assets/bin/crictl")}
pause_tar=$assets/images/pause.tar
for needed in "$crictl" "$pause_tar"; do
  [ -e "$needed" ] || { echo "run-through-cri: $needed is missing (set KWASM_TEST_ASSETS to an unpacked shared/testbin)" >&2; exit 1; }
done
ctr() { command ctr --address "$socket" -n k8s.io "$@"; }
cri() { "$crictl" --runtime-endpoint "unix://$socket" --image-endpoint "unix://$socket" --timeout 60s "$@"; }

# The pod sandbox ("pause") image, under the name this containerd's config asks for.
sandbox_ref=$(containerd -c "$host_root/etc/containerd/config.toml" config dump 2>/dev/null | awk -F'"' '/sandbox_image/ { print $2; exit }')
ctr images import "$pause_tar" >/dev/null
if [ -n "$sandbox_ref" ] && [ "$sandbox_ref" != registry.k8s.io/pause:3.9 ]; then
  ctr images tag --force registry.k8s.io/pause:3.9 "$sandbox_ref" >/dev/null
fi

name=$(basename "$module" .wasm)
reference="kwasm.local/$name:demo"
python3 "$here/make-image.py" "$module" "$reference" "$work/$name-image.tar"
ctr images import "$work/$name-image.tar" >/dev/null
echo "    image $reference: one layer holding /$name.wasm ($(stat -c %s "$module") bytes), entrypoint /$name.wasm"

mkdir -p "$work/pod-logs"
cat >"$work/pod.json" <<JSON
{"metadata": {"name": "$name", "namespace": "default", "uid": "$(cat /proc/sys/kernel/random/uuid)"},
 "annotations": {"module.wasm.image/variant": "compat"},
 "log_directory": "$work/pod-logs",
 "linux": {"security_context": {"namespace_options": {"network": 2}}}}
JSON
cat >"$work/container.json" <<JSON
{"metadata": {"name": "$name"}, "image": {"image": "$reference"}, "log_path": "$name.log"}
JSON
echo "\$ crictl runp --runtime kwasm pod.json && crictl create POD container.json pod.json && crictl start CONTAINER"
pod=$(cri runp --runtime kwasm "$work/pod.json")
trap 'cri stopp "$pod" >/dev/null 2>&1; cri rmp "$pod" >/dev/null 2>&1' EXIT
container=$(cri create --no-pull "$pod" "$work/container.json" "$work/pod.json")
cri start "$container" >/dev/null
state=""
for _ in $(seq 1 600); do
  state=$(cri inspect -o go-template --template '{{.status.state}}' "$container")
  [ "$state" = CONTAINER_EXITED ] && break
  sleep 0.1
done
[ "$state" = CONTAINER_EXITED ] || { echo "the container did not exit (state $state)" >&2; exit 1; }
echo "\$ crictl logs CONTAINER      # stdout and stderr of the module"
cri logs "$container" 2>&1 | sed 's/^/    /'
code=$(cri inspect -o go-template --template '{{.status.exitCode}}' "$container")
echo "\$ crictl inspect -o go-template --template '{{.status.exitCode}}' CONTAINER"
echo "    $code"
echo "exit code $code: the module's own proc_exit code, run by kwasm-wasi through runc (handler kwasm)"
