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
# On Node.js 20 the AWS SDK warns once per module instance that its 2027 releases need Node.js 22;
# every storage worker thread loads its own instance, so the notice floods the spec log. The
# storage-dynamodb README says it once instead.
AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true node scripts/run-tests.js "$@"
