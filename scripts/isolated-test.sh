#!/usr/bin/env bash
# The isolated-install test (part of `npm test`): installs the packed artefact the way a
# user would, away from this checkout, and checks that it works there.
#
#   1. `npm pack` (its prepack runs the setup, so the build is current) into a fresh
#      temporary directory;
#   2. a fresh Python venv there with only jupyterlab==$NBX_JUPYTERLAB (and ipykernel, for
#      the Python notebook) from the package index;
#   3. `npm install -g --prefix <tmp>/npm <tarball>`, then with the venv activated and a
#      PATH that has neither this checkout nor its node_modules/.bin, from a project
#      directory outside the checkout: `nbx install --sys-prefix`;
#   4. checks: `nbx doctor`, `jupyter labextension list` (enabled OK), `python -m
#      jupyterlab.browser_check` (headless Chromium), `nbx run` of a TypeScript and a
#      Python example notebook and of a notebook importing `nbx`, `nbx runs` listing them,
#      and `nbx uninstall --sys-prefix` removing what install added.
#
# Last lines: `# isolated pass N` and `# isolated fail N` (scripts/test.sh adds them up).
# Exit code: 0 when every check passed. NBX_KEEP_ISOLATED=1 keeps the temporary directory.
# browser_check drives Playwright's Chromium; where Playwright cannot download it, the
# browser at $NBX_CHROMIUM (default /usr/bin/chromium) stands in for it.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
checkout=$PWD
jupyterlab_version=${NBX_JUPYTERLAB:-4.6.4}
chromium=${NBX_CHROMIUM:-/usr/bin/chromium}
python=${PYTHON:-python3}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/nbx-isolated-XXXXXX")
cleanup() {
  if [ "${NBX_KEEP_ISOLATED:-}" = 1 ]; then
    echo "==> kept $tmp"
  else
    rm -rf "$tmp"
  fi
}
trap cleanup EXIT

pass=0
fail=0
ok() {
  pass=$((pass + 1))
  printf 'ok %d - %s\n' "$((pass + fail))" "$1"
}
not_ok() {
  fail=$((fail + 1))
  printf 'not ok %d - %s\n' "$((pass + fail))" "$1"
  if [ -n "${2:-}" ] && [ -f "$2" ]; then
    sed 's/^/    /' "$2" | tail -n 40
  fi
}
finish() {
  echo "==> isolated-install test done in ${SECONDS}s"
  echo "# isolated pass $pass"
  echo "# isolated fail $fail"
  [ "$fail" -eq 0 ]
  exit $?
}
step() { printf '==> %s\n' "$*"; }
out=$tmp/out.log

step "npm pack into $tmp"
if npm pack --pack-destination "$tmp" >"$out" 2>&1; then
  tarball=$(ls "$tmp"/*.tgz)
  ok "npm pack: $(basename "$tarball")"
else
  not_ok 'npm pack' "$out"
  finish
fi

# From here on nothing of the checkout is reachable: not its node_modules/.bin (npm puts
# it on the PATH of `npm test`), not its .venv, not its directory as the working directory.
clean_path=
IFS=: read -r -a entries <<<"$PATH"
for entry in "${entries[@]}"; do
  case $entry in
    "$checkout" | "$checkout"/*) ;;
    */node_modules/.bin) ;;
    *) clean_path=${clean_path:+$clean_path:}$entry ;;
  esac
done
unset NODE_PATH VIRTUAL_ENV CONDA_PREFIX JUPYTER_PATH JUPYTER_DATA_DIR NBX_HOME
# What `npm test` tells its scripts about this project (npm_package_json, npm_config_local_prefix, ...).
while read -r name; do
  unset "$name"
done < <(compgen -e | grep -E '^npm_(config|package|lifecycle)_')
export PATH=$clean_path
export JUPYTER_CONFIG_DIR=$tmp/jupyter-config
export JUPYTER_DATA_DIR=$tmp/jupyter-data
export JUPYTER_RUNTIME_DIR=$tmp/jupyter-runtime
export npm_config_prefix=$tmp/npm
mkdir -p "$tmp/project"
cd "$tmp/project"

step "fresh venv with jupyterlab==$jupyterlab_version and ipykernel"
if "$python" -m venv "$tmp/venv" >"$out" 2>&1 &&
  "$tmp/venv/bin/python" -m pip install --disable-pip-version-check --no-compile \
    "jupyterlab==$jupyterlab_version" ipykernel >"$out" 2>&1; then
  ok "venv with jupyterlab $jupyterlab_version"
else
  not_ok 'venv' "$out"
  finish
fi

step "npm install -g --prefix $tmp/npm $(basename "$tarball")"
if npm install -g --no-audit --no-fund --prefix "$tmp/npm" "$tarball" >"$out" 2>&1; then
  ok 'npm install -g of the tarball'
else
  not_ok 'npm install -g of the tarball' "$out"
  finish
fi
package_dir=$tmp/npm/lib/node_modules/jupyterlab-nbx

# What `source venv/bin/activate` does, with the npm prefix's bin/ where `npm install -g`
# puts commands.
export VIRTUAL_ENV=$tmp/venv
export PATH=$tmp/venv/bin:$tmp/npm/bin:$PATH

step 'checks'
if [ "$(command -v nbx)" = "$tmp/npm/bin/nbx" ] && nbx --version >"$out" 2>&1; then
  ok "nbx on the PATH from the npm prefix: nbx $(cat "$out")"
else
  not_ok "nbx on the PATH is $(command -v nbx || echo nothing)" "$out"
fi

# Nothing compiled at install time: zeromq's prebuilt addon is what loads.
if [ ! -e "$package_dir/node_modules/zeromq/build/Release" ] &&
  node -e "require(require.resolve('zeromq', { paths: [process.argv[1]] }))" "$package_dir" >"$out" 2>&1; then
  ok 'zeromq loads from its prebuilt binaries (nothing compiled)'
else
  not_ok 'zeromq prebuilt' "$out"
fi

if nbx install --sys-prefix >"$out" 2>&1; then
  ok 'nbx install --sys-prefix'
else
  not_ok 'nbx install --sys-prefix' "$out"
fi

if nbx doctor >"$out" 2>&1; then
  ok 'nbx doctor: everything in place'
else
  not_ok 'nbx doctor' "$out"
fi

# JUPYTER_* point away from the user's directories: the venv is the only place it can be.
if jupyter labextension list >"$out" 2>&1 &&
  sed 's/\x1b\[[0-9;]*m//g' "$out" | grep -qE '^\s+jupyterlab-nbx v[0-9.]+ enabled +OK'; then
  ok 'jupyter labextension list: jupyterlab-nbx enabled OK'
else
  not_ok 'jupyter labextension list' "$out"
fi

# browser_check installs Playwright into <app dir>/browser_test and runs `npx playwright
# install chromium` there; made here first, with the local Chromium standing in for the
# download, so that step finds the browser installed.
browser_check_setup() {
  local target=$tmp/venv/share/jupyter/lab/browser_test
  mkdir -p "$target"
  (cd "$target" && npm init -y >/dev/null && npm install --no-audit --no-fund 'playwright@^1.9.2') || return 1
  [ -x "$chromium" ] || return 1
  export PLAYWRIGHT_BROWSERS_PATH=$tmp/ms-playwright
  node - "$target" "$chromium" <<'EOF'
const fs = require('fs');
const path = require('path');
const [target, chromium] = process.argv.slice(2);
const core = path.dirname(require.resolve('playwright-core/package.json', { paths: [target] }));
const browsers = JSON.parse(fs.readFileSync(path.join(core, 'browsers.json'), 'utf8')).browsers;
// Where Playwright looks for each download on Linux x64, and what stands in for it there:
// the local Chromium, and for ffmpeg (video recording, which browser_check never uses) a
// command that fails.
const chrome = `#!/bin/sh\nexec ${JSON.stringify(chromium)} "$@"\n`;
const layout = {
  chromium: [['chrome-linux64', 'chrome'], chrome],
  'chromium-headless-shell': [['chrome-headless-shell-linux64', 'chrome-headless-shell'], chrome],
  ffmpeg: [['ffmpeg-linux'], '#!/bin/sh\nexit 1\n']
};
for (const b of browsers) {
  if (!layout[b.name]) continue;
  const [file, script] = layout[b.name];
  const dir = path.join(process.env.PLAYWRIGHT_BROWSERS_PATH, `${b.name.replace(/-/g, '_')}-${b.revision}`);
  const exe = path.join(dir, ...file);
  fs.mkdirSync(path.dirname(exe), { recursive: true });
  fs.writeFileSync(exe, script, { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'INSTALLATION_COMPLETE'), '');
  fs.writeFileSync(path.join(dir, 'DEPENDENCIES_VALIDATED'), '');
}
EOF
}
browser_check_args=()
# JupyterLab refuses to run as root without it.
if [ "$(id -u)" -eq 0 ]; then
  browser_check_args+=(--allow-root)
fi
step 'python -m jupyterlab.browser_check'
if browser_check_setup >"$out" 2>&1 &&
  timeout 300 python -m jupyterlab.browser_check "${browser_check_args[@]}" >>"$out" 2>&1; then
  ok 'python -m jupyterlab.browser_check'
else
  not_ok 'python -m jupyterlab.browser_check' "$out"
fi

cp "$checkout/examples/train.ipynb" "$checkout/examples/python.ipynb" "$checkout/examples/data.csv" .
cat >api.ipynb <<'EOF'
{
 "cells": [
  {
   "cell_type": "code",
   "execution_count": null,
   "metadata": {},
   "outputs": [],
   "source": ["import * as nbx from \"nbx\";\n", "nbx.log({ api_loss: 0.5 }, 1);"]
  }
 ],
 "metadata": {"kernelspec": {"display_name": "TypeScript", "language": "typescript", "name": "tslab"}},
 "nbformat": 4,
 "nbformat_minor": 5
}
EOF
for nb in train.ipynb python.ipynb api.ipynb; do
  step "nbx run $nb"
  if timeout 300 nbx run "$nb" --quiet >"$out" 2>&1; then
    ok "nbx run $nb"
  else
    not_ok "nbx run $nb" "$out"
  fi
done
if nbx scalars 1 >"$out" 2>&1 && grep -q api_loss "$out"; then
  ok 'import * as nbx from "nbx" in a run: nbx.log recorded api_loss'
else
  not_ok 'nbx.log in a run' "$out"
fi

if nbx runs >"$out" 2>&1 && [ "$(grep -cE '(train|python|api)\.ipynb.*completed' "$out")" -eq 3 ]; then
  ok 'nbx runs lists the three runs, completed'
else
  not_ok 'nbx runs' "$out"
fi

if nbx uninstall --sys-prefix >"$out" 2>&1 &&
  ! ls "$tmp/venv/share/jupyter/labextensions/jupyterlab-nbx" "$tmp/venv/share/jupyter/kernels/tslab" \
    "$tmp/venv/share/jupyter/kernels/nbx-service" >/dev/null 2>&1 &&
  jupyter labextension list 2>&1 | { ! grep -q jupyterlab-nbx; }; then
  ok 'nbx uninstall --sys-prefix removes the kernelspecs and the extension'
else
  not_ok 'nbx uninstall --sys-prefix' "$out"
fi

finish
