"""The two images the chart runs, assembled from this checkout's `swift build` output without Docker.

Debug binaries plus the shared libraries `ldd` lists (Swift runtime from /opt/swift, glibc, the
loader) at their absolute paths (scripts/oci-image.py): no release/static build in CI. The
installer image carries an assets dir whose runtimes.json is written by the installer's own
`catalog add` (checksums computed, never typed):

- every runtime of `installer-image/runtimes.table` whose files are available offline: none of the
  upstream shims are (no network), so
- two stand-ins built from the real components in KWASM_TEST_ASSETS:
  `crun-wasmedge` (oci-binary) = crun 1.27.1 with WAMR, runs a WASI module image;
  `wasmtime` (shim)             = containerd's own containerd-shim-runc-v2 under the wasmtime shim
                                   name, runs an ordinary Linux image.
- `KWASM_E2E_EXTRA_RUNTIMES`: more `NAME:HANDLER:KIND:VERSION:FILE[,FILE]` entries (e.g. a runtime a
  later target builds), picked up by the test without a code change.

The test learns what to run from the catalog: a stand-in's workload is below; any other runtime
runs the WASI hello image and must print "hello from wasm".
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
OPERATOR_IMAGE = "docker.io/kwasm/kwasm-operator"
INSTALLER_IMAGE = "docker.io/kwasm/kwasm-node-installer"
TAG = "e2e"
EXIT_CODE_IMAGE = "kwasm.local/hello-kwasm:e2e"


@dataclass
class Workload:
    image: str
    command: list[str] | None
    expected: str
    annotations: dict[str, str] = field(default_factory=dict)


WASM_HELLO = Workload("docker.io/library/wasm-hello:v1", None, "hello from wasm")
# Workloads of the stand-ins (what their binaries can run).
STAND_IN_WORKLOADS = {
    "wasmtime": Workload("docker.io/library/busybox:1.36", ["sh", "-c", "echo hello from the wasmtime stand-in"],
                         "hello from the wasmtime stand-in"),
}


def workload(entry: dict) -> Workload:
    base = STAND_IN_WORKLOADS.get(entry["name"], WASM_HELLO)
    # The catalog says which pod annotations the runtime's containerd entry passes on (crun reads
    # module.wasm.image/variant=compat to run the image's .wasm entrypoint).
    annotations = {key: "compat" for key in entry.get("podAnnotations", []) if key == "module.wasm.image/variant"}
    return Workload(base.image, base.command, base.expected, annotations)


def node_runc_shim(testbin: Path) -> Path:
    """The runc shim of the node's own containerd release: a shim speaks its containerd's start protocol
    (a 2.x shim answers 1.6 with a bootstrap JSON that 1.6 cannot dial)."""
    containerd = os.environ.get("KWASM_E2E_CONTAINERD", "system")
    if containerd == "system":
        return Path("/usr/bin/containerd-shim-runc-v2")
    return testbin / f"containerd-{containerd}" / "containerd-shim-runc-v2"


def stand_ins(testbin: Path) -> list[tuple[str, str, str, str, list[Path]]]:
    """(name, handler, kind, version, files); a file is staged under its catalog name (SRC=NAME)."""
    return [
        ("crun-wasmedge", "crun", "oci-binary", "1.27.1-wamr", [testbin / "wasm" / "bin" / "crun"]),
        ("wasmtime", "wasmtime", "shim", "0.0.0-runc-stand-in",
         [Path(f"{node_runc_shim(testbin)}=containerd-shim-wasmtime-v1")]),
    ]


def kwasm_runtime(build_dir: Path, out: Path) -> list[tuple[str, str, str, str, list[Path]]]:
    """The project's own `kwasm` runtime, as the catalog entry ships it: kwasm-oci, kwasm-wasi and, for
    this dynamically linked debug build, kwasm-wasi.libs (the loader and libraries kwasm-oci mounts into
    wasm containers; installer-image/runner-libraries.sh). The node's /opt overlays the host's, so the
    Swift runtime the debug binaries load is there."""
    oci, wasi = build_dir / "kwasm-oci", build_dir / "kwasm-wasi"
    if not (oci.is_file() and wasi.is_file()):
        raise FileNotFoundError(f"{oci} / {wasi} are not built (swift build)")
    libs = out / "kwasm-wasi.libs"
    listing = subprocess.run(["sh", str(REPO / "installer-image" / "runner-libraries.sh"), str(wasi)],
                             check=True, capture_output=True, text=True).stdout
    libs.write_text(listing)
    return [("kwasm", "kwasm", "oci-binary", "dev-e2e", [oci, wasi, libs])]


def extra_runtimes() -> list[tuple[str, str, str, str, list[Path]]]:
    extra = []
    for spec in filter(None, os.environ.get("KWASM_E2E_EXTRA_RUNTIMES", "").split()):
        name, handler, kind, version, files = spec.split(":", 4)
        extra.append((name, handler, kind, version, [Path(f) for f in files.split(",")]))
    return extra


def build_assets(installer: Path, testbin: Path, out: Path) -> dict:
    """Writes OUT/assets (bin/ + runtimes.json) and returns the catalog."""
    assets = out / "assets"
    if assets.exists():
        subprocess.run(["rm", "-rf", str(assets)], check=True)
    assets.mkdir(parents=True)
    for name, handler, kind, version, files in stand_ins(testbin) + kwasm_runtime(installer.parent, out) + extra_runtimes():
        staged = []
        for file in files:
            source, _, file_name = str(file).partition("=")
            target = out / "stage" / name / (file_name or Path(source).name)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(Path(source).read_bytes())
            target.chmod(0o755)
            staged.append(target)
        command = [str(installer), "catalog", "add", "--assets", str(assets), "--name", name, "--handler", handler,
                   "--kind", kind, "--version", version]
        for path in staged:
            command += ["--file", str(path)]
        subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads((assets / "runtimes.json").read_text())


def build_images(build_dir: Path, testbin: Path, out: Path) -> tuple[list[Path], dict]:
    """The operator and installer image archives, and the installer's catalog."""
    operator, installer = build_dir / "kwasm-operator", build_dir / "kwasm-node-installer"
    for binary in (operator, installer):
        if not binary.is_file():
            raise FileNotFoundError(f"{binary} is not built (swift build --product {binary.name})")
    catalog = build_assets(installer, testbin, out)
    script = [sys.executable, str(REPO / "scripts" / "oci-image.py")]
    operator_tar, installer_tar = out / "operator.tar", out / "installer.tar"
    subprocess.run(script + [
        "--name", f"{OPERATOR_IMAGE}:{TAG}", "--output", str(operator_tar),
        "--binary", f"{operator}:/usr/local/bin/kwasm-operator", "--dir", "/tmp",
        "--entrypoint", "/usr/local/bin/kwasm-operator", "--cmd", "run", "--user", "65532:65532",
    ], check=True, capture_output=True, text=True)
    subprocess.run(script + [
        "--name", f"{INSTALLER_IMAGE}:{TAG}", "--output", str(installer_tar),
        "--binary", f"{installer}:/usr/local/bin/kwasm-node-installer",
        "--binary", "/usr/bin/nsenter:/usr/bin/nsenter", "--binary", "/bin/dash:/bin/sh",
        "--tree", f"{out / 'assets'}:/assets", "--dir", "/tmp", "--env", "KWASM_ASSETS=/assets",
        "--entrypoint", "/usr/local/bin/kwasm-node-installer", "--user", "0:0",
    ], check=True, capture_output=True, text=True)
    # A WASI module whose exit code is its own (proc_exit(3)): what a kwasm pod must report.
    module_tar = out / "hello-kwasm.tar"
    subprocess.run([sys.executable, str(REPO / "scripts" / "wasi" / "make-image.py"),
                    str(REPO / "scripts" / "wasi" / "hello-kwasm.wasm"), EXIT_CODE_IMAGE, str(module_tar)],
                   check=True, capture_output=True, text=True)
    return [operator_tar, installer_tar, module_tar], catalog
