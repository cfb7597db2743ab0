#!/usr/bin/env bash
# The project's test command (`npm test`): setup (venv, node_modules, build, kernelspecs),
# lint, then the engine's unit and integration tests (scripts/unit.sh).
# Exit code: the tests' when they fail, else lint's.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh

echo '==> lint: eslint . && prettier --check .'
lint_status=0
npm run --silent lint || lint_status=$?

echo '==> tests'
test_status=0
bash scripts/unit.sh || test_status=$?

if [ "$lint_status" -ne 0 ]; then
  echo "==> lint failed (exit $lint_status): see its output above; \`npm run lint:fix\` fixes most of it" >&2
fi
if [ "$test_status" -ne 0 ]; then
  exit "$test_status"
fi
exit "$lint_status"
