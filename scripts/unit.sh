#!/usr/bin/env bash
# Runs the compiled node:test suites: every *.test.js under kernel/lib (the engine) and
# lib-test (the frontend's unit tests, src/**/*.test.ts compiled by tsconfig.test.json), or
# under the paths given (e.g. `npm run test:unit -- kernel/lib/protocol`). The engine needs
# a build first; the frontend's tests are compiled here when no path is given (`npm run
# test:front` compiles and runs them alone). `npm test` does setup, build and lint too.
# All files run in one `node --test`, so its summary lines count both. Exit code: node --test's.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ $# -eq 0 ]; then
  node_modules/.bin/tsc -p tsconfig.test.json
  set -- kernel/lib lib-test
fi

files=()
while IFS= read -r -d '' file; do
  # tsc never deletes output, so skip tests whose kernel/src/**/*.test.ts or
  # src/**/*.test.ts is gone.
  case $file in
    kernel/lib/*) source_file=kernel/src/${file#kernel/lib/} ;;
    lib-test/*) source_file=src/${file#lib-test/} ;;
    *) source_file= ;;
  esac
  if [ -n "$source_file" ] && ! [ -f "${source_file%.js}.ts" ]; then
    printf '==> skipping %s: its source is gone (stale build output)\n' "$file"
    continue
  fi
  files+=("$file")
done < <(find "$@" -type f -name '*.test.js' -print0 2>/dev/null | sort -z)

if [ ${#files[@]} -eq 0 ]; then
  printf 'unit: no *.test.js files under %s (build first: npm run build)\n' "$*" >&2
  exit 1
fi

# spec for people; TAP to a file, whose summary lines (# tests N, # pass N, # fail N, ...)
# are printed last even when the spec reporter ends with its list of failures.
tap=$(mktemp)
trap 'rm -f "$tap"' EXIT
printf '==> node --test: %d test files\n' "${#files[@]}"
status=0
node --test --test-concurrency=2 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$tap" \
  "${files[@]}" || status=$?
grep -E '^# (tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) ' "$tap" || true
exit "$status"
