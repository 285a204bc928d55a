"""What a cluster admin relies on, read from the rendered objects: least RBAC, locked-down pods,
operator flags exactly as in docs/design/contracts.md, pinned images, PSA labels, uninstall hook."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import (ALL_RUNTIMES, DIGEST, NAMESPACE, REPO, VALUE_SETS, contract_operator_flags,
                      contract_runtime_catalog, deployment_args, render)

EXPECTED_RBAC = json.loads((Path(__file__).parent / "expected_rbac.json").read_text())
FLOATING_TAGS = ("latest", "main", "master")


def normalized(rules):
    return sorted(
        (tuple(sorted(r["apiGroups"])), tuple(sorted(r["resources"])), tuple(sorted(r["verbs"])),
         tuple(sorted(r.get("resourceNames", []))))
        for r in rules)


def arg_value(args, flag):
    values = [a.split("=", 1)[1] for a in args if a.startswith(flag + "=")]
    assert len(values) <= 1, f"{flag} given twice"
    return values[0] if values else None


def pod_specs(rendered):
    """(name, pod spec) of every pod the chart itself runs: the operator and the cleanup hook."""
    return [(o["kind"] + "/" + o["metadata"]["name"], o["spec"]["template"]["spec"])
            for o in rendered.objects if o["kind"] in ("Deployment", "Job")]


def identities(rendered):
    """(ServiceAccount, ClusterRole, ClusterRoleBinding, Role, RoleBinding, pod specs) of the operator
    and, when enabled, of the cleanup hook (its own hook objects)."""
    result = []
    for pool, kind_of_pod in ((rendered.resources, "Deployment"), (rendered.hooks, "Job")):
        def one(kind):
            found = [o for o in pool if o["kind"] == kind]
            assert len(found) == 1, (kind, len(found))
            return found[0]
        if not [o for o in pool if o["kind"] == kind_of_pod]:
            continue
        pods = [o["spec"]["template"]["spec"] for o in pool if o["kind"] == kind_of_pod]
        result.append((one("ServiceAccount"), one("ClusterRole"), one("ClusterRoleBinding"), one("Role"), one("RoleBinding"), pods))
    return result


@pytest.mark.parametrize("set_name", VALUE_SETS)
def test_rbac_is_exactly_the_expected_least_privilege(rendered_sets, set_name):
    found = identities(rendered_sets[set_name])
    assert len(found) == (1 if set_name == "cleanup-disabled" else 2)
    for sa, cluster_role, cluster_binding, role, role_binding, pods in found:
        assert normalized(cluster_role["rules"]) == normalized(EXPECTED_RBAC["cluster"]), cluster_role["metadata"]["name"]
        assert normalized(role["rules"]) == normalized(EXPECTED_RBAC["namespaced"]), role["metadata"]["name"]
        assert role["metadata"]["namespace"] == NAMESPACE
        # No wildcard anywhere, no secrets, no escalation paths.
        for rule in cluster_role["rules"] + role["rules"]:
            assert "*" not in rule["verbs"] + rule["resources"] + rule["apiGroups"]
            assert not {"secrets", "clusterroles", "roles", "rolebindings", "clusterrolebindings"} & set(rule["resources"])
            assert not {"escalate", "bind", "impersonate"} & set(rule["verbs"])
        name = sa["metadata"]["name"]
        for binding, role_obj in ((cluster_binding, cluster_role), (role_binding, role)):
            assert binding["roleRef"]["name"] == role_obj["metadata"]["name"]
            assert binding["subjects"] == [{"kind": "ServiceAccount", "name": name, "namespace": NAMESPACE}]
        for spec in pods:
            assert spec["serviceAccountName"] == name


def test_nodes_are_never_updated_only_patched():
    node_rules = [r for r in EXPECTED_RBAC["cluster"] if "nodes" in r["resources"]]
    assert node_rules and all("update" not in r["verbs"] for r in node_rules)


@pytest.mark.parametrize("set_name", VALUE_SETS)
def test_operator_and_cleanup_pods_are_locked_down(rendered_sets, set_name):
    for name, spec in pod_specs(rendered_sets[set_name]):
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["securityContext"]["runAsUser"] != 0, name
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        assert not spec.get("hostPID") and not spec.get("hostNetwork") and not spec.get("hostIPC"), name
        for container in spec["containers"]:
            sc = container["securityContext"]
            assert sc["allowPrivilegeEscalation"] is False, name
            assert sc["readOnlyRootFilesystem"] is True, name
            assert sc["capabilities"] == {"drop": ["ALL"]}, name
            assert not sc.get("privileged"), name
            assert container["resources"]["requests"] and container["resources"]["limits"]["memory"], name
        assert all("hostPath" not in v for v in spec.get("volumes", [])), name


def test_operator_probes_and_ports(default):
    container = default.one("Deployment")["spec"]["template"]["spec"]["containers"][0]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"metrics": 8080, "probes": 8081}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "probes"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "probes"}
    args = deployment_args(default)
    assert arg_value(args, "--health-probe-bind-address") == ":8081"
    assert arg_value(args, "--metrics-bind-address") == ":8080"
    env = {e["name"]: e for e in container["env"]}
    assert env["POD_NAMESPACE"]["valueFrom"] == {"fieldRef": {"fieldPath": "metadata.namespace"}}


# Flags the chart passes that contracts.md does not list yet (proposed in the chart's report).
CLEANUP_ONLY_FLAGS = {"--timeout"}


@pytest.mark.parametrize("set_name", VALUE_SETS)
def test_operator_flags_are_exactly_the_contract_ones(rendered_sets, set_name):
    contract = contract_operator_flags()
    rendered = rendered_sets[set_name]
    commands = [("run", deployment_args(rendered))]
    commands += [("cleanup", j["spec"]["template"]["spec"]["containers"][0]["args"]) for j in rendered.hooks if j["kind"] == "Job"]
    for subcommand, args in commands:
        assert args[0] == subcommand
        for arg in args[1:]:
            assert arg.startswith("--"), f"{arg!r}: flags only, in --flag=value form"
            allowed = contract | (CLEANUP_ONLY_FLAGS if subcommand == "cleanup" else set())
            assert arg.split("=", 1)[0] in allowed, f"{arg!r} is not an operator flag in contracts.md"


def test_default_flags_match_the_contract_defaults(default):
    args = deployment_args(default)
    assert arg_value(args, "--runtimes") == "kwasm,spin,wasmtime"
    assert arg_value(args, "--max-parallel") == "0"
    assert arg_value(args, "--restart-strategy") == "auto"
    assert arg_value(args, "--drift-interval") == "10m"
    assert arg_value(args, "--job-active-deadline") == "600"
    assert arg_value(args, "--job-ttl") == "3600"
    assert arg_value(args, "--job-backoff-limit") == "0"
    assert arg_value(args, "--max-attempts") == "5"
    assert arg_value(args, "--job-priority-class") == "system-node-critical"
    assert json.loads(arg_value(args, "--installer-resources")) == {
        "requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}}
    assert arg_value(args, "--log-format") == "text" and arg_value(args, "--log-level") == "info"
    assert "--leader-elect" not in args and "--auto-provision" not in args
    assert arg_value(args, "--node-selector") is None


def test_leader_election_is_on_with_more_than_one_replica_or_when_asked(rendered_sets):
    for name, expected in [("default", False), ("replicas-2", True), ("leader-election-1-replica", True)]:
        deployment = rendered_sets[name].one("Deployment")
        args = deployment["spec"]["template"]["spec"]["containers"][0]["args"]
        assert ("--leader-elect" in args) is expected, name
        # Without leader election, two operator pods must never overlap during a rollout.
        assert (deployment["spec"].get("strategy", {}).get("type") == "Recreate") is (not expected), name
    assert rendered_sets["replicas-2"].one("Deployment")["spec"]["replicas"] == 2


def test_selection_flags_follow_the_values(rendered_sets):
    args = deployment_args(rendered_sets["auto-provision"])
    assert "--auto-provision" in args
    assert arg_value(args, "--node-selector") == "pool in (wasm),kubernetes.io/os=linux"
    assert arg_value(args, "--max-parallel") == "3"
    args = deployment_args(rendered_sets["all-runtimes"])
    assert arg_value(args, "--runtimes") == ",".join(ALL_RUNTIMES)
    assert set(arg_value(args, "--runtimes").split(",")) <= set(contract_runtime_catalog())
    assert arg_value(args, "--restart-strategy") == "k3s" and arg_value(args, "--drift-interval") == "0"
    args = deployment_args(rendered_sets["operator-scheduling"])
    assert arg_value(args, "--job-priority-class") == "" and arg_value(args, "--job-active-deadline") == "300"
    assert arg_value(args, "--log-format") == "json"


def test_images_default_to_the_app_version_never_a_floating_tag(default, chart):
    app_version = chart.metadata["appVersion"]
    refs = [c["image"] for _, spec in pod_specs(default) for c in spec["containers"]]
    refs.append(arg_value(deployment_args(default), "--installer-image"))
    for ref in refs:
        assert ref.endswith(":" + app_version), ref
        assert not ref.endswith(tuple(":" + t for t in FLOATING_TAGS)), ref


def test_a_digest_pins_both_images(rendered_sets):
    rendered = rendered_sets["digest-pinned"]
    for _, spec in pod_specs(rendered):
        assert spec["containers"][0]["image"] == "ghcr.io/kwasm/kwasm-operator@" + DIGEST
        assert spec["imagePullSecrets"] == [{"name": "mirror-creds"}]
    for args in [deployment_args(rendered)] + [j["spec"]["template"]["spec"]["containers"][0]["args"] for j in rendered.hooks if j["kind"] == "Job"]:
        assert arg_value(args, "--installer-image") == "registry.example.com:5000/mirror/kwasm-node-installer@sha256:" + "cd" * 32
        assert arg_value(args, "--image-pull-secret") == "mirror-creds"


def test_the_chart_never_renders_its_own_namespace(rendered_sets):
    # Helm writes the release record into the release namespace before it creates any object, so
    # a chart-owned Namespace fails when it is missing and cannot be adopted when it exists.
    for name, rendered in rendered_sets.items():
        assert not rendered.of_kind("Namespace"), name


@pytest.mark.parametrize("set_name,event", [("default", "pre-delete"), ("cleanup-post-delete", "post-delete")])
def test_uninstall_runs_a_cleanup_hook_with_its_own_rbac(rendered_sets, set_name, event):
    rendered = rendered_sets[set_name]
    hooks = rendered.hooks
    assert sorted(h["kind"] for h in hooks) == sorted(
        ["ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "Job"])
    for hook in hooks:
        annotations = hook["metadata"]["annotations"]
        assert annotations["helm.sh/hook"] == event
        assert set(annotations["helm.sh/hook-delete-policy"].split(",")) == {"before-hook-creation", "hook-succeeded"}
        # The identity exists before the Job starts and until it has finished.
        assert int(annotations["helm.sh/hook-weight"]) == (0 if hook["kind"] == "Job" else -10)
    job = next(h for h in hooks if h["kind"] == "Job")
    spec = job["spec"]["template"]["spec"]
    assert spec["restartPolicy"] == "Never"
    assert job["spec"]["activeDeadlineSeconds"] == (900 if set_name == "default" else 1800)
    container = spec["containers"][0]
    assert container["args"][0] == "cleanup"
    # Same image and installer settings as the operator, so it can run the same uninstall Jobs.
    operator = rendered.one("Deployment")["spec"]["template"]["spec"]
    assert container["image"] == operator["containers"][0]["image"]
    assert arg_value(container["args"], "--installer-image") == arg_value(deployment_args(rendered), "--installer-image")
    assert arg_value(container["args"], "--runtimes") == arg_value(deployment_args(rendered), "--runtimes")
    assert "--leader-elect" not in container["args"]
    # cleanup gives up (and says what is left) 30 s before the Job's deadline kills it.
    assert arg_value(container["args"], "--timeout") == f"{job['spec']['activeDeadlineSeconds'] - 30}s"


def test_no_cleanup_hook_when_disabled(rendered_sets):
    assert rendered_sets["cleanup-disabled"].hooks == []


def test_crd_matches_the_contract(default):
    crd = default.crds[0]
    spec = crd["spec"]
    assert spec["group"] == "kwasm.sh" and spec["scope"] == "Cluster"
    assert spec["names"]["kind"] == "WasmNodeStatus" and spec["names"]["plural"] == "wasmnodestatuses"
    assert spec["names"]["shortNames"] == ["wns"]
    version = spec["versions"][0]
    assert version["name"] == "v1alpha1" and version["served"] and version["storage"]
    assert version["subresources"] == {"status": {}}
    columns = [(c["name"].upper(), c["jsonPath"]) for c in version["additionalPrinterColumns"] if not c.get("priority")]
    assert columns == [("NODE", ".spec.nodeName"), ("PHASE", ".status.phase"), ("RUNTIMES", ".status.runtimeNames"),
                       ("CONTAINERD", ".status.containerd.version"), ("AGE", ".metadata.creationTimestamp")]
    status = version["schema"]["openAPIV3Schema"]["properties"]["status"]
    assert set(status["properties"]) == {
        "phase", "conditions", "runtimes", "runtimeNames", "containerd", "installerImage", "specHash", "lastJob",
        "attempts", "lastError", "observedGeneration", "lastTransitionTime", "installedTime", "lastCheckedTime"}
    assert status["properties"]["phase"]["enum"] == ["Pending", "Installing", "Ready", "Failed", "Uninstalling", "Unsupported"]


def test_every_crd_field_has_a_description_for_kubectl_explain(default):
    missing = []

    def walk(node, path):
        for name, child in (node.get("properties") or {}).items():
            if path == "" and name == "metadata":
                continue
            if not child.get("description"):
                missing.append(path + "." + name)
            walk(child, path + "." + name)
        if "items" in node:
            walk(node["items"], path + "[]")

    walk(default.crds[0]["spec"]["versions"][0]["schema"]["openAPIV3Schema"], "")
    assert not missing, f"fields without description: {missing}"


def operator_cli_flags() -> dict[str, set[str]] | None:
    """--flags each subcommand of the Swift `kwasm-operator` accepts, read from its ArgumentParser
    declarations (camelCase property -> --kebab-case, or `.customLong`): the flags both subcommands
    share (`OperatorFlags` in WasmOperator) plus each subcommand's own. None when the sources are not there."""
    sources = sorted((REPO / "Sources" / "kwasm-operator").glob("*.swift"))
    sources += [REPO / "Sources" / "WasmOperator" / "Configuration" / "OperatorFlags.swift"]
    text = "\n".join(p.read_text() for p in sources if p.exists())
    structs = dict(re.findall(r"^(?:public )?struct (\w+)[^{]*\{(.*?)^\}", text, flags=re.M | re.S))
    if not {"OperatorFlags", "Run", "Cleanup"} <= set(structs):
        return None

    def flags(body: str) -> set[str]:
        found = set()
        for arguments, name in re.findall(r"@(?:Option|Flag)\b(\([^\n]*\))?\s*(?:public )?var (\w+)", body, flags=re.S):
            custom = re.search(r'\.customLong\("([^"]+)"\)', arguments or "")
            found.add("--" + (custom.group(1) if custom else re.sub(r"([A-Z])", lambda m: "-" + m.group(1).lower(), name)))
        return found

    def uses_shared(body: str) -> bool:
        return re.search(r"@OptionGroup\s+var \w+: OperatorFlags", body) is not None

    shared = flags(structs["OperatorFlags"])
    return {command: flags(structs[name]) | (shared if uses_shared(structs[name]) else set())
            for command, name in (("run", "Run"), ("cleanup", "Cleanup"))}


@pytest.mark.parametrize("set_name", VALUE_SETS)
def test_every_flag_the_chart_passes_is_accepted_by_the_operator_binary(rendered_sets, set_name):
    accepted = operator_cli_flags()
    if accepted is None:
        pytest.fail("no OperatorFlags/Run/Cleanup ArgumentParser structs found in Sources/kwasm-operator and WasmOperator/Configuration/OperatorFlags.swift")
    rendered = rendered_sets[set_name]
    commands = [("run", deployment_args(rendered))]
    commands += [("cleanup", j["spec"]["template"]["spec"]["containers"][0]["args"]) for j in rendered.hooks if j["kind"] == "Job"]
    for subcommand, args in commands:
        for arg in args[1:]:
            assert arg.split("=", 1)[0] in accepted[subcommand], f"`kwasm-operator {subcommand}` has no {arg.split('=', 1)[0]}"
