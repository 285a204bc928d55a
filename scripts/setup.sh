#!/usr/bin/env bash
# Installs what building and testing kwasm-operator needs on a Debian 12 machine that already
# has Swift 6.x: the real containerd/runc/crun the tests drive, and the Python tools that render
# and validate the Helm chart. Safe to run again: it installs only what is missing.
set -euo pipefail

# etcd-server: the envtest-style real control plane (Sources/KubernetesEnvtest) runs Debian's etcd.
apt_packages=(containerd runc crun busybox-static openssl util-linux iproute2 ca-certificates etcd-server)
missing=()
for pkg in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# containerd from Debian starts a system service on install; the tests run their own sandboxed
# instances and never use it, so leave it alone (stopping it is not needed either).

requirements="$(dirname "$0")/../Tests/chart/requirements.txt"
if [ -f "$requirements" ]; then
  if ! python3 -m pip install -q --disable-pip-version-check -r "$requirements"; then
    echo "setup: pip install failed" >&2; exit 1
  fi
fi

command -v swift >/dev/null || { echo "setup: swift is not on PATH (Swift 6.x toolchain needed)" >&2; exit 1; }
echo "setup: ready ($(swift --version 2>&1 | head -1); $(containerd --version | awk '{print $1, $3}'))"
