#!/usr/bin/env bash
# The whole test suite, as CI runs it: set-up, build, Swift tests (real containerd in sandboxes,
# the fake API server over real HTTP), then the chart tests (real Helm library, Kubernetes schemas).
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh || exit 1

echo "== swift build (log: /tmp/kwasm-build.log)"
if ! swift build --build-tests >/tmp/kwasm-build.log 2>&1; then
  grep -E 'error:' /tmp/kwasm-build.log | head -n 60
  tail -n 30 /tmp/kwasm-build.log
  echo "swift build failed" >&2
  exit 1
fi
tail -n 2 /tmp/kwasm-build.log

echo "== swift test"
swift test --skip-build 2>&1 | grep --line-buffered -vE '^.{0,4}Test [^ ]+\(?.*\)? started\.$'
swift_status=${PIPESTATUS[0]}

echo "== chart tests"
python3 -m pytest Tests/chart -q -p no:cacheprovider
chart_status=$?

echo "== summary: swift test exit $swift_status, chart tests exit $chart_status"
[ "$swift_status" -eq 0 ] && [ "$chart_status" -eq 0 ]
