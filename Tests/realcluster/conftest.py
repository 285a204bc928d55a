"""A real Kubernetes v1.28.7 control plane and kubelet node (shared/realcluster), brought up for
this session and torn down at its end.

Needs root, KWASM_TEST_ASSETS (the testbin) and the realcluster scripts: `$KWASM_REALCLUSTER_SCRIPTS`
or `../shared/realcluster` next to the repository. Without them every test here is skipped and says
why. `KWASM_E2E_CONTAINERD` = system (Debian's 1.6.20, default), 2.0 or 2.2 picks the node's
containerd; the cluster is always fresh (`down.sh --purge` first; stopped, logs kept, at the end).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
STATE = Path(os.environ.get("KWASM_E2E_STATE", "/tmp/kwasm-realcluster"))


def scripts_dir() -> Path | None:
    for candidate in (os.environ.get("KWASM_REALCLUSTER_SCRIPTS"), REPO.parent / "shared" / "realcluster"):
        if candidate and (Path(candidate) / "up.sh").is_file():
            return Path(candidate)
    return None


class Cluster:
    def __init__(self, scripts: Path, env: dict[str, str]):
        self.scripts = scripts
        self.env = env
        self.kubectl_path = env["KWASM_REALCLUSTER_KUBECTL"]
        self.node = env["KWASM_REALCLUSTER_NODE_NAME"]
        self.node_root = Path(env["KWASM_REALCLUSTER_NODE_ROOT"])
        self.containerd = env.get("KWASM_REALCLUSTER_CONTAINERD", "system")

    def kubectl(self, *args: str, check: bool = True, input: str | None = None) -> str:
        result = subprocess.run([self.kubectl_path, *args], capture_output=True, text=True, env=self.env, input=input, timeout=120)
        if check and result.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed: {result.stderr.strip()}")
        return result.stdout

    def get_json(self, *args: str) -> dict:
        return json.loads(self.kubectl("get", *args, "-o", "json"))

    def items(self, *args: str) -> list[dict]:
        return self.get_json(*args)["items"]

    def import_image(self, archive: Path) -> None:
        subprocess.run([self.env["KWASM_REALCLUSTER_CTR"], "--address", self.env["KWASM_REALCLUSTER_CONTAINERD_SOCK"],
                        "-n", "k8s.io", "images", "import", str(archive)], check=True, capture_output=True, text=True)

    def wait(self, what: str, condition, timeout: float = 180, interval: float = 1.0):
        deadline = time.monotonic() + timeout
        while True:
            value = condition()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
            time.sleep(interval)


def read_env(path: Path) -> dict[str, str]:
    env = dict(os.environ)
    for line in path.read_text().splitlines():
        line = line.strip()
        if line.startswith("export "):
            line = line[len("export "):]
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            env[key] = value.strip().strip('"').strip("'")
    return env


@pytest.fixture(scope="session")
def cluster():
    scripts = scripts_dir()
    testbin = os.environ.get("KWASM_TEST_ASSETS")
    if not testbin:
        pytest.skip("SKIPPED: KWASM_TEST_ASSETS is not set (the real components: /work/shared/testbin unpacked)")
    if scripts is None:
        pytest.skip("SKIPPED: the realcluster scripts are missing (../shared/realcluster or $KWASM_REALCLUSTER_SCRIPTS)")
    if os.geteuid() != 0:
        pytest.skip("SKIPPED: the real cluster needs root")
    stray = Path("/opt/kwasm")
    if stray.exists() or stray.is_symlink():
        pytest.fail(f"the host's {stray} exists and was not made by this test: the node's /opt is an overlay over the "
                    "host's /opt, so every install on the node would go through it (remove it and re-run)")
    containerd = os.environ.get("KWASM_E2E_CONTAINERD", "system")
    env = dict(os.environ, KWASM_REALCLUSTER_STATE=str(STATE), KWASM_TESTBIN=testbin)
    # A fresh cluster: no release, namespace or status left by an earlier run.
    subprocess.run([str(scripts / "down.sh"), "--purge"], env=env, capture_output=True, text=True)
    up = subprocess.run([str(scripts / "up.sh"), "--node", "--containerd", containerd], env=env, capture_output=True, text=True)
    if up.returncode != 0:
        raise AssertionError(f"up.sh --node --containerd {containerd} failed:\n{up.stdout[-3000:]}\n{up.stderr[-3000:]}")
    try:
        yield Cluster(scripts, read_env(STATE / "env"))
    finally:
        if os.environ.get("KWASM_E2E_KEEP_CLUSTER") != "1":
            # Stopped; the state (logs) stays for a look until the next run purges it.
            subprocess.run([str(scripts / "down.sh")], env=env, capture_output=True, text=True)


@pytest.fixture(scope="session")
def images(cluster, tmp_path_factory):
    from images import build_images

    build_dir = Path(os.environ.get("KWASM_E2E_BUILD_DIR", REPO / ".build" / "debug"))
    out = tmp_path_factory.mktemp("images")
    try:
        archives, catalog = build_images(build_dir, Path(os.environ["KWASM_TEST_ASSETS"]), out)
    except FileNotFoundError as error:
        pytest.fail(str(error))
    for archive in archives:
        cluster.import_image(archive)
    yield catalog
    shutil.rmtree(out, ignore_errors=True)
