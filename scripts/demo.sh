#!/usr/bin/env bash
# Runs kwasm-operator end to end on this machine, no cluster needed:
#   a simulated cluster (fake API server + simulated kubelet, its own process),
#   the operator binary against it, one node annotated, and the resulting WasmNodeStatus.
#
#   scripts/demo.sh            # simulated installer (reports only)
#   KWASM_DEMO_NODES=5 scripts/demo.sh
#
# Real mode (the simulated kubelet executes kwasm-node-installer against a sandbox containerd)
# is selected with KWASM_DEMO_MODE=execute once the installer is built; see the report in
# docs for its state.
set -euo pipefail
cd "$(dirname "$0")/.."

NODES="${KWASM_DEMO_NODES:-1}"
MODE="${KWASM_DEMO_MODE:-simulate}"
CONFIG=release
BIN=".build/$CONFIG"
WORK="$(mktemp -d /tmp/kwasm-demo.XXXXXX)"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "==> building kwasm-operator and kwasm-dev-cluster ($CONFIG)"
swift build -c "$CONFIG" --product kwasm-operator >/dev/null
swift build -c "$CONFIG" --product kwasm-dev-cluster >/dev/null

echo "==> starting a simulated cluster with $NODES node(s)"
EXTRA=()
if [ "$MODE" = execute ]; then
  swift build -c "$CONFIG" --product kwasm-node-installer >/dev/null
  EXTRA=(--mode execute --installer "$BIN/kwasm-node-installer" --host-root "${KWASM_DEMO_HOST_ROOT:?set KWASM_DEMO_HOST_ROOT to a sandbox host root}")
fi
"$BIN/kwasm-dev-cluster" --kubeconfig "$WORK/kubeconfig" --nodes "$NODES" --install-milliseconds 1500 "${EXTRA[@]}" >"$WORK/cluster.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 200); do [ -f "$WORK/kubeconfig" ] && break; sleep 0.05; done
[ -f "$WORK/kubeconfig" ] || { cat "$WORK/cluster.log"; exit 1; }
export KUBECONFIG="$WORK/kubeconfig"

echo "==> starting kwasm-operator"
"$BIN/kwasm-operator" run --kubeconfig "$WORK/kubeconfig" --namespace kwasm \
  --installer-image "ghcr.io/kwasm/kwasm-node-installer@sha256:$(printf '0%.0s' $(seq 1 64))" \
  --health-probe-bind-address 127.0.0.1:0 --metrics-bind-address 0 >"$WORK/operator.log" 2>&1 &
PIDS+=($!)

SERVER="$(sed -n 's/^ *server: //p' "$WORK/kubeconfig")"
get() { curl -fsS "$SERVER$1"; }
patch() { curl -fsS -X PATCH -H 'Content-Type: application/merge-patch+json' --data "$2" "$SERVER$1" >/dev/null; }

echo "==> kubectl annotate node node-0 kwasm.sh/kwasm-node=true"
patch /api/v1/nodes/node-0 '{"metadata":{"annotations":{"kwasm.sh/kwasm-node":"true"}}}'

echo "==> waiting for node-0 to become Ready"
for _ in $(seq 1 600); do
  phase="$(get /apis/kwasm.sh/v1alpha1/wasmnodestatuses/node-0 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin).get("status",{}).get("phase",""))' 2>/dev/null || true)"
  [ "$phase" = Ready ] && break
  sleep 0.1
done

echo
echo "\$ kubectl get wasmnodestatuses"
get /apis/kwasm.sh/v1alpha1/wasmnodestatuses | python3 -c '
import json, sys
items = json.load(sys.stdin)["items"]
print("%-12s %-12s %-10s %-20s %-10s" % ("NAME", "NODE", "PHASE", "RUNTIMES", "CONTAINERD"))
for i in items:
    s = i.get("status", {})
    print("%-12s %-12s %-10s %-20s %-10s" % (i["metadata"]["name"], i["spec"]["nodeName"], s.get("phase", ""), s.get("runtimeNames", ""), s.get("containerd", {}).get("version", "")))
'
echo
echo "\$ kubectl get runtimeclasses"
get /apis/node.k8s.io/v1/runtimeclasses | python3 -c '
import json, sys
print("%-10s %-10s %s" % ("NAME", "HANDLER", "NODE SELECTOR"))
for i in json.load(sys.stdin)["items"]:
    print("%-10s %-10s %s" % (i["metadata"]["name"], i["handler"], i.get("scheduling", {}).get("nodeSelector", {})))
'
echo
echo "\$ kubectl get node node-0 --show-labels"
get /api/v1/nodes/node-0 | python3 -c 'import json,sys; print(json.load(sys.stdin)["metadata"].get("labels", {}))'
[ "$phase" = Ready ] || { echo "node-0 did not become Ready; operator log:"; tail -50 "$WORK/operator.log"; exit 1; }
