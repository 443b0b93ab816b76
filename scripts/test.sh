#!/usr/bin/env bash
# The one command that runs every test (README: `npm test`).
# Type-check, lint, then every vitest project; ends with one plain line
# "tests: N passed, N failed" so CI and people read the same verdict.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/node_modules/.bin:$PATH"
unset NODE_EXTRA_CA_CERTS

echo "== typecheck" && tsc -p tsconfig.json
echo "== lint" && biome check --diagnostic-level=error .
echo "== tests"
report=.vitest-report.json
rm -f "$report"
status=0
vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?
if [[ -f $report ]]; then
  node -e '
    const r = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
    console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
  ' "$report"
fi
exit $status
