#!/usr/bin/env python3
"""Write an OCI image archive (an OCI layout as one tar) from local files, without Docker.

    scripts/oci-image.py --name docker.io/kwasm/kwasm-operator:dev --output operator.tar \\
        --binary .build/debug/kwasm-operator:/usr/local/bin/kwasm-operator \\
        --entrypoint /usr/local/bin/kwasm-operator --cmd run --user 65532:65532

One gzip layer holds every file; the image config has the entrypoint, command, user and
environment. `--binary SRC:DEST` also adds every shared library `ldd SRC` lists, at the absolute
path ldd reports (symlinks resolved to their content), so a debug build that links the Swift
runtime from /opt/swift/usr/lib/swift/linux runs in an image without a base. `--file SRC:DEST`
adds one file as is, `--tree SRC:DEST` a directory recursively. The archive is reproducible (fixed
times and owners, sorted entries) and carries the `io.containerd.image.name` annotation, so
`ctr -n k8s.io images import ARCHIVE` names it (no --base-name needed).
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path

ARCH = {"x86_64": "amd64", "aarch64": "arm64"}.get(os.uname().machine, os.uname().machine)


def shared_libraries(binary: Path) -> list[str]:
    """Absolute paths of the libraries (and the loader) `ldd` lists for a dynamic binary."""
    result = subprocess.run(["ldd", str(binary)], capture_output=True, text=True)
    if result.returncode != 0 or "not a dynamic executable" in result.stdout + result.stderr:
        return []
    paths = []
    for line in result.stdout.splitlines():
        if "not found" in line:
            raise SystemExit(f"oci-image: {binary}: {line.strip()}")
        match = re.search(r"(?:=>\s*)?(/\S+)\s+\(0x", line)
        if match:
            paths.append(match.group(1))
    return paths


class Layer:
    """The files of the one layer: destination path -> (source path | None for a directory, mode)."""

    def __init__(self) -> None:
        self.entries: dict[str, tuple[Path | None, int]] = {}

    def add_dir(self, dest: str, mode: int = 0o755) -> None:
        parts = Path(dest).parts[1:]
        for i in range(1, len(parts) + 1):
            path = "/" + "/".join(parts[:i])
            if path not in self.entries:
                self.entries[path] = (None, mode if i == len(parts) else 0o755)

    def add_file(self, source: Path, dest: str, mode: int | None = None) -> None:
        if not dest.startswith("/"):
            raise SystemExit(f"oci-image: destination {dest!r} must be absolute")
        real = source.resolve()
        if not real.is_file():
            raise SystemExit(f"oci-image: {source} is not a file")
        self.add_dir(str(Path(dest).parent))
        self.entries[dest] = (real, mode if mode is not None else (real.stat().st_mode & 0o7777))

    def add_tree(self, source: Path, dest: str) -> None:
        if not source.is_dir():
            raise SystemExit(f"oci-image: {source} is not a directory")
        self.add_dir(dest)
        for path in sorted(source.rglob("*")):
            target = dest.rstrip("/") + "/" + str(path.relative_to(source))
            if path.is_dir():
                self.add_dir(target)
            else:
                self.add_file(path, target)

    def tar(self) -> bytes:
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for dest in sorted(self.entries):
                source, mode = self.entries[dest]
                info = tarfile.TarInfo(dest.lstrip("/"))
                info.mode, info.mtime, info.uid, info.gid, info.uname, info.gname = mode, 0, 0, 0, "", ""
                if source is None:
                    info.type = tarfile.DIRTYPE
                    tar.addfile(info)
                else:
                    info.size = source.stat().st_size
                    with source.open("rb") as data:
                        tar.addfile(info, data)
        return buffer.getvalue()


def blob(blobs: dict[str, bytes], data: bytes) -> dict:
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    blobs[digest] = data
    return {"digest": digest, "size": len(data)}


def image_archive(name: str, layer: Layer, entrypoint: list[str], cmd: list[str], env: list[str], user: str,
                  workdir: str) -> bytes:
    layer_tar = layer.tar()
    layer_gz = gzip.compress(layer_tar, compresslevel=6, mtime=0)
    blobs: dict[str, bytes] = {}
    layer_desc = {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **blob(blobs, layer_gz)}
    config = {
        "architecture": ARCH, "os": "linux",
        "config": {"Entrypoint": entrypoint, "Cmd": cmd or None, "Env": ["PATH=/usr/local/bin:/usr/bin:/bin"] + env,
                   "User": user, "WorkingDir": workdir},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(layer_tar).hexdigest()]},
        "history": [{"created_by": "scripts/oci-image.py"}],
    }
    config_desc = {"mediaType": "application/vnd.oci.image.config.v1+json",
                   **blob(blobs, json.dumps(config, sort_keys=True).encode())}
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": config_desc, "layers": [layer_desc]}
    manifest_desc = {"mediaType": "application/vnd.oci.image.manifest.v1+json",
                     **blob(blobs, json.dumps(manifest, sort_keys=True).encode()),
                     "platform": {"architecture": ARCH, "os": "linux"},
                     "annotations": {"io.containerd.image.name": name,
                                     "org.opencontainers.image.ref.name": name.rsplit(":", 1)[-1]}}
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [manifest_desc]}

    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        def put(path: str, data: bytes) -> None:
            info = tarfile.TarInfo(path)
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            tar.addfile(info, io.BytesIO(data))
        for directory in ("blobs", "blobs/sha256"):
            info = tarfile.TarInfo(directory)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, 0
            tar.addfile(info)
        put("oci-layout", json.dumps({"imageLayoutVersion": "1.0.0"}).encode())
        put("index.json", json.dumps(index, sort_keys=True).encode())
        for digest in sorted(blobs):
            put("blobs/sha256/" + digest.split(":", 1)[1], blobs[digest])
    return out.getvalue()


def split_pair(value: str) -> tuple[Path, str]:
    source, sep, dest = value.partition(":")
    if not sep or not dest:
        raise argparse.ArgumentTypeError(f"{value!r}: expected SRC:DEST")
    return Path(source), dest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--name", required=True, help="image reference, e.g. docker.io/kwasm/kwasm-operator:dev")
    parser.add_argument("--output", required=True, type=Path)
    parser.add_argument("--binary", action="append", default=[], type=split_pair, help="SRC:DEST, plus its ldd libraries")
    parser.add_argument("--file", action="append", default=[], type=split_pair, help="SRC:DEST")
    parser.add_argument("--tree", action="append", default=[], type=split_pair, help="SRCDIR:DESTDIR")
    parser.add_argument("--dir", action="append", default=[], help="an empty directory (mode 1777 for /tmp)")
    parser.add_argument("--entrypoint", action="append", default=[])
    parser.add_argument("--cmd", action="append", default=[])
    parser.add_argument("--env", action="append", default=[], help="KEY=VALUE")
    parser.add_argument("--user", default="0:0")
    parser.add_argument("--workdir", default="/")
    args = parser.parse_args(argv)

    layer = Layer()
    for source, dest in args.binary:
        layer.add_file(source, dest, 0o755)
        for library in shared_libraries(source):
            layer.add_file(Path(library), library, 0o755)
    for source, dest in args.file:
        layer.add_file(source, dest)
    for source, dest in args.tree:
        layer.add_tree(source, dest)
    for directory in args.dir:
        layer.add_dir(directory, 0o1777 if directory == "/tmp" else 0o755)
    archive = image_archive(args.name, layer, args.entrypoint, args.cmd, args.env, args.user, args.workdir)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.output.with_name(args.output.name + ".tmp")
    tmp.write_bytes(archive)
    tmp.replace(args.output)
    print(f"oci-image: {args.name} -> {args.output} ({len(archive) // 1024} KiB, {len(layer.entries)} entries)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
