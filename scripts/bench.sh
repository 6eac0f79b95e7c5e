#!/usr/bin/env bash
# `npm run bench [-- suite…]`: every connector against its raw driver, same run, same server.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-services.sh
bash scripts/ensure-deps.sh
npx tsc -b
node --expose-gc bench/dist/run.js "$@"
