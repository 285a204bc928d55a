"""The docs cover what the contract defines and their links resolve."""
from __future__ import annotations

import re

import yaml

from conftest import CHART, CONTRACTS, REPO

DOCS = REPO / "docs"


def contract_error_codes() -> list[str]:
    text = CONTRACTS.read_text()
    block = text.split("Error codes", 1)[1].split("\n\n", 1)[0]
    return re.findall(r"`([A-Z][A-Za-z]+)`", block)


def test_troubleshooting_explains_every_error_code_and_operator_reason():
    codes = contract_error_codes()
    assert len(codes) >= 14
    rows = {m.group(1) for m in re.finditer(r"^\| `([A-Za-z]+)` \|", (DOCS / "troubleshooting.md").read_text(), flags=re.M)}
    assert set(codes) | {"InvalidAnnotation"} <= rows, set(codes) - rows


def test_status_reference_lists_every_phase_and_condition():
    text = (DOCS / "wasmnodestatus.md").read_text()
    for phase in ["Pending", "Installing", "Ready", "Failed", "Uninstalling", "Unsupported"]:
        assert f"| `{phase}` |" in text
    for condition in ["Installed", "RuntimeVerified", "Ready", "Drifted"]:
        assert f"| `{condition}` |" in text


def test_architecture_has_a_mermaid_diagram():
    assert "```mermaid" in (DOCS / "architecture.md").read_text()


def test_relative_links_resolve():
    for page in list(DOCS.rglob("*.md")) + [CHART / "README.md", REPO / "manifests" / "examples" / "README.md"]:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text()):
            if "://" in target:
                continue
            assert (page.parent / target).exists(), f"{page.relative_to(REPO)} links to missing {target}"


def test_chart_readme_documents_every_value():
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    readme = (CHART / "README.md").read_text()

    def leaves(node, prefix=""):
        for key, value in node.items():
            if isinstance(value, dict) and value and key not in ("resources", "labels", "requests", "limits"):
                yield from leaves(value, prefix + key + ".")
            else:
                yield prefix + key

    for path in leaves(values):
        last = path.rsplit(".", 1)[-1]
        assert f"`{path}`" in readme or f".{last}`" in readme or f"`{last}`" in readme, f"{path} undocumented"
