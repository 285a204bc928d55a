"""values.schema.json rejects bad values at `helm install` time, naming the key and the rule."""
from __future__ import annotations

import json
import re

import pytest

from conftest import ALL_RUNTIMES, CHART, VALUE_SETS, contract_runtime_catalog, helm, render

BAD_VALUES = [
    # (id, values, text the error must contain)
    ("invalid-runtime-name", {"provisioning": {"runtimes": ["spin", "Krust_Let"]}}, "/provisioning/runtimes/1"),
    ("duplicate-runtime", {"provisioning": {"runtimes": ["spin", "spin"]}}, "are equal"),
    ("no-runtime", {"provisioning": {"runtimes": []}}, "/provisioning/runtimes"),
    ("runtimes-as-string", {"provisioning": {"runtimes": "spin,wasmtime"}}, "want array"),
    ("negative-maxParallel", {"provisioning": {"maxParallel": -1}}, "/provisioning/maxParallel"),
    ("fractional-maxParallel", {"provisioning": {"maxParallel": 1.5}}, "/provisioning/maxParallel"),
    ("maxParallel-as-string", {"provisioning": {"maxParallel": "3"}}, "want integer"),
    ("autoProvision-as-string", {"provisioning": {"autoProvision": "yes"}}, "want boolean"),
    ("bad-restart-strategy", {"provisioning": {"restartStrategy": "sighup"}}, "/provisioning/restartStrategy"),
    ("bad-drift-interval", {"provisioning": {"driftInterval": "ten minutes"}}, "/provisioning/driftInterval"),
    ("zero-maxAttempts", {"provisioning": {"maxAttempts": 0}}, "/provisioning/maxAttempts"),
    ("short-digest", {"installer": {"image": {"digest": "sha256:abc"}}}, "/installer/image/digest"),
    ("digest-without-algorithm", {"image": {"digest": "ab" * 32}}, "/image/digest"),
    ("tag-in-repository", {"installer": {"image": {"repository": "ghcr.io/kwasm/installer:v1"}}}, "/installer/image/repository"),
    ("bad-pull-policy", {"image": {"pullPolicy": "Sometimes"}}, "/image/pullPolicy"),
    ("replicas-as-string", {"replicas": "2"}, "want integer"),
    ("zero-replicas", {"replicas": 0}, "/replicas"),
    ("bad-log-format", {"logging": {"format": "xml"}}, "/logging/format"),
    ("negative-ttl", {"installer": {"job": {"ttlSecondsAfterFinished": -5}}}, "/installer/job/ttlSecondsAfterFinished"),
    ("zero-deadline", {"installer": {"job": {"activeDeadlineSeconds": 0}}}, "/installer/job/activeDeadlineSeconds"),
    ("pull-secret-as-string", {"imagePullSecrets": ["mirror-creds"]}, "/imagePullSecrets/0"),
    ("typo-top-level", {"replicaCount": 2}, "'replicaCount' not allowed"),
    ("typo-nested", {"provisioning": {"runtime": ["spin"]}}, "'runtime' not allowed"),
    ("selector-map-for-nodes", {"provisioning": {"nodeSelector": {"pool": "wasm"}}}, "want string"),
    ("operator-nodeSelector-as-string", {"nodeSelector": "pool=wasm"}, "want object"),
    ("bad-metrics-port", {"metrics": {"port": 70000}}, "/metrics/port"),
    ("short-cleanup-timeout", {"cleanup": {"timeoutSeconds": 5}}, "/cleanup/timeoutSeconds"),
    # Removed (a chart-owned namespace can never install with Helm): refused, not silently ignored.
    ("namespace-create-is-gone", {"namespace": {"create": True}}, "namespace"),
]


@pytest.mark.parametrize("values,expected", [(v, e) for _, v, e in BAD_VALUES], ids=[i for i, _, _ in BAD_VALUES])
def test_schema_rejects_bad_values_with_a_clear_message(chart, values, expected):
    with pytest.raises(helm.HelmValuesError) as error:
        chart.render(values, name="kwasm-operator", namespace="kwasm")
    assert expected in str(error.value), str(error.value)


@pytest.mark.parametrize("tag", ["latest", "main", "Latest"])
@pytest.mark.parametrize("which", ["image", "installer"])
def test_floating_tags_are_refused_with_a_clear_message(chart, tag, which):
    values = {"image": {"tag": tag}} if which == "image" else {"installer": {"image": {"tag": tag}}}
    with pytest.raises(helm.HelmRenderError) as error:
        chart.render(values, name="kwasm-operator", namespace="kwasm")
    assert "floating tag" in str(error.value) and "digest" in str(error.value)


def test_every_non_default_value_set_passes_the_schema(chart):
    for name, values in VALUE_SETS.items():
        chart.validate_schema(values)


def test_schema_is_draft_07_and_closed():
    schema = json.loads((CHART / "values.schema.json").read_text())
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert schema["additionalProperties"] is False


def test_runtime_names_are_any_catalog_name_not_a_fixed_list():
    schema = json.loads((CHART / "values.schema.json").read_text())
    # Any name of the installer image's catalog is allowed (a runtime added with `catalog add`
    # needs no chart or operator change); the well-known ones are listed in the description.
    items = schema["properties"]["provisioning"]["properties"]["runtimes"]["items"]
    assert "enum" not in items
    assert all(re.fullmatch(items["pattern"], name) for name in ALL_RUNTIMES + ["my-runtime", "other=other-handler"])
    assert not re.fullmatch(items["pattern"], "Krust_Let")
    assert all(name in items["description"] for name in contract_runtime_catalog())


def test_valid_edge_values_are_accepted(chart):
    for values in [
        {"provisioning": {"maxParallel": 0, "driftInterval": "1h30m"}},
        {"provisioning": {"driftInterval": "90s", "runtimes": ["crun-wasmedge"]}},
        {"installer": {"image": {"repository": "localhost:5000/kwasm-node-installer", "tag": "0.1.0-rc.1"}}},
        {"installer": {"job": {"priorityClassName": ""}}},
    ]:
        render(chart, values)
