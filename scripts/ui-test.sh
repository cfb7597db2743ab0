#!/usr/bin/env bash
# The Galata (Playwright) tests in ui-tests/ (`npm run test:ui`): setup with --ui-tests
# (everything `npm test` needs, plus Debian's Chromium), then `playwright test` against a
# real JupyterLab from .venv with the nbx extension installed. Arguments go to Playwright,
# e.g. `npm run test:ui -- -g About` or `-- --trace on`. Reports: ui-tests/playwright-report/
# (HTML, with traces of failed tests), ui-tests/test-results/report.json.
# Prints Playwright's summary, then `# ui pass N` and `# ui fail N` lines last (read by
# scripts/test.sh). Exit code: Playwright's.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh --ui-tests

report=ui-tests/test-results/report.json
rm -f "$report"
echo '==> playwright test (ui-tests/)'
status=0
(cd ui-tests && ../node_modules/.bin/playwright test "$@") || status=$?

# Counts from the JSON report: flaky tests passed on a retry; a run that failed without a
# failed test (the server did not start, a test file did not load) counts as one failure.
node -e '
const fs = require("fs");
let pass = 0, fail = 1, skipped = 0;
try {
  const { stats, errors = [] } = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
  pass = stats.expected + stats.flaky;
  skipped = stats.skipped;
  fail = stats.unexpected + (errors.length > 0 || (process.argv[2] !== "0" && stats.unexpected === 0) ? 1 : 0);
} catch (err) {
  console.error(`ui-test: no readable Playwright report (${err.message})`);
}
console.log(`# ui pass ${pass}\n# ui fail ${fail}\n# ui skipped ${skipped}`);
' "$report" "$status"
exit "$status"
