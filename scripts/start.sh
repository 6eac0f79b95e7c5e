#!/usr/bin/env bash
# `npm start`: the main job on embedded defaults (no server needed).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
npx tsc -b packages/connector-core
node packages/connector-core/dist/examples/quick-start.js "$@"
