"""The chart renders with the real Helm library, lints clean, and every object it produces is
valid Kubernetes for 1.29 and 1.32 (strict schemas: unknown fields are errors)."""
from __future__ import annotations

import pytest
import kubernetes_validate

from conftest import CHART, NAMESPACE, VALUE_SETS, helm, render

KUBE_VERSIONS = ["1.29.0", "1.32.0"]
# Kinds that are themselves CRDs of other projects: kubernetes-validate has no schema for them.
NOT_IN_KUBERNETES_SCHEMA = {("monitoring.coreos.com/v1", "ServiceMonitor")}


@pytest.mark.parametrize("set_name", VALUE_SETS)
def test_helm_lint_has_no_errors_or_warnings(set_name):
    for kube_version in KUBE_VERSIONS:
        report = helm.lint(str(CHART), VALUE_SETS[set_name], namespace=NAMESPACE, strict=True,
                           kube_version="v" + kube_version)
        problems = [m for m in report["messages"] if m["severity"] >= 2] + report["errors"]
        assert not problems, f"helm lint ({set_name}, {kube_version}): {problems}"


@pytest.mark.parametrize("kube_version", KUBE_VERSIONS)
@pytest.mark.parametrize("set_name", VALUE_SETS)
def test_every_rendered_object_is_valid_kubernetes(rendered_sets, set_name, kube_version):
    rendered = rendered_sets[set_name]
    skipped = []
    for obj in rendered.objects + rendered.crds:
        key = (obj["apiVersion"], obj["kind"])
        if key in NOT_IN_KUBERNETES_SCHEMA:
            skipped.append(key)
            continue
        try:
            kubernetes_validate.validate(obj, kube_version, strict=True)
        except kubernetes_validate.ValidationError as error:
            pytest.fail(f"{set_name}: {obj['kind']}/{obj['metadata']['name']} invalid for "
                        f"{kube_version} at {list(error.path)}: {error.message}")
    if set_name == "service-monitor":
        assert skipped == [("monitoring.coreos.com/v1", "ServiceMonitor")]
    else:
        assert skipped == []


def test_default_rendering_contains_the_expected_objects(default):
    kinds = sorted((o["kind"], o["metadata"]["name"]) for o in default.resources)
    assert kinds == sorted([
        ("ServiceAccount", "kwasm-operator"),
        ("ClusterRole", "kwasm-operator"),
        ("ClusterRoleBinding", "kwasm-operator"),
        ("Role", "kwasm-operator"),
        ("RoleBinding", "kwasm-operator"),
        ("Service", "kwasm-operator-metrics"),
        ("Deployment", "kwasm-operator"),
        ("Lease", "kwasm-operator-cleanup"),  # the cleanup pause, deleted with the release
    ])
    assert [c["metadata"]["name"] for c in default.crds] == ["wasmnodestatuses.kwasm.sh"]
    # Optional objects are off by default.
    assert not default.of_kind("ServiceMonitor") and not default.of_kind("PodDisruptionBudget")
    assert not default.of_kind("Namespace")


def test_namespaced_objects_land_in_the_release_namespace(rendered_sets):
    cluster_scoped = {"ClusterRole", "ClusterRoleBinding", "Namespace", "CustomResourceDefinition"}
    for name, rendered in rendered_sets.items():
        for obj in rendered.objects:
            if obj["kind"] not in cluster_scoped:
                assert obj["metadata"].get("namespace") == NAMESPACE, (name, obj["kind"])


def test_optional_objects_appear_when_enabled(rendered_sets):
    monitor = rendered_sets["service-monitor"].one("ServiceMonitor")
    assert monitor["metadata"]["labels"]["release"] == "prometheus"
    assert monitor["spec"]["endpoints"][0]["port"] == "metrics"
    service = rendered_sets["service-monitor"].one("Service")
    assert all(service["spec"]["selector"][k] == v for k, v in monitor["spec"]["selector"]["matchLabels"].items())
    pdb = rendered_sets["replicas-2"].one("PodDisruptionBudget")
    assert pdb["spec"]["minAvailable"] == 1


def test_service_selects_the_operator_pod_and_exposes_metrics(default):
    service = default.one("Service")
    pod_labels = default.one("Deployment")["spec"]["template"]["metadata"]["labels"]
    assert all(pod_labels.get(k) == v for k, v in service["spec"]["selector"].items())
    assert service["spec"]["ports"] == [{"name": "metrics", "port": 8080, "targetPort": "metrics", "protocol": "TCP"}]


def test_notes_tell_the_next_commands(chart, rendered_sets):
    notes = rendered_sets["default"].notes
    assert "kubectl annotate node <NODE> kwasm.sh/kwasm-node=true" in notes
    assert "kubectl get wns -w" in notes
    assert f"kubectl label ns {NAMESPACE} pod-security.kubernetes.io/enforce=privileged" in notes
    assert "--timeout 16m" in notes, "uninstall hint must give Helm enough time for the cleanup hook"
    assert "every node is selected" in rendered_sets["auto-provision"].notes
    selector_only = render(chart, {"provisioning": {"nodeSelector": "pool in (wasm)"}})
    assert 'Nodes matching the selector "pool in (wasm)" are selected too.' in selector_only.notes
    assert "cleanup is DISABLED" in rendered_sets["cleanup-disabled"].notes


def test_service_monitor_without_the_metrics_service_is_refused(chart):
    with pytest.raises(helm.HelmRenderError) as error:
        render(chart, {"serviceMonitor": {"enabled": True}, "metrics": {"service": {"enabled": False}}})
    assert "serviceMonitor.enabled needs metrics.service.enabled=true" in str(error.value)


def test_long_release_names_and_other_namespaces_give_valid_names(chart):
    release = "a-very-long-release-name-for-the-wasm-operator-xyz12"  # Helm allows up to 53 characters
    files = chart.render({}, name=release, namespace="wasm-system", is_install=True)
    import yaml
    objects = [o for path, text in files.items() if not path.endswith("NOTES.txt") for o in yaml.safe_load_all(text) if o]
    assert len(objects) == len(set((o["kind"], o["metadata"]["name"], o["metadata"].get("annotations", {}).get("helm.sh/hook")) for o in objects))
    for obj in objects:
        assert len(obj["metadata"]["name"]) <= 63, obj["metadata"]["name"]
        if obj["kind"] not in ("ClusterRole", "ClusterRoleBinding"):
            assert obj["metadata"]["namespace"] == "wasm-system"
        kubernetes_validate.validate(obj, "1.32.0", strict=True)


def test_packaged_chart_renders_like_the_directory(chart, tmp_path):
    archive = helm.package(str(CHART), destination=str(tmp_path))
    assert archive.endswith("kwasm-operator-0.1.0.tgz")
    with helm.Chart.load(archive) as packaged:
        assert packaged.render({}, name="kwasm-operator", namespace=NAMESPACE) == chart.render({}, name="kwasm-operator", namespace=NAMESPACE)
        assert [c["filename"] for c in packaged.crds] == [c["filename"] for c in chart.crds]
        assert packaged.schema is not None
