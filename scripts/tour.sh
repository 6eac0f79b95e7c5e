#!/usr/bin/env bash
# `npm run tour [-- url]`: a short tour of the kit's API on the embedded memory cache (no server
# needed), or on the connector URL given.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
npx tsc -b packages/connector-core
exec node packages/connector-core/dist/examples/quick-start.js "$@"
