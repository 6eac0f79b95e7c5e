#!/usr/bin/env bash
# The one test command (`npm test`, also run by .ci/run): installs the servers and packages the
# tests need, builds every package, lints, and runs every spec against real servers. The last
# line printed is `N passed, N failed`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-services.sh
bash scripts/ensure-deps.sh
echo "[test] building…" >&2
npx tsc -b
echo "[test] linting…" >&2
npx eslint .
npx prettier --check . >/dev/null || { npx prettier --check . ; echo "0 passed, 1 failed"; exit 1; }
echo "[test] running specs…" >&2
node scripts/run-tests.js "$@"
