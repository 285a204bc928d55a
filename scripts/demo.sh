#!/usr/bin/env bash
# Runs kwasm-operator end to end on this machine, no cluster needed:
#   a real containerd in a sandbox host root, a simulated cluster (fake API server + simulated
#   kubelet, its own process) whose kubelet executes the installer Job's kwasm-node-installer
#   command for real against that sandbox, the operator binary against the cluster, one node
#   annotated, the resulting WasmNodeStatus and RuntimeClass, and a real WASI module
#   (scripts/wasi/hello-kwasm.wasm) run by the installed `kwasm` runtime through CRI
#   (RunPodSandbox with handler kwasm + CreateContainer + StartContainer, by our own CRI client), with its
#   output and exit code.
#
#   scripts/demo.sh                          # real install into a sandbox containerd (needs root)
#   KWASM_DEMO_MODE=simulate scripts/demo.sh # simulated installer reports only (no root, no containerd)
#   KWASM_DEMO_NODES=5 KWASM_DEMO_MODE=simulate scripts/demo.sh
#   KWASM_DEMO_CONFIG=release scripts/demo.sh   # default: debug (builds much faster from scratch)
#
# Everything it starts (containerd, the cluster, the operator) is stopped and removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

NODES="${KWASM_DEMO_NODES:-1}"
MODE="${KWASM_DEMO_MODE:-execute}"
CONFIG="${KWASM_DEMO_CONFIG:-debug}"
TIMEOUT="${KWASM_DEMO_TIMEOUT:-180}"
case "$MODE" in execute|simulate) ;; *) echo "KWASM_DEMO_MODE must be execute or simulate" >&2; exit 2 ;; esac

WORK="$(mktemp -d /tmp/kwasm-demo.XXXXXX)"
LOGS="${KWASM_DEMO_LOGS:-/tmp/kwasm-demo-logs}"
PIDS=()
SANDBOX_PID=""
SANDBOX_DIR=""
cleanup() {
  status=$?
  set +e
  # The cluster's kubelet may be running an installer right now: stop it first, or it outlives the sandbox.
  for pid in "${PIDS[@]}"; do
    for child in $(cat /proc/"$pid"/task/*/children 2>/dev/null); do kill "$child" 2>/dev/null; done
  done
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  # Keep the logs of the last run for a look afterwards.
  rm -rf "$LOGS"; mkdir -p "$LOGS"
  cp "$WORK"/*.log "$LOGS"/ 2>/dev/null
  [ -n "$SANDBOX_DIR" ] && cp "$SANDBOX_DIR/host/var/log/containerd.log" "$SANDBOX_DIR/host/etc/containerd/config.toml" "$LOGS"/ 2>/dev/null
  if [ -n "$SANDBOX_PID" ]; then
    # kwasm-sandbox stops containerd, unmounts and removes the sandbox on SIGTERM.
    kill "$SANDBOX_PID" 2>/dev/null
    wait "$SANDBOX_PID" 2>/dev/null
  fi
  if [ -n "$SANDBOX_DIR" ] && [ -d "$SANDBOX_DIR" ]; then
    # kwasm-sandbox did not get to it (killed hard): stop containerd and remove what is left.
    sh "$SANDBOX_DIR/ctl/stop.sh" 2>/dev/null
    grep -o " $SANDBOX_DIR/[^ ]*" /proc/self/mountinfo 2>/dev/null | sort -r | xargs -r -n1 umount -l 2>/dev/null
    rm -rf "$SANDBOX_DIR"
  fi
  rm -rf "$WORK"
  if [ "$status" -eq 0 ]; then
    echo "==> cleaned up: ${SANDBOX_DIR:+containerd sandbox, }cluster and operator stopped (logs of this run in $LOGS)"
  else
    echo "==> exit status $status; everything started was stopped and removed; logs of this run in $LOGS" >&2
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { echo "==> $*"; }
waitfor() {  # waitfor SECONDS FILE PID LOG: until FILE exists, failing when PID exits
  for _ in $(seq 1 $(($1 * 10))); do
    [ -s "$2" ] && return 0
    kill -0 "$3" 2>/dev/null || { echo "process $3 exited early:"; tail -40 "$4"; return 1; }
    sleep 0.1
  done
  echo "timed out waiting for $2:"; tail -40 "$4"; return 1
}

# --- 1. prerequisites ---------------------------------------------------------------------------
if [ "$MODE" = execute ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "The real demo starts containerd in a sandbox (mounts, network namespace) and needs root." >&2
    echo "Run it with sudo, or KWASM_DEMO_MODE=simulate $0 for the simulated installer." >&2
    exit 1
  fi
  missing=""
  for program in /usr/bin/containerd /usr/bin/ctr /usr/bin/containerd-shim-runc-v2 /bin/busybox /usr/bin/unshare; do
    [ -x "$program" ] || missing="$missing $program"
  done
  command -v runc >/dev/null || missing="$missing runc"
  if [ -n "$missing" ]; then
    step "installing what is missing ($missing ) with scripts/setup.sh"
    bash scripts/setup.sh
  fi
fi

# --- 2. build -------------------------------------------------------------------------------------
step "building kwasm-operator, kwasm-node-installer, kwasm-dev-cluster, kwasm-sandbox, kwasm-oci, kwasm-wasi ($CONFIG)"
echo "    (from scratch this takes several minutes; later runs take seconds)"
BUILD_START=$SECONDS
# One `swift build` for every executable of the package; progress every 10 %, full log on failure.
if ! swift build -c "$CONFIG" 2>&1 | tee "$WORK/build.log" | awk '
    /^(Fetching|Computing|Building for)/ { print "    " $0; fflush() }
    /^\[[0-9]+\/[0-9]+\]/ { split(substr($1, 2), n, "/"); pct = int(100 * n[1] / n[2]);
                            if (n[2] + 0 > 20 && pct >= last + 10) { last = pct - pct % 10; printf "    %3d%% %s\n", last, $1; fflush() } }'; then
  echo "build failed:" >&2; grep -E "error:" "$WORK/build.log" | head -20 >&2; tail -5 "$WORK/build.log" >&2; exit 1
fi
BIN="$(swift build -c "$CONFIG" --show-bin-path)"
echo "    built in $((SECONDS - BUILD_START)) s ($BIN)"

# --- 3. the containerd sandbox and the kwasm runtime's assets ----------------------------------
CLUSTER_ARGS=(--install-milliseconds 1500)
if [ "$MODE" = execute ]; then
  step "starting a real containerd ($(containerd --version | awk '{print $3}')) in a sandbox host root"
  "$BIN/kwasm-sandbox" --env-file "$WORK/sandbox.env" >"$WORK/sandbox.log" 2>&1 &
  SANDBOX_PID=$!
  waitfor 60 "$WORK/sandbox.env" "$SANDBOX_PID" "$WORK/sandbox.log"
  # shellcheck disable=SC1091
  . "$WORK/sandbox.env"
  SANDBOX_DIR="$KWASM_SANDBOX_DIR"
  echo "    host root $KWASM_SANDBOX_HOST_ROOT, socket $KWASM_SANDBOX_SOCKET, machine-id $KWASM_SANDBOX_MACHINE_ID"

  step "building the installer's assets with kwasm-node-installer catalog add (runtime kwasm, built above)"
  ASSETS="$WORK/assets"
  mkdir -p "$ASSETS/bin"
  # This build's kwasm-wasi is linked dynamically (the installer image's is static): list its loader
  # and libraries for kwasm-oci to mount into wasm containers (docs/runtime-catalog.md).
  sh installer-image/runner-libraries.sh "$BIN/kwasm-wasi" > "$ASSETS/bin/kwasm-wasi.libs"
  "$BIN/kwasm-node-installer" catalog add --assets "$ASSETS" --name kwasm --kind oci-binary \
    --version "dev-$CONFIG" --file "$BIN/kwasm-oci" --file "$BIN/kwasm-wasi" --file "$ASSETS/bin/kwasm-wasi.libs" \
    | sed 's/^/    /'

  CLUSTER_ARGS=(--mode execute --installer "$BIN/kwasm-node-installer" --host-root "$KWASM_SANDBOX_HOST_ROOT"
    --machine-id "$KWASM_SANDBOX_MACHINE_ID"
    --installer-env "KWASM_ASSETS=$ASSETS"
    --installer-env "KWASM_RESTART=command"
    --installer-env "KWASM_RESTART_COMMAND=$KWASM_SANDBOX_RESTART_COMMAND"
    --installer-env "KWASM_CONTAINERD_LOG=/var/log/containerd.log")
fi

# --- 4. the simulated cluster and the operator -------------------------------------------------
step "starting a simulated cluster (fake API server + kubelet) with $NODES node(s)"
"$BIN/kwasm-dev-cluster" --kubeconfig "$WORK/kubeconfig" --nodes "$NODES" "${CLUSTER_ARGS[@]}" >"$WORK/cluster.log" 2>&1 &
PIDS+=($!)
waitfor 30 "$WORK/kubeconfig" "${PIDS[-1]}" "$WORK/cluster.log"
export KUBECONFIG="$WORK/kubeconfig"

RUNTIMES=(); [ "$MODE" = execute ] && RUNTIMES=(--runtimes kwasm)
step "starting kwasm-operator run${RUNTIMES[*]:+ ${RUNTIMES[*]}}"
"$BIN/kwasm-operator" run --kubeconfig "$WORK/kubeconfig" --namespace kwasm "${RUNTIMES[@]}" \
  --installer-image "ghcr.io/kwasm/kwasm-node-installer@sha256:$(printf '0%.0s' $(seq 1 64))" \
  --health-probe-bind-address 127.0.0.1:0 --metrics-bind-address 0 >"$WORK/operator.log" 2>&1 &
PIDS+=($!)

SERVER="$(sed -n 's/^ *server: //p' "$WORK/kubeconfig")"
get() { curl -fsS "$SERVER$1"; }
patch() { curl -fsS -X PATCH -H 'Content-Type: application/merge-patch+json' --data "$2" "$SERVER$1" >/dev/null; }

step "kubectl annotate node node-0 kwasm.sh/kwasm-node=true"
patch /api/v1/nodes/node-0 '{"metadata":{"annotations":{"kwasm.sh/kwasm-node":"true"}}}'

if [ "$MODE" = execute ]; then how="the simulated kubelet runs the installer Job's kwasm-node-installer install for real"; else how="simulated installer reports"; fi
step "waiting for node-0 to become Ready ($how)"
phase=""; last=""
for _ in $(seq 1 $((TIMEOUT * 10))); do
  phase="$(get /apis/kwasm.sh/v1alpha1/wasmnodestatuses/node-0 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin).get("status",{}).get("phase",""))' 2>/dev/null || true)"
  [ -n "$phase" ] && [ "$phase" != "$last" ] && { echo "    phase: $phase"; last="$phase"; }
  [ "$phase" = Ready ] || [ "$phase" = Failed ] || [ "$phase" = Unsupported ] && break
  sleep 0.1
done

echo
echo "\$ kubectl get wasmnodestatuses"
get /apis/kwasm.sh/v1alpha1/wasmnodestatuses | python3 -c '
import json, sys, datetime
items = json.load(sys.stdin)["items"]
fmt = "%-10s %-10s %-10s %-15s %-11s %s"
print(fmt % ("NAME", "NODE", "PHASE", "RUNTIMES", "CONTAINERD", "AGE"))
now = datetime.datetime.now(datetime.timezone.utc)
for i in items:
    s = i.get("status", {})
    created = datetime.datetime.fromisoformat(i["metadata"]["creationTimestamp"].replace("Z", "+00:00"))
    print(fmt % (i["metadata"]["name"], i["spec"]["nodeName"], s.get("phase", ""), s.get("runtimeNames", ""),
                 s.get("containerd", {}).get("version", ""), "%ds" % (now - created).total_seconds()))
'
echo
echo "\$ kubectl get runtimeclasses"
get /apis/node.k8s.io/v1/runtimeclasses | python3 -c '
import json, sys
print("%-10s %-10s %s" % ("NAME", "HANDLER", "NODE SELECTOR"))
for i in json.load(sys.stdin)["items"]:
    print("%-10s %-10s %s" % (i["metadata"]["name"], i["handler"], json.dumps(i.get("scheduling", {}).get("nodeSelector", {}))))
'
echo
echo "\$ kubectl get node node-0 -o jsonpath={.metadata.labels}"
get /api/v1/nodes/node-0 | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["metadata"].get("labels", {})))'
if [ "$phase" != Ready ]; then
  echo; echo "node-0 did not become Ready (phase '${phase}'). WasmNodeStatus:"
  get /apis/kwasm.sh/v1alpha1/wasmnodestatuses/node-0 | python3 -m json.tool | tail -40 || true
  echo "operator log:"; tail -30 "$WORK/operator.log"
  echo "cluster log:"; tail -30 "$WORK/cluster.log"
  exit 1
fi

# --- 5. a container through the installed runtime ----------------------------------------------
if [ "$MODE" = execute ]; then
  echo
  echo "\$ kubectl get wasmnodestatus node-0 -o jsonpath={.status.runtimes}"
  get /apis/kwasm.sh/v1alpha1/wasmnodestatuses/node-0 | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["status"].get("runtimes", [])))'
  echo
  echo "# what the installer did to the sandbox host (host root $KWASM_SANDBOX_HOST_ROOT):"
  echo "\$ ls -l /opt/kwasm/bin"
  ls -l "$KWASM_SANDBOX_HOST_ROOT/opt/kwasm/bin" | sed 1d
  echo "\$ grep -A5 'runtimes.kwasm\]' /etc/containerd/config.toml"
  grep -A5 'runtimes.kwasm\]' "$KWASM_SANDBOX_HOST_ROOT/etc/containerd/config.toml" || true
  echo "\$ grep -c '=== kwasm sandbox: starting containerd' /var/log/containerd.log   # 2: started, then restarted once by the installer"
  grep -c '=== kwasm sandbox: starting containerd' "$KWASM_SANDBOX_HOST_ROOT/var/log/containerd.log" || true

  echo
  echo "# a WASI module through the installed runtime, as the kubelet runs a pod with runtimeClassName: kwasm"
  bash scripts/wasi/run-through-cri.sh "$KWASM_SANDBOX_SOCKET" "$BIN/kwasm-sandbox" scripts/wasi/hello-kwasm.wasm "$WORK"
fi
