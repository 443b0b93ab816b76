#!/usr/bin/env bash
# The README's first command (`npm run demo`): installs what it needs, then runs
# the whole product on a simulated multi-node VPC (see demo/main.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/node_modules/.bin:$PATH"
unset NODE_EXTRA_CA_CERTS
exec node demo/main.ts "$@"
