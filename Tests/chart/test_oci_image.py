"""scripts/oci-image.py writes an OCI image archive that containerd can import (the real import is
in Tests/realcluster): layout, digests, the image name annotation, and the binary's libraries."""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def build(tmp_path: Path, *args: str) -> tuple[Path, subprocess.CompletedProcess]:
    out = tmp_path / "image.tar"
    result = subprocess.run([sys.executable, str(REPO / "scripts" / "oci-image.py"), "--output", str(out), *args],
                            capture_output=True, text=True)
    return out, result


def test_archive_is_a_valid_oci_layout_with_the_binary_and_its_libraries(tmp_path):
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "runtimes.json").write_text("{}")
    out, result = build(tmp_path, "--name", "docker.io/kwasm/test:1", "--binary", "/bin/dash:/bin/sh",
                        "--tree", f"{tmp_path / 'assets'}:/assets", "--dir", "/tmp", "--entrypoint", "/bin/sh",
                        "--env", "A=b", "--user", "65532:65532")
    assert result.returncode == 0, result.stderr
    with tarfile.open(out) as archive:
        read = lambda name: archive.extractfile(name).read()  # noqa: E731
        assert json.loads(read("oci-layout")) == {"imageLayoutVersion": "1.0.0"}
        index = json.loads(read("index.json"))
        [descriptor] = index["manifests"]
        assert descriptor["annotations"]["io.containerd.image.name"] == "docker.io/kwasm/test:1"
        blob = lambda d: read("blobs/sha256/" + d["digest"].split(":")[1])  # noqa: E731
        for d in [descriptor]:
            assert hashlib.sha256(blob(d)).hexdigest() == d["digest"].split(":")[1] and len(blob(d)) == d["size"]
        manifest = json.loads(blob(descriptor))
        config = json.loads(blob(manifest["config"]))
        assert config["config"]["Entrypoint"] == ["/bin/sh"] and config["config"]["User"] == "65532:65532"
        assert "A=b" in config["config"]["Env"]
        [layer] = manifest["layers"]
        data = blob(layer)
        assert hashlib.sha256(data).hexdigest() == layer["digest"].split(":")[1]
        plain = gzip.decompress(data)
        assert config["rootfs"]["diff_ids"] == ["sha256:" + hashlib.sha256(plain).hexdigest()]
        with tarfile.open(fileobj=io.BytesIO(plain)) as rootfs:
            names = {m.name: m for m in rootfs.getmembers()}
    assert names["bin/sh"].isfile() and names["bin/sh"].mode == 0o755
    assert names["assets/runtimes.json"].isfile()
    assert names["tmp"].isdir() and names["tmp"].mode == 0o1777
    assert any(n.startswith("lib/x86_64-linux-gnu/libc.so") or n.endswith("/libc.so.6") for n in names), sorted(names)
    assert "lib64/ld-linux-x86-64.so.2" in names and names["lib64/ld-linux-x86-64.so.2"].isfile()


def test_same_inputs_give_the_same_archive(tmp_path):
    first, _ = build(tmp_path, "--name", "x/y:1", "--file", "/etc/hostname:/etc/hostname")
    data = first.read_bytes()
    second, _ = build(tmp_path, "--name", "x/y:1", "--file", "/etc/hostname:/etc/hostname")
    assert second.read_bytes() == data


def test_bad_input_is_refused_with_a_clear_message(tmp_path):
    _, result = build(tmp_path, "--name", "x/y:1", "--file", "/nonexistent:/x")
    assert result.returncode != 0 and "/nonexistent is not a file" in result.stderr
    _, result = build(tmp_path, "--name", "x/y:1", "--file", "/etc/hostname:relative")
    assert result.returncode != 0 and "must be absolute" in result.stderr
