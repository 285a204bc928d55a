#!/usr/bin/env python3
"""Writes an OCI image layout tarball (for `ctr images import`) whose only file is a wasm module,
also its entrypoint: the shape of a wasm image (FROM scratch; COPY x.wasm /; ENTRYPOINT ["/x.wasm"]).

    make-image.py MODULE.wasm REFERENCE OUTPUT.tar
"""
import hashlib, io, json, os, platform, sys, tarfile


def add(tar: tarfile.TarFile, name: str, data: bytes, mode: int = 0o644) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), mode, 0
    tar.addfile(info, io.BytesIO(data))


def main(module_path: str, reference: str, output: str) -> None:
    name = os.path.basename(module_path)
    layer_buffer = io.BytesIO()
    with tarfile.open(fileobj=layer_buffer, mode="w", format=tarfile.USTAR_FORMAT) as layer:
        add(layer, name, open(module_path, "rb").read(), 0o755)
    layer_bytes = layer_buffer.getvalue()
    digest = lambda b: hashlib.sha256(b).hexdigest()
    arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
    config = json.dumps({"architecture": arch, "os": "linux",
                         "config": {"Entrypoint": ["/" + name], "WorkingDir": "/"},
                         "rootfs": {"type": "layers", "diff_ids": ["sha256:" + digest(layer_bytes)]}}).encode()
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                      "digest": "sha256:" + digest(config), "size": len(config)},
                           "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                                       "digest": "sha256:" + digest(layer_bytes), "size": len(layer_bytes)}]}).encode()
    index = json.dumps({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + digest(manifest),
        "size": len(manifest), "annotations": {"io.containerd.image.name": reference,
                                               "org.opencontainers.image.ref.name": reference.rsplit(":", 1)[-1]}}]}).encode()
    with tarfile.open(output, "w", format=tarfile.USTAR_FORMAT) as tar:
        add(tar, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        add(tar, "index.json", index)
        for blob in (layer_bytes, config, manifest):
            add(tar, "blobs/sha256/" + digest(blob), blob)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
