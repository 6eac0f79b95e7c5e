#!/usr/bin/env bash
# `npm start [-- options]`: a deepstream server on the kit (`connector-kit serve`): memory cache,
# embedded storage in ./data, port 6020. Options pass through (`npm start -- --port 6021`), and
# CACHE_URL / STORAGE_URL / PORT select other backends. `npm run tour` runs the quick-start tour.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
# Every package (not their tests): the CLI, and each backend a CACHE_URL / STORAGE_URL may name.
npx tsc -b packages/*/
exec node packages/cli/dist/cli.js serve "$@"
