#!/usr/bin/env python3
"""`helm uninstall` with an annotated node, N times in a row on the real cluster (issue #13: the
uninstall must leave no RuntimeClass, status, label, Job or installed file, every time). Not in CI.

    KWASM_TEST_ASSETS=/tmp/kwasm-testbin python3 Tests/realcluster/uninstall_loop.py [N=10]

Needs `swift build` first; uses the same cluster settings and images as the end-to-end test.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from conftest import REPO, STATE, Cluster, read_env, scripts_dir  # noqa: E402
from images import build_images  # noqa: E402
from test_helm_end_to_end import NAMESPACE, annotate, install, leftovers, node_files, uninstall, wait_ready  # noqa: E402


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    scripts, testbin = scripts_dir(), os.environ["KWASM_TEST_ASSETS"]
    containerd = os.environ.get("KWASM_E2E_CONTAINERD", "system")
    env = dict(os.environ, KWASM_REALCLUSTER_STATE=str(STATE), KWASM_TESTBIN=testbin)
    subprocess.run([str(scripts / "down.sh"), "--purge"], env=env, capture_output=True)
    subprocess.run([str(scripts / "up.sh"), "--node", "--containerd", containerd], env=env, check=True, capture_output=True)
    cluster = Cluster(scripts, read_env(STATE / "env"))
    failures = []
    try:
        with tempfile.TemporaryDirectory() as out:
            archives, catalog = build_images(REPO / ".build" / "debug", Path(testbin), Path(out))
            for archive in archives:
                cluster.import_image(archive)
        original = node_files(cluster)
        for run in range(1, runs + 1):
            install(cluster, catalog)
            annotate(cluster, "true")
            wait_ready(cluster)
            start = time.monotonic()
            uninstall(cluster)
            took = time.monotonic() - start
            left, same = leftovers(cluster), node_files(cluster) == original
            time.sleep(10)
            later = leftovers(cluster)
            print(f"run {run}/{runs}: helm uninstall {took:.1f} s; left right after: {left or 'nothing'}; "
                  f"10 s later: {later or 'nothing'}; node files byte-identical: {same}", flush=True)
            if left or later or not same:
                failures.append(run)
            cluster.kubectl("delete", "ns", NAMESPACE, "--wait=true")
            annotate(cluster, None)
    finally:
        subprocess.run([str(scripts / "down.sh")], env=env, capture_output=True)
    print(f"{runs - len(failures)}/{runs} runs left nothing behind" + (f"; failed: {failures}" if failures else ""))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
