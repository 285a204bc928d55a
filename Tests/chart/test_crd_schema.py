"""The WasmNodeStatus CRD schema accepts what the operator writes (contracts.md) and rejects junk."""
from __future__ import annotations

import copy
import re

import jsonschema
import pytest

from conftest import REPO

SAMPLE = {
    "apiVersion": "kwasm.sh/v1alpha1",
    "kind": "WasmNodeStatus",
    "metadata": {"name": "worker-1", "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": "worker-1", "uid": "0b9c"}]},
    "spec": {"nodeName": "worker-1"},
    "status": {
        "phase": "Ready",
        "conditions": [
            {"type": "Installed", "status": "True", "reason": "Installed", "message": "2 runtimes installed",
             "lastTransitionTime": "2026-01-01T00:00:00Z", "observedGeneration": 1},
            {"type": "RuntimeVerified", "status": "True", "reason": "Verified", "message": "containerd lists spin, wasmtime",
             "lastTransitionTime": "2026-01-01T00:00:00Z", "observedGeneration": 1},
            {"type": "Ready", "status": "True", "reason": "Verified", "message": "node labelled",
             "lastTransitionTime": "2026-01-01T00:00:00Z", "observedGeneration": 1},
        ],
        "runtimes": [{"name": "spin", "handler": "spin", "runtimeType": "io.containerd.spin.v2", "version": "0.19.0",
                      "sha256": "a" * 64, "path": "/opt/kwasm/bin/containerd-shim-spin-v2"}],
        "runtimeNames": "spin",
        "containerd": {"version": "1.7.22", "distro": "k3s", "configPath": "/var/lib/rancher/k3s/agent/etc/containerd/config.toml.tmpl", "configSchema": 2},
        "installerImage": "ghcr.io/kwasm/kwasm-node-installer:0.1.0",
        "specHash": "0123456789",
        "lastJob": "kwasm-install-worker-1",
        "attempts": 0,
        "lastError": {"code": "RestartFailed", "message": "k3s did not come back", "time": "2026-01-01T00:00:00Z"},
        "observedGeneration": 1,
        "lastTransitionTime": "2026-01-01T00:00:00Z",
        "installedTime": "2026-01-01T00:00:00Z",
        "lastCheckedTime": "2026-01-01T00:10:00Z",
    },
}


def as_json_schema(node):
    """openAPIV3Schema -> JSON schema: drop the x-kubernetes-* extensions jsonschema does not know."""
    if isinstance(node, dict):
        return {k: as_json_schema(v) for k, v in node.items() if not k.startswith("x-kubernetes-")}
    if isinstance(node, list):
        return [as_json_schema(v) for v in node]
    return node


@pytest.fixture(scope="module")
def validator(default):
    schema = as_json_schema(default.crds[0]["spec"]["versions"][0]["schema"]["openAPIV3Schema"])
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


def test_the_status_the_operator_writes_is_accepted(validator):
    validator.validate(SAMPLE)


@pytest.mark.parametrize("path,value", [
    (("status", "phase"), "Done"),
    (("status", "runtimes", 0, "sha256"), "not-hex"),
    (("status", "containerd", "configSchema"), "two"),
    (("status", "specHash"), "xyz"),
    (("status", "attempts"), -1),
    (("status", "conditions", 0, "status"), "yes"),
])
def test_malformed_status_is_rejected(validator, path, value):
    broken = copy.deepcopy(SAMPLE)
    target = broken
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(broken)


def swift_struct_fields(text: str, name: str) -> set[str]:
    body = re.search(r"struct " + name + r"\b[^{]*\{(.*?)\n    \}", text, flags=re.S)
    assert body, f"struct {name} not found"
    return set(re.findall(r"^\s*public var (\w+)\s*:", body.group(1), flags=re.M))


def test_crd_schema_and_the_swift_model_have_the_same_fields(default):
    """A field the operator writes but the CRD lacks is silently pruned by the API server; a CRD
    field the model lacks is documentation that lies."""
    model = REPO / "Sources" / "KubernetesClient" / "Models" / "WasmNodeStatus.swift"
    if not model.exists():
        pytest.skip(f"{model} not there yet")
    text = model.read_text()
    schema = default.crds[0]["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]
    status = schema["status"]["properties"]
    pairs = {
        "Spec": schema["spec"],
        "Status": schema["status"],
        "InstalledRuntime": status["runtimes"]["items"],
        "Containerd": status["containerd"],
        "LastError": status["lastError"],
    }
    for struct, node in pairs.items():
        assert swift_struct_fields(text, struct) == set(node["properties"]), struct
