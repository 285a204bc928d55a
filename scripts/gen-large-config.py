#!/usr/bin/env python3
"""Writes a large containerd config (schema 2) for the installer's memory benchmark.

usage: gen-large-config.py tables|comments OUT [MEGABYTES]
  tables:   about 7,450 tables per MB (about 350k tables in 47 MB): registry auth tables, each with two keys
  comments: a real-looking config followed by comment lines up to the size
"""
import sys

HEAD = """version = 2
root = "/var/lib/containerd"
state = "/run/containerd"

[grpc]
  address = "/run/containerd/containerd.sock"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "registry.k8s.io/pause:3.9"

[plugins."io.containerd.grpc.v1.cri".containerd]
  default_runtime_name = "runc"

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
  SystemdCgroup = true
"""


def main():
    kind, out = sys.argv[1], sys.argv[2]
    size = int(float(sys.argv[3] if len(sys.argv) > 3 else 47) * 1_000_000)
    with open(out, "w") as f:
        f.write(HEAD)
        written = len(HEAD)
        n = 0
        while written < size:
            if kind == "tables":
                chunk = (f'\n[plugins."io.containerd.grpc.v1.cri".registry.configs."registry-{n:07d}.mirrors.example.com".auth]\n'
                         f'  username = "u{n}"\n')
            else:
                chunk = f"# comment line {n}: padding that containerd ignores, kept byte-exact by the installer\n"
            f.write(chunk)
            written += len(chunk)
            n += 1
    print(f"{out}: {written} bytes, {n} {kind}")


main()
