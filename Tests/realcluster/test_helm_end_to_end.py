"""README "On a cluster", as a new user does it, on a real control plane and a real kubelet node:
`helm install --create-namespace` (real Helm library) + the Pod Security label → operator Ready →
`kubectl annotate node` → WasmNodeStatus Ready → a pod through every RuntimeClass the operator made
runs and `kubectl logs` shows its output → un-annotate → the node's containerd config and /opt are
byte-identical to before → annotate again → `helm uninstall` with the node still annotated leaves
no RuntimeClass, status, label, Job or installed file, and nothing comes back afterwards.

Images come from this checkout's `swift build` (images.py); runtimes from the installer image's
catalog, so a runtime added to the catalog is tested without changing this file.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import pytest

from images import INSTALLER_IMAGE, OPERATOR_IMAGE, TAG, workload

helm = pytest.importorskip("helm_python", reason="pip install -r Tests/chart/requirements.txt")

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "charts" / "kwasm-operator"
RELEASE, NAMESPACE = "kwasm-operator", "kwasm"
MANAGED = "app.kubernetes.io/managed-by=kwasm-operator"
ANNOTATION = "kwasm.sh/kwasm-node"
PROVISIONED = "kwasm.sh/kwasm-provisioned"
CLEANUP_SECONDS = 300


def node_files(cluster) -> dict[str, str]:
    """sha256 of every file the installer may touch on the node: containerd's config dir and /opt."""
    digests = {}
    for top in ("etc/containerd", "opt"):
        root = cluster.node_root / top
        for path in sorted(root.rglob("*")) if root.exists() else []:
            key = str(path.relative_to(cluster.node_root))
            if path.is_symlink():
                digests[key] = "-> " + os.readlink(path)
            elif path.is_file():
                digests[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digests


def helm_config(cluster):
    return helm.Config(kubeconfig_path=cluster.env["KUBECONFIG"], namespace=NAMESPACE)


def install(cluster, catalog) -> None:
    values = {
        "image": {"repository": OPERATOR_IMAGE, "tag": TAG, "pullPolicy": "Never"},
        "installer": {"image": {"repository": INSTALLER_IMAGE, "tag": TAG, "pullPolicy": "Never"}},
        "provisioning": {"runtimes": [entry["name"] for entry in catalog["runtimes"]]},
        "cleanup": {"timeoutSeconds": CLEANUP_SECONDS},
    }
    with helm_config(cluster) as config, helm.Chart.load(str(CHART)) as chart:
        config.install(chart, RELEASE, values, namespace=NAMESPACE, create_namespace=True, wait="watcher", timeout=180)
    # README: --create-namespace makes an unlabelled namespace; the installer pods are privileged.
    cluster.kubectl("label", "ns", NAMESPACE, "pod-security.kubernetes.io/enforce=privileged", "--overwrite")
    pods = cluster.items("pods", "-n", NAMESPACE, "-l", "app.kubernetes.io/component=operator")
    assert pods and all(c.get("ready") for p in pods for c in p["status"].get("containerStatuses", [])), "operator pod not Ready"


def uninstall(cluster) -> None:
    with helm_config(cluster) as config:
        config.uninstall(RELEASE, timeout=CLEANUP_SECONDS + 60)


def annotate(cluster, value: str | None) -> None:
    cluster.kubectl("annotate", "node", cluster.node, f"{ANNOTATION}={value}" if value else f"{ANNOTATION}-", "--overwrite")


def node_status(cluster) -> dict | None:
    out = cluster.kubectl("get", "wasmnodestatuses", cluster.node, "-o", "json", "--ignore-not-found")
    return json.loads(out) if out.strip() else None


def wait_ready(cluster) -> dict:
    def ready():
        status = node_status(cluster)
        phase = (status or {}).get("status", {}).get("phase")
        if phase == "Failed":
            raise AssertionError(f"node install failed: {json.dumps(status['status'], indent=1)}")
        return status if phase == "Ready" else None
    return cluster.wait("WasmNodeStatus Ready", ready, timeout=180)


def provisioned_label(cluster) -> str | None:
    return cluster.get_json("node", cluster.node)["metadata"].get("labels", {}).get(PROVISIONED)


def leftovers(cluster) -> list[str]:
    """What a finished uninstall must not leave behind."""
    found = [f"runtimeclass/{rc['metadata']['name']}" for rc in cluster.items("runtimeclasses", "-l", MANAGED)]
    found += [f"wasmnodestatus/{s['metadata']['name']}" for s in cluster.items("wasmnodestatuses")]
    found += [f"job/{j['metadata']['name']}" for j in cluster.items("jobs", "-n", NAMESPACE)]
    if provisioned_label(cluster) is not None:
        found.append(f"node label {PROVISIONED}")
    return found


def run_pod(cluster, name: str, runtime_class: str, entry: dict) -> tuple[bool, str]:
    work = workload(entry)
    container = {"name": "main", "image": work.image, "imagePullPolicy": "Never"}
    if work.command:
        container["command"] = work.command
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": name, "namespace": "default", "annotations": work.annotations},
           "spec": {"runtimeClassName": runtime_class, "restartPolicy": "Never", "containers": [container]}}
    uid = json.loads(cluster.kubectl("create", "-f", "-", "-o", "json", input=json.dumps(pod)))["metadata"]["uid"]

    def events() -> str:
        return cluster.kubectl("get", "events", "-n", "default", "--field-selector", f"involvedObject.uid={uid}", check=False)

    def finished():
        phase = cluster.get_json("pod", name, "-n", "default")["status"].get("phase")
        if phase in ("Succeeded", "Failed"):
            return phase
        # The kubelet retries a sandbox it could not create forever: one failure is the answer.
        return "NoSandbox" if "FailedCreatePodSandBox" in events() else None

    try:
        phase = cluster.wait(f"pod {name} finished", finished, timeout=90)
    except AssertionError as error:
        return False, f"{runtime_class}: {error}\n{events()}"
    if phase == "NoSandbox":
        return False, f"{runtime_class} ({entry['name']}, {entry['kind']}): the pod sandbox was not created:\n{events()}"
    logs = cluster.kubectl("logs", "-n", "default", name, check=False)
    ok = phase == "Succeeded" and work.expected in logs
    return ok, f"{runtime_class} ({entry['name']}, {entry['kind']}): phase {phase}, logs {logs.strip()!r}, expected {work.expected!r}"


def run_exit_code_pod(cluster) -> tuple[bool, str]:
    """A `runtimeClassName: kwasm` pod reports the module's own exit code (proc_exit(3)), not 0 or 1."""
    from images import EXIT_CODE_IMAGE
    name = "e2e-kwasm-exit-code"
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": name, "namespace": "default", "annotations": {"module.wasm.image/variant": "compat"}},
           "spec": {"runtimeClassName": "kwasm", "restartPolicy": "Never",
                    "containers": [{"name": "main", "image": EXIT_CODE_IMAGE, "imagePullPolicy": "Never"}]}}
    cluster.kubectl("create", "-f", "-", input=json.dumps(pod))
    try:
        def terminated():
            statuses = cluster.get_json("pod", name, "-n", "default")["status"].get("containerStatuses", [])
            return (statuses[0].get("state", {}).get("terminated") if statuses else None)
        state = cluster.wait(f"pod {name} terminated", terminated, timeout=90)
        logs = cluster.kubectl("logs", "-n", "default", name, check=False)
        ok = state.get("exitCode") == 3 and "Hello from a WASI module" in logs
        return ok, f"kwasm exit code: {state.get('exitCode')} (expected 3, the module's proc_exit), logs {logs.strip()!r}"
    finally:
        cluster.kubectl("delete", "pod", "-n", "default", name, "--wait=true", check=False)


def test_readme_on_a_cluster_end_to_end(cluster, images):
    catalog = images
    original = node_files(cluster)
    results, report = [], ""
    install(cluster, catalog)
    try:
        annotate(cluster, "true")
        status = wait_ready(cluster)
        assert provisioned_label(cluster) == "true"

        # Every RuntimeClass the operator keeps gets a pod; the catalog says what the runtime runs.
        runtime_classes = cluster.items("runtimeclasses", "-l", MANAGED)
        entries = {entry["name"]: entry for entry in catalog["runtimes"]}
        assert sorted(rc["metadata"]["labels"]["kwasm.sh/runtime"] for rc in runtime_classes) == sorted(entries), status
        for rc in runtime_classes:
            name = f"e2e-{rc['metadata']['name']}"
            results.append(run_pod(cluster, name, rc["metadata"]["name"], entries[rc["metadata"]["labels"]["kwasm.sh/runtime"]]))
            cluster.kubectl("delete", "pod", "-n", "default", name, "--wait=true", check=False)
        if "kwasm" in entries:
            results.append(run_exit_code_pod(cluster))
        report = "\n".join(message for _, message in results)
        print(f"containerd {cluster.containerd}:\n{report}")

        # Un-annotating uninstalls byte-exactly.
        annotate(cluster, None)
        cluster.wait("uninstalled", lambda: node_status(cluster) is None and provisioned_label(cluster) is None)
        assert node_files(cluster) == original

        # helm uninstall while the node still carries the annotation.
        annotate(cluster, "true")
        wait_ready(cluster)
    finally:
        uninstall(cluster)
    assert leftovers(cluster) == []
    assert node_files(cluster) == original
    # The operator pod may still be stopping: nothing comes back meanwhile.
    time.sleep(15)
    assert leftovers(cluster) == []
    cluster.kubectl("delete", "ns", NAMESPACE, "--wait=true")
    # Checked last, so a runtime that cannot run a pod does not hide the uninstall checks above.
    assert all(ok for ok, _ in results), report
