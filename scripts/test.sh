#!/usr/bin/env bash
# The project's test command (`npm test`): setup (venv, node_modules, builds, kernelspecs,
# the extension), lint, the engine's unit and integration tests (scripts/unit.sh), the
# Galata tests in a real JupyterLab and Chromium (scripts/ui-test.sh, which installs
# Chromium when missing), then the isolated-install test: the packed artefact installed
# into a fresh venv and npm prefix away from this checkout (scripts/isolated-test.sh).
# The last line is the combined count of the three suites: `N passed, N failed`.
# Exit code: non-zero when lint or any suite failed (the first failing suite's code).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh

echo '==> lint: npm run lint (eslint, prettier --check, tsc -p ui-tests)'
lint_status=0
npm run --silent lint || lint_status=$?

log=$(mktemp)
trap 'rm -f "$log"' EXIT

echo '==> unit and integration tests'
unit_status=0
bash scripts/unit.sh | tee "$log" || unit_status=$?

echo '==> ui tests'
ui_status=0
bash scripts/ui-test.sh | tee -a "$log" || ui_status=$?

echo '==> isolated-install test'
isolated_status=0
bash scripts/isolated-test.sh | tee -a "$log" || isolated_status=$?

# The last value of a `# <key> N` summary line in the log, or 0.
count() { { grep -E "^# $1 [0-9]+$" "$log" || true; } | awk '{ n = $NF } END { print n + 0 }'; }

unit_pass=$(count pass)
# Cancelled tests (a timeout, a parent that failed) fail the run as failures do.
unit_fail=$(($(count fail) + $(count cancelled)))
# A failing run without a failed test (a file that did not load, no test files) counts as one.
if [ "$unit_status" -ne 0 ] && [ "$unit_fail" -eq 0 ]; then
  unit_fail=1
fi
ui_pass=$(count 'ui pass')
ui_fail=$(count 'ui fail')
if [ "$ui_status" -ne 0 ] && [ "$ui_fail" -eq 0 ]; then
  ui_fail=1
fi
isolated_pass=$(count 'isolated pass')
isolated_fail=$(count 'isolated fail')
if [ "$isolated_status" -ne 0 ] && [ "$isolated_fail" -eq 0 ]; then
  isolated_fail=1
fi

if [ "$lint_status" -ne 0 ]; then
  echo "==> lint failed (exit $lint_status): see its output above; \`npm run lint:fix\` fixes most of it"
fi
echo "==> node tests: $unit_pass passed, $unit_fail failed; ui tests: $ui_pass passed, $ui_fail failed;" \
  "isolated install: $isolated_pass passed, $isolated_fail failed"
echo "$((unit_pass + ui_pass + isolated_pass)) passed, $((unit_fail + ui_fail + isolated_fail)) failed"

for status in "$unit_status" "$ui_status" "$isolated_status" "$lint_status"; do
  if [ "$status" -ne 0 ]; then
    exit "$status"
  fi
done
exit 0
