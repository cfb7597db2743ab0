#!/usr/bin/env bash
# Sets up this checkout for development, tests and the examples:
#   .venv/                  Python venv with jupyterlab==4.6.4 and ipykernel (from PyPI)
#   node_modules/           npm ci, when missing or older than package-lock.json; then
#                           patches/tslab-*.patch applied to tslab (see ensure_tslab_patch)
#   kernel/lib/             the engine build (npm run build:kernel), when kernel/src changed
#   lib/, labextension/     the JupyterLab extension: tsc, then the prebuilt extension
#                           (npm run build:lib, build:labextension), when src/, style/ or
#                           schema/ changed
#   .venv/share/jupyter/    kernelspecs tslab, jslab, python3 and nbx-service with absolute
#                           argv[0], and labextensions/jupyterlab-nbx, a symlink to labextension/
#                           (JupyterLab loads it from there; no JupyterLab rebuild)
#   .venv/bin/nbx           a link to kernel/bin/path/nbx: `source .venv/bin/activate` puts `nbx`
#                           on the PATH (and `npm start` runs JupyterLab from the venv, so its
#                           terminals and `!nbx` in notebooks have it)
#   examples/node_modules/nbx  a stub package re-exporting the API, so notebooks here
#                           `import * as nbx from "nbx"` in JupyterLab too
#   /usr/bin/chromium       only with --ui-tests: Debian's Chromium for the Galata tests,
#                           from apt when missing (as root, or through sudo); NBX_CHROMIUM
#                           names another browser binary instead
# Idempotent: each step is skipped when its result is already in place.
# PYTHON (default python3) is the interpreter a new .venv is created with.
set -euo pipefail

ui_tests=false
for arg in "$@"; do
  case $arg in
    --ui-tests) ui_tests=true ;;
    *)
      printf 'setup: unknown argument %s (usage: setup.sh [--ui-tests])\n' "$arg" >&2
      exit 2
      ;;
  esac
done

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
venv=$root/.venv
venv_python=$venv/bin/python
kernels=$venv/share/jupyter/kernels
tslab_launcher=$root/kernel/bin/tslab-kernel.js
jupyterlab_version=4.6.4
build_stamp=kernel/lib/.build-stamp
# In labextension/, which the builder empties at the start of each build: a dev build
# (npm run build:labextension:dev) removes it, so setup makes its production build again.
lab_build_stamp=labextension/.build-stamp
package_name=$(node -p 'require("./package.json").name')
labextension_link=$venv/share/jupyter/labextensions/$package_name
chromium=${NBX_CHROMIUM:-/usr/bin/chromium}

step() { printf '==> %s\n' "$*"; }
die() {
  printf 'setup: %s\n' "$*" >&2
  exit 1
}

# True when the venv has jupyterlab (at the pinned version) and ipykernel. Finds the
# modules without importing them: importing jupyterlab alone takes about 1.7 s.
venv_ready() {
  [ -x "$venv_python" ] && "$venv_python" -c '
import sys
from importlib.metadata import version
from importlib.util import find_spec
ok = find_spec("jupyterlab") and find_spec("ipykernel") and version("jupyterlab") == sys.argv[1]
sys.exit(0 if ok else 1)' "$jupyterlab_version" 2>/dev/null
}

ensure_venv() {
  if venv_ready; then
    step "venv: .venv has jupyterlab $jupyterlab_version and ipykernel"
    return
  fi
  local python=${PYTHON:-python3}
  command -v "$python" >/dev/null || die "$python not found; install Python 3 (Debian: apt-get install python3 python3-venv)"
  "$python" -c 'import ensurepip, venv' 2>/dev/null ||
    die "$python cannot create venvs; on Debian: apt-get install python3-venv"
  if [ -x "$venv_python" ] && "$venv_python" -c '' 2>/dev/null; then
    step "venv: installing jupyterlab==$jupyterlab_version and ipykernel into .venv"
  else
    step "venv: creating .venv with $python"
    "$python" -m venv --clear "$venv"
  fi
  # Not --quiet: a first install takes minutes, and pip names each package as it goes.
  "$venv_python" -m pip install --disable-pip-version-check \
    "jupyterlab==$jupyterlab_version" ipykernel
  venv_ready || die ".venv still lacks jupyterlab $jupyterlab_version or ipykernel after pip install"
}

ensure_node_modules() {
  # npm ci writes node_modules/.package-lock.json last, so it dates the installed tree.
  if [ -f node_modules/.package-lock.json ] && ! [ package-lock.json -nt node_modules/.package-lock.json ]; then
    step "node_modules: up to date with package-lock.json"
    return
  fi
  step "node_modules: npm ci"
  npm ci --no-audit --no-fund
}

# tslab 1.0.22 rewrites a reference to an earlier cell's variable `x` as `exports.x`,
# except in a shorthand property: `console.log({ lr })` after a flags cell declaring `lr`
# threw `ReferenceError: lr is not defined`. And it answers JupyterLab's history_request
# with "unknown msg_type" in the last cell's output. The patch fixes both; it is applied
# after every npm ci (which restores the published files) and checked on every setup.
ensure_tslab_patch() {
  local version patch_file
  command -v patch >/dev/null || die "patch not found; install it (Debian: apt-get install patch)"
  version=$(node -p 'require("./node_modules/tslab/package.json").version')
  patch_file=patches/tslab-$version.patch
  [ -f "$patch_file" ] || die "no $patch_file for tslab $version (package.json pins the version the patch is for)"
  if patch -p1 -R -s -f --dry-run <"$patch_file" >/dev/null; then
    step "tslab: $patch_file applied"
    return
  fi
  step "tslab: applying $patch_file"
  patch -p1 -N -s <"$patch_file" || die "$patch_file does not apply to node_modules/tslab"
}

# Notebooks in this checkout (a tslab kernel's cwd is examples/) `import * as nbx from "nbx"`
# through examples/node_modules/nbx: a stub package re-exporting the API (not a symlink to
# the checkout, which tree-walking deletes would follow). Not in the top node_modules:
# writing there after `npm ci` leaves npm's hidden lockfile (node_modules/.package-lock.json)
# older than the tree, which npm commands then report as out of date and read again.
ensure_api_stub() {
  local stub=examples/node_modules/nbx
  # Where an older setup wrote it.
  if [ -f node_modules/nbx/package.json ] && grep -q '"nbxPackageRoot"' node_modules/nbx/package.json; then
    rm -rf node_modules/nbx
  fi
  if [ -f "$stub/package.json" ] && grep -q "\"nbxPackageRoot\": \"$root\"" "$stub/package.json"; then
    step "examples/node_modules/nbx: stub package for this checkout"
    return
  fi
  step "examples/node_modules/nbx: writing a stub package for this checkout"
  rm -rf "$stub"
  mkdir -p "$stub"
  printf '{\n  "name": "nbx",\n  "private": true,\n  "main": "index.js",\n  "types": "index.d.ts",\n  "nbxPackageRoot": "%s"\n}\n' "$root" >"$stub/package.json"
  printf "module.exports = require('../../../kernel/lib/api/index.js');\n" >"$stub/index.js"
  printf "export * from '../../../kernel/lib/api/index';\n" >"$stub/index.d.ts"
}

ensure_build() {
  if [ -f "$build_stamp" ] &&
    [ -z "$(find kernel/src kernel/tsconfig.json node_modules/.package-lock.json -newer "$build_stamp" -print -quit)" ]; then
    step "build: kernel/lib is up to date with kernel/src"
    return
  fi
  step "build: npm run build:kernel"
  # Dated before the build, so a source saved while tsc runs still counts as newer.
  mkdir -p kernel/lib
  touch "$build_stamp.next"
  npm run --silent build:kernel
  bash scripts/prune-build.sh kernel/lib kernel/src
  mv -f "$build_stamp.next" "$build_stamp"
}

ensure_labextension() {
  if [ -f "$lab_build_stamp" ] && [ -f labextension/package.json ] &&
    [ -z "$(find src style schema package.json tsconfig.json node_modules/.package-lock.json \
      -newer "$lab_build_stamp" -print -quit)" ]; then
    step "build: lib/ and labextension/ are up to date with src/ and style/"
    return
  fi
  step "build: npm run build:lib && npm run build:labextension"
  # Dated before the build, like the kernel's stamp; kept outside labextension/, which the
  # builder empties.
  mkdir -p lib
  touch lib/.labextension-stamp.next
  npm run --silent build:lib
  bash scripts/prune-build.sh lib src
  npm run --silent build:labextension
  mv -f lib/.labextension-stamp.next "$lab_build_stamp"
}

# argv[0] of an installed kernelspec, or nothing when it is missing or unreadable.
spec_argv0() {
  node -p 'try { JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).argv[0] } catch { "" }' \
    "$kernels/$1/kernel.json"
}

# argv[1] of an installed kernelspec (the script its node runs), or nothing.
spec_argv1() {
  node -p 'try { JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).argv[1] } catch { "" }' \
    "$kernels/$1/kernel.json"
}

tslab_specs_ok() { [ "$(spec_argv1 tslab)" = "$tslab_launcher" ] && [ "$(spec_argv1 jslab)" = "$tslab_launcher" ]; }
python_spec_ok() { [ "$(spec_argv0 python3)" = "$venv_python" ]; }

ensure_kernelspecs() {
  if tslab_specs_ok; then
    step "kernelspecs: tslab and jslab in .venv"
  else
    # As nbx install writes them: tslab behind nbx's code-cache launcher.
    step "kernelspecs: tslab and jslab (kernel/bin/tslab-kernel.js) into .venv"
    node -e 'require("./kernel/lib/cli/jupyter-install").writeTslabKernelspecs(process.argv[1])' "$kernels"
    tslab_specs_ok || die "could not write $kernels/{tslab,jslab}/kernel.json running $tslab_launcher"
  fi
  # The service kernel JupyterLab starts for the nbx panels.
  if [ "$(spec_argv0 nbx-service)" = "$(command -v node)" ]; then
    step "kernelspecs: nbx-service in .venv"
  else
    step "kernelspecs: installing nbx-service into .venv"
    node kernel/lib/service/install.js "$venv" >/dev/null
  fi
  # ipykernel's wheel ships a python3 spec with argv[0] "python"; reinstall it with this venv's.
  if python_spec_ok; then
    step "kernelspecs: python3 in .venv"
  else
    step "kernelspecs: ipykernel install --prefix .venv"
    "$venv_python" -m ipykernel install --prefix "$venv" >/dev/null
    python_spec_ok || die "ipykernel install did not write $kernels/python3/kernel.json with argv[0] $venv_python"
  fi
}

# JupyterLab finds prebuilt extensions in <data dir>/labextensions/<npm name>.
ensure_labextension_link() {
  local target=$root/labextension
  # Left by a setup from before the package was named $package_name.
  if [ "$(readlink "$venv/share/jupyter/labextensions/nbx" 2>/dev/null)" = "$target" ]; then
    rm -f "$venv/share/jupyter/labextensions/nbx"
  fi
  if [ "$(readlink "$labextension_link" 2>/dev/null)" = "$target" ]; then
    step "labextension: .venv/share/jupyter/labextensions/$package_name -> labextension/"
    return
  fi
  step "labextension: linking .venv/share/jupyter/labextensions/$package_name -> labextension/"
  mkdir -p "$(dirname "$labextension_link")"
  # A copy or a link elsewhere (e.g. from `jupyter labextension develop` in another checkout).
  rm -rf "$labextension_link"
  ln -s "$target" "$labextension_link"
}

# `nbx` as a command in the venv's bin/: on the PATH once the venv is activated, and for
# everything JupyterLab (run from the venv by `npm start`) starts.
ensure_nbx_command() {
  local link=$venv/bin/nbx target=$root/kernel/bin/path/nbx
  if [ "$(readlink "$link" 2>/dev/null)" = "$target" ]; then
    step "command: .venv/bin/nbx -> kernel/bin/path/nbx"
    return
  fi
  step "command: linking .venv/bin/nbx -> kernel/bin/path/nbx"
  rm -f "$link"
  ln -s "$target" "$link"
}

# Debian's Chromium for Playwright (`npx playwright install` cannot download here), or the
# browser $NBX_CHROMIUM names (ui-tests/playwright.config.js reads it too).
ensure_chromium() {
  if [ -x "$chromium" ]; then
    step "chromium: $chromium"
    return
  fi
  [ -z "${NBX_CHROMIUM:-}" ] || die "NBX_CHROMIUM=$NBX_CHROMIUM is not an executable"
  command -v apt-get >/dev/null ||
    die "$chromium is missing and apt-get is not available: install Chromium there by hand"
  local sudo=
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || die "$chromium is missing; as root: apt-get install chromium"
    sudo=sudo
  fi
  step "chromium: apt-get install chromium fonts-liberation"
  export DEBIAN_FRONTEND=noninteractive
  # Package lists are empty on fresh images; stale ones make the download 404: update then.
  if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -print -quit)" ]; then
    $sudo apt-get update -qq </dev/null
  fi
  if ! $sudo apt-get install -y -qq --no-install-recommends chromium fonts-liberation </dev/null; then
    $sudo apt-get update -qq </dev/null
    $sudo apt-get install -y -qq --no-install-recommends chromium fonts-liberation </dev/null
  fi
  [ -x "$chromium" ] || die "apt-get install chromium did not install $chromium"
}

ensure_venv
ensure_node_modules
ensure_tslab_patch
ensure_api_stub
ensure_build
ensure_labextension
ensure_kernelspecs
ensure_labextension_link
ensure_nbx_command
if $ui_tests; then
  ensure_chromium
fi
step "setup done in ${SECONDS}s"
