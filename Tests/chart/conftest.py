"""Shared helpers: render charts/kwasm-operator with the real Helm library (helm-python-sdk)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

helm = pytest.importorskip("helm_python", reason="pip install -r Tests/chart/requirements.txt")

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "charts" / "kwasm-operator"
CONTRACTS = REPO / "docs" / "design" / "contracts.md"
RELEASE = "kwasm-operator"
NAMESPACE = "kwasm"

ALL_RUNTIMES = ["kwasm", "spin", "wasmtime", "wasmedge", "wasmer", "slight", "wws", "lunatic", "crun-wasmedge"]
DIGEST = "sha256:" + "ab" * 32

# Non-default value sets every rendering test also runs with.
VALUE_SETS: dict[str, dict] = {
    "default": {},
    "digest-pinned": {
        "image": {"digest": DIGEST},
        "installer": {"image": {"repository": "registry.example.com:5000/mirror/kwasm-node-installer", "digest": "sha256:" + "cd" * 32}},
        "imagePullSecrets": [{"name": "mirror-creds"}],
    },
    "replicas-2": {"replicas": 2, "podDisruptionBudget": {"enabled": True}},
    "leader-election-1-replica": {"leaderElection": {"enabled": True}},
    "auto-provision": {"provisioning": {"autoProvision": True, "nodeSelector": "pool in (wasm),kubernetes.io/os=linux", "maxParallel": 3}},
    "all-runtimes": {"provisioning": {"runtimes": ALL_RUNTIMES, "restartStrategy": "k3s", "driftInterval": "0"}},
    "service-monitor": {"serviceMonitor": {"enabled": True, "labels": {"release": "prometheus"}}},
    "operator-scheduling": {
        "nodeSelector": {"kubernetes.io/os": "linux"},
        "tolerations": [{"key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule"}],
        "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64", "arm64"]}]}]}}},
        "priorityClassName": "system-cluster-critical",
        "logging": {"format": "json", "level": "debug"},
        "installer": {"job": {"priorityClassName": "", "activeDeadlineSeconds": 300, "ttlSecondsAfterFinished": 0}},
    },
    "cleanup-disabled": {"cleanup": {"enabled": False}},
    "cleanup-post-delete": {"cleanup": {"hook": "post-delete", "timeoutSeconds": 1800}},
}


class Rendered:
    """The objects of one rendering: templates (hooks separate), CRDs and NOTES.txt."""

    def __init__(self, files: dict[str, str], crds: list[dict]):
        self.notes = ""
        self.objects: list[dict] = []
        self.sources: dict[int, str] = {}
        for path, text in sorted(files.items()):
            if path.endswith("NOTES.txt"):
                self.notes = text
                continue
            for doc in yaml.safe_load_all(text):
                if doc:
                    self.sources[len(self.objects)] = path
                    self.objects.append(doc)
        self.crds = crds

    @property
    def hooks(self) -> list[dict]:
        return [o for o in self.objects if "helm.sh/hook" in (o["metadata"].get("annotations") or {})]

    @property
    def resources(self) -> list[dict]:
        return [o for o in self.objects if "helm.sh/hook" not in (o["metadata"].get("annotations") or {})]

    def of_kind(self, kind: str, *, hooks: bool = False) -> list[dict]:
        pool = self.objects if hooks else self.resources
        return [o for o in pool if o["kind"] == kind]

    def one(self, kind: str) -> dict:
        found = self.of_kind(kind)
        assert len(found) == 1, f"expected one {kind}, found {len(found)}"
        return found[0]


@pytest.fixture(scope="session")
def chart():
    loaded = helm.Chart.load(str(CHART))
    yield loaded
    loaded.close()


def render(chart, values: dict | None = None, namespace: str = NAMESPACE) -> Rendered:
    files = chart.render(values or {}, name=RELEASE, namespace=namespace, is_install=True)
    crds = [yaml.safe_load(c["data"]) for c in chart.crds]
    return Rendered(files, crds)


@pytest.fixture(scope="session")
def rendered_sets(chart) -> dict[str, Rendered]:
    return {name: render(chart, values) for name, values in VALUE_SETS.items()}


@pytest.fixture(scope="session")
def default(rendered_sets) -> Rendered:
    return rendered_sets["default"]


def deployment_args(r: Rendered) -> list[str]:
    return r.one("Deployment")["spec"]["template"]["spec"]["containers"][0]["args"]


def contract_operator_flags() -> set[str]:
    """The `--flags` of the operator table in docs/design/contracts.md."""
    text = CONTRACTS.read_text()
    section = text.split("## Operator command line", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `(--[a-z-]+)", section, flags=re.M)) | set(re.findall(r"`(--[a-z-]+)`", section))


def contract_runtime_catalog() -> dict[str, str]:
    """catalog name -> handler, from the runtime catalog table of contracts.md."""
    text = CONTRACTS.read_text()
    section = text.split("## Runtime catalog", 1)[1].split("\n### ", 1)[0]
    rows = re.findall(r"^\| ([a-z0-9-]+) \| ([a-z0-9-]+) \|", section, flags=re.M)
    return {name: handler for name, handler in rows if name != "runtime"}
