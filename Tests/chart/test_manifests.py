"""manifests/ is the default chart rendered by scripts/render-manifests.py and stays in sync;
manifests/examples/ has a valid wasm workload for every runtime in the catalog."""
from __future__ import annotations

import importlib.util

import kubernetes_validate
import pytest
import yaml

from conftest import REPO, contract_runtime_catalog

MANIFESTS = REPO / "manifests"
EXAMPLES = MANIFESTS / "examples"


def load_script():
    spec = importlib.util.spec_from_file_location("render_manifests", REPO / "scripts" / "render-manifests.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_manifests_are_up_to_date_with_the_chart():
    expected = load_script().render()
    for relative, content in expected.items():
        path = MANIFESTS / relative
        assert path.exists(), f"manifests/{relative} missing: run python3 scripts/render-manifests.py"
        assert path.read_text() == content, f"manifests/{relative} is out of date: run python3 scripts/render-manifests.py"
    generated = {p.relative_to(MANIFESTS).as_posix() for p in MANIFESTS.rglob("*.yaml") if "examples" not in p.parts}
    assert generated == set(expected), "stray files in manifests/ (only examples/ is hand-written)"


def test_plain_manifests_install_everything_in_order():
    objects = [o for o in yaml.safe_load_all((MANIFESTS / "kwasm-operator.yaml").read_text()) if o]
    kinds = [o["kind"] for o in objects]
    assert kinds[:2] == ["Namespace", "CustomResourceDefinition"], "namespace and CRD must come first"
    assert {"ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "Deployment"} <= set(kinds)
    namespace = objects[0]
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "privileged"
    for obj in objects:
        assert "helm.sh/hook" not in (obj["metadata"].get("annotations") or {})
    cleanup = [o for o in yaml.safe_load_all((MANIFESTS / "uninstall" / "cleanup-job.yaml").read_text()) if o]
    job = [o for o in cleanup if o["kind"] == "Job"]
    assert len(job) == 1 and job[0]["spec"]["template"]["spec"]["containers"][0]["args"][0] == "cleanup"
    for obj in cleanup:
        assert not any(k.startswith("helm.sh/hook") for k in (obj["metadata"].get("annotations") or {}))


@pytest.mark.parametrize("kube_version", ["1.29.0", "1.32.0"])
def test_manifests_and_examples_are_valid_kubernetes(kube_version):
    files = [MANIFESTS / "kwasm-operator.yaml", MANIFESTS / "uninstall" / "cleanup-job.yaml", *sorted(EXAMPLES.glob("*.yaml"))]
    for path in files:
        for obj in yaml.safe_load_all(path.read_text()):
            if obj:
                try:
                    kubernetes_validate.validate(obj, kube_version, strict=True)
                except kubernetes_validate.ValidationError as error:
                    pytest.fail(f"{path.name}: {obj['kind']} invalid at {list(error.path)}: {error.message}")


def test_every_catalog_runtime_has_an_example_using_its_runtime_class():
    catalog = contract_runtime_catalog()
    assert {p.stem for p in EXAMPLES.glob("*.yaml")} == set(catalog)
    for name, handler in catalog.items():
        workloads = [o for o in yaml.safe_load_all((EXAMPLES / f"{name}.yaml").read_text()) if o and o["kind"] in ("Pod", "Deployment")]
        assert len(workloads) == 1, name
        workload = workloads[0]
        pod = workload if workload["kind"] == "Pod" else workload["spec"]["template"]
        assert pod["spec"]["runtimeClassName"] == handler, name
        annotations = pod["metadata"].get("annotations") or {}
        if name in ("crun-wasmedge", "kwasm"):
            assert annotations.get("module.wasm.image/variant") == "compat"
        else:
            assert "module.wasm.image/variant" not in annotations, name
        for container in pod["spec"]["containers"]:
            assert container["resources"]["limits"], name
