"""The image build scripts, run here on local sample files: fetch-runtimes.sh (file:// URLs, checksum
checks) and build-catalog.sh (with a recording stub, and with the real kwasm-node-installer, whose
`catalog add` computes every checksum in runtimes.json)."""
from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from conftest import CONTRACTS, REPO

IMAGE_DIR = REPO / "installer-image"
FETCH = IMAGE_DIR / "fetch-runtimes.sh"
BUILD_CATALOG = IMAGE_DIR / "build-catalog.sh"
DOCKERFILE = IMAGE_DIR / "Dockerfile"


def table() -> dict[str, tuple[str, str, list[str]]]:
    rows = {}
    for line in (IMAGE_DIR / "runtimes.table").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, handler, kind, *files = line.split()
            rows[name] = (handler, kind, files)
    return rows


def contract_catalog_rows() -> dict[str, list[str]]:
    section = CONTRACTS.read_text().split("## Runtime catalog", 1)[1].split("\n### ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", cells[0]) and cells[0] != "runtime":
            rows[cells[0]] = cells
    return rows


def env_var(name: str) -> str:
    return name.upper().replace("-", "_")


def run(script: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    full_env = {"PATH": os.environ["PATH"], **env}
    return subprocess.run(["sh", str(script), *args], env=full_env, capture_output=True, text=True, timeout=120)


# ---- the table both scripts read agrees with the contract

def test_runtimes_table_matches_the_contract_catalog():
    contract = contract_catalog_rows()
    rows = table()
    assert list(rows) == list(contract)
    for name, (handler, kind, files) in rows.items():
        _, c_handler, c_kind, c_runtime_type, c_files = contract[name]
        assert (handler, kind, files) == (c_handler, c_kind, c_files.split()), name
        if kind == "shim":
            # runtime_type is derived from the file name: containerd-shim-NAME-vN -> io.containerd.NAME.vN
            shim, version = re.fullmatch(r"containerd-shim-(.+)-(v\d+)", files[0]).groups()
            assert c_runtime_type == f"io.containerd.{shim}.{version}", name


def dockerfile_stages() -> list[str]:
    return re.split(r"^FROM ", DOCKERFILE.read_text(), flags=re.M)[1:]


def args_of(stage: str) -> dict[str, str]:
    return dict(re.findall(r"^ARG ([A-Z0-9_]+)=?(.*)$", stage, flags=re.M))


def test_installer_dockerfile_builds_pins_and_never_hand_writes_checksums():
    text = DOCKERFILE.read_text()
    assert "swift build -c release --static-swift-stdlib --product kwasm-node-installer" in text
    stages = dockerfile_stages()
    assert len(stages) >= 3, "multi-stage"
    fetch = next(s for s in stages if "fetch-runtimes.sh" in s)
    catalog = next(s for s in stages if "build-catalog.sh" in s)
    final = stages[-1]
    fetch_args, catalog_args = args_of(fetch), args_of(catalog)
    shipped = fetch_args["CATALOG_RUNTIMES"].strip('"').split()
    # kwasm is built from this repository in the build stage, never fetched; on by default.
    assert catalog_args["CATALOG_RUNTIMES"].strip('"').split() == ["kwasm"] + shipped
    assert catalog_args["KWASM_VERSION"]
    # kwasm's binaries come from the script the wasm benchmark builds them with too: fully static.
    assert "build-kwasm-runtime.sh" in text
    runtime_build = (REPO / "installer-image" / "build-kwasm-runtime.sh").read_text()
    assert "--static-swift-stdlib -Xswiftc -static-executable" in runtime_build
    assert "kwasm-wasi kwasm-oci" in runtime_build
    assert set(shipped) <= set(table()) and "spin" in shipped and "wasmtime" in shipped
    for name in [n for n in table() if n != "kwasm"]:
        prefix = env_var(name)
        for suffix in ("_VERSION", "_URL", "_SHA256_AMD64", "_SHA256_ARM64"):
            assert prefix + suffix in fetch_args, f"ARG {prefix}{suffix} missing"
        assert fetch_args[prefix + "_VERSION"] == catalog_args.get(prefix + "_VERSION"), f"{prefix}_VERSION differs between stages"
        if name in shipped:
            assert fetch_args[prefix + "_VERSION"] and fetch_args[prefix + "_URL"].startswith("https://github.com/"), name
            assert "@ARCH@" in fetch_args[prefix + "_URL"], name
    # Checksums of shipped files come only from `catalog add`.
    assert "runtimes.json" not in "".join(l for l in text.splitlines(True) if not l.lstrip().startswith("#"))
    assert re.search(r"^ENTRYPOINT \[\"/usr/local/bin/kwasm-node-installer\"\]", final, flags=re.M)
    assert "util-linux" in final and "nsenter" in final
    assert "latest" not in text and ":main" not in text


def test_operator_dockerfile_is_static_and_non_root():
    text = (REPO / "Dockerfile").read_text()
    assert "swift build -c release --static-swift-stdlib --product kwasm-operator" in text
    final = re.split(r"^FROM ", text, flags=re.M)[-1]
    assert re.search(r"^USER 65532:65532$", final, flags=re.M), "matches the chart's runAsUser"
    assert re.search(r"^ENTRYPOINT \[\"/usr/local/bin/kwasm-operator\"\]", final, flags=re.M)
    assert "latest" not in text


# ---- fetch-runtimes.sh on local archives

@pytest.fixture
def upstream(tmp_path):
    """A fake upstream: release archives for spin (nested dir) and a plain crun binary, both arches."""
    root = tmp_path / "upstream"
    root.mkdir()
    for arch in ("x86_64", "aarch64"):
        payload = tmp_path / f"payload-{arch}" / "release"
        payload.mkdir(parents=True)
        (payload / "containerd-shim-spin-v2").write_bytes(b"#!/bin/sh\necho spin " + arch.encode() + b"\n")
        (payload / "README.md").write_text("not a binary")
        with tarfile.open(root / f"spin-1.2.3-{arch}.tar.gz", "w:gz") as archive:
            archive.add(payload, arcname="release")
        (root / f"crun-9.9-{arch}").write_bytes(b"crun binary for " + arch.encode())
    return root


def fetch_env(upstream: Path, **extra: str) -> dict[str, str]:
    return {
        "TARGETARCH": "arm64",
        "CATALOG_RUNTIMES": "spin crun-wasmedge",
        "SPIN_VERSION": "1.2.3",
        "SPIN_URL": f"file://{upstream}/spin-@VERSION@-@ARCH@.tar.gz",
        "CRUN_WASMEDGE_VERSION": "9.9",
        "CRUN_WASMEDGE_URL": f"file://{upstream}/crun-@VERSION@-@ARCH@",
        **extra,
    }


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_fetch_extracts_the_right_files_for_the_target_arch(upstream, tmp_path):
    out = tmp_path / "assets"
    env = fetch_env(upstream,
                    SPIN_SHA256_ARM64=sha256(upstream / "spin-1.2.3-aarch64.tar.gz"),
                    CRUN_WASMEDGE_SHA256_ARM64=sha256(upstream / "crun-9.9-aarch64"))
    result = run(FETCH, str(out), env=env)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (out / "bin").iterdir()) == ["containerd-shim-spin-v2", "crun"]
    assert (out / "bin" / "containerd-shim-spin-v2").read_bytes().endswith(b"spin aarch64\n")
    assert (out / "bin" / "crun").read_bytes() == b"crun binary for aarch64"
    assert all(os.access(p, os.X_OK) for p in (out / "bin").iterdir())
    assert "WARNING" not in result.stderr


def test_fetch_refuses_a_download_whose_upstream_checksum_does_not_match(upstream, tmp_path):
    out = tmp_path / "assets"
    result = run(FETCH, str(out), env=fetch_env(upstream, TARGETARCH="amd64", SPIN_SHA256_AMD64="0" * 64))
    assert result.returncode != 0
    assert "spin: checksum mismatch" in result.stderr and "0" * 64 in result.stderr
    assert not (out / "bin" / "containerd-shim-spin-v2").exists()


def test_fetch_warns_without_checksums_and_refuses_when_they_are_required(upstream, tmp_path):
    relaxed = run(FETCH, str(tmp_path / "a"), env=fetch_env(upstream))
    assert relaxed.returncode == 0 and "download not verified" in relaxed.stderr
    strict = run(FETCH, str(tmp_path / "b"), env=fetch_env(upstream, REQUIRE_ARCHIVE_SHA256="true"))
    assert strict.returncode != 0 and "SPIN_SHA256_ARM64 is not set" in strict.stderr


@pytest.mark.parametrize("extra,message", [
    ({"CATALOG_RUNTIMES": "krustlet"}, "unknown runtime 'krustlet'"),
    ({"SPIN_VERSION": ""}, "SPIN_VERSION is not set"),
    ({"TARGETARCH": "riscv64"}, "unsupported TARGETARCH"),
    ({"SPIN_URL": "file:///nonexistent/@VERSION@.tar.gz"}, "spin: download failed"),
])
def test_fetch_fails_clearly_on_bad_input(upstream, tmp_path, extra, message):
    result = run(FETCH, str(tmp_path / "assets"), env=fetch_env(upstream, **extra))
    assert result.returncode != 0 and message in result.stderr, result.stderr


# ---- build-catalog.sh

STUB = r'''#!{python}
import json, sys, os, pathlib
with open(os.environ["STUB_LOG"], "a") as log:
    log.write(json.dumps(sys.argv[1:]) + "\n")
args = sys.argv[1:]
assets = pathlib.Path(args[args.index("--assets") + 1])
catalog = assets / "runtimes.json"
if args[:2] == ["catalog", "add"]:
    data = json.loads(catalog.read_text()) if catalog.exists() else {{"runtimes": []}}
    data["runtimes"].append({{"name": args[args.index("--name") + 1]}})
    catalog.write_text(json.dumps(data))
elif args[:2] == ["catalog", "list"]:
    print(catalog.read_text())
'''


@pytest.fixture
def sample_assets(tmp_path):
    """Dummy shim files for every runtime in the table, as fetch-runtimes.sh leaves them."""
    assets = tmp_path / "assets dir"  # a space: paths must be quoted properly
    (assets / "bin").mkdir(parents=True)
    for name, (_, _, files) in table().items():
        for file in files:
            path = assets / "bin" / file
            path.write_bytes(f"#!/bin/sh\necho {name}\n".encode())
            path.chmod(0o755)
    return assets


def catalog_env(**extra: str) -> dict[str, str]:
    env = {"CATALOG_RUNTIMES": " ".join(table())}
    env.update({env_var(n) + "_VERSION": f"1.0.{i}" for i, n in enumerate(table())})
    env.update(extra)
    return env


def test_build_catalog_calls_catalog_add_once_per_runtime(sample_assets, tmp_path):
    stub = tmp_path / "kwasm-node-installer-stub"
    stub.write_text(STUB.format(python=sys.executable))
    stub.chmod(0o755)
    log = tmp_path / "calls.jsonl"
    result = run(BUILD_CATALOG, str(sample_assets), env=catalog_env(KWASM_NODE_INSTALLER=str(stub), STUB_LOG=str(log)))
    assert result.returncode == 0, result.stderr
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    assert calls[-1] == ["catalog", "list", "--assets", str(sample_assets)]
    expected = []
    for i, (name, (handler, kind, files)) in enumerate(table().items()):
        call = ["catalog", "add", "--assets", str(sample_assets), "--name", name, "--handler", handler,
                "--kind", kind, "--version", f"1.0.{i}"]
        for file in files:
            call += ["--file", str(sample_assets / "bin" / file)]
        expected.append(call)
    assert calls[:-1] == expected


@pytest.mark.parametrize("extra,message", [
    ({"WASMTIME_VERSION": ""}, "WASMTIME_VERSION is not set"),
    ({"CATALOG_RUNTIMES": "spin krustlet"}, "unknown runtime 'krustlet'"),
    ({"KWASM_NODE_INSTALLER": "/nonexistent/kwasm-node-installer"}, "not found"),
])
def test_build_catalog_fails_clearly_on_bad_input(sample_assets, extra, message):
    result = run(BUILD_CATALOG, str(sample_assets), env=catalog_env(**{"KWASM_NODE_INSTALLER": "true", **extra}))
    assert result.returncode != 0 and message in result.stderr, result.stderr


def test_build_catalog_fails_when_a_binary_is_missing(sample_assets):
    (sample_assets / "bin" / "containerd-shim-wws-v1").unlink()
    result = run(BUILD_CATALOG, str(sample_assets), env=catalog_env(KWASM_NODE_INSTALLER="true"))
    assert result.returncode != 0 and "wws:" in result.stderr and "containerd-shim-wws-v1 is missing" in result.stderr


def real_installer() -> Path | None:
    candidates = [os.environ.get("KWASM_NODE_INSTALLER", ""), str(REPO / ".build" / "debug" / "kwasm-node-installer")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return Path(candidate)
    return None


def test_build_catalog_with_the_real_installer_writes_the_contract_runtimes_json(sample_assets):
    installer = real_installer()
    if installer is None:
        message = ("kwasm-node-installer is not built (.build/debug/kwasm-node-installer; or set "
                   "KWASM_NODE_INSTALLER=path): run `swift build --product kwasm-node-installer` first")
        if os.environ.get("CI") == "true":
            pytest.fail("CI must run build-catalog.sh with the real installer: " + message)
        print("\nSKIPPED LOUDLY: " + message, file=sys.stderr)
        pytest.skip(message)
    result = run(BUILD_CATALOG, str(sample_assets), env=catalog_env(KWASM_NODE_INSTALLER=str(installer)))
    assert result.returncode == 0, result.stdout + result.stderr
    catalog = json.loads((sample_assets / "runtimes.json").read_text())
    contract = contract_catalog_rows()
    entries = {e["name"]: e for e in catalog["runtimes"]}
    assert set(entries) == set(table())
    for i, (name, (handler, kind, files)) in enumerate(table().items()):
        entry = entries[name]
        assert (entry["handler"], entry["kind"], entry["version"]) == (handler, kind, f"1.0.{i}"), name
        assert [Path(f["path"]).name for f in entry["files"]] == files, name
        for file in entry["files"]:
            assert file["path"] == "bin/" + Path(file["path"]).name, "paths are relative to the assets dir"
            assert file["sha256"] == sha256(sample_assets / file["path"]), f"{name}: sha256 not computed from the file"
        if kind == "shim":
            assert entry["runtimeType"] == contract[name][3], name
    # Running it again changes nothing.
    before = (sample_assets / "runtimes.json").read_bytes()
    again = run(BUILD_CATALOG, str(sample_assets), env=catalog_env(KWASM_NODE_INSTALLER=str(installer)))
    assert again.returncode == 0 and (sample_assets / "runtimes.json").read_bytes() == before
