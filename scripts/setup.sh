#!/usr/bin/env bash
# Sets up this checkout for development, tests and the examples:
#   .venv/                  Python venv with jupyterlab==4.6.4 and ipykernel (from PyPI)
#   node_modules/           npm ci, when missing or older than package-lock.json
#   kernel/lib/             the engine build (npm run build), when kernel/src changed
#   .venv/share/jupyter/    kernelspecs tslab, jslab and python3 with absolute argv[0]
# Idempotent: each step is skipped when its result is already in place.
# PYTHON (default python3) is the interpreter a new .venv is created with.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
venv=$root/.venv
venv_python=$venv/bin/python
kernels=$venv/share/jupyter/kernels
tslab_bin=$root/node_modules/.bin/tslab
jupyterlab_version=4.6.4
build_stamp=kernel/lib/.build-stamp

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
  "$venv_python" -m pip install --quiet --disable-pip-version-check \
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

ensure_build() {
  if [ -f "$build_stamp" ] &&
    [ -z "$(find kernel/src kernel/tsconfig.json node_modules/.package-lock.json -newer "$build_stamp" -print -quit)" ]; then
    step "build: kernel/lib is up to date with kernel/src"
    return
  fi
  step "build: npm run build"
  # Dated before the build, so a source saved while tsc runs still counts as newer.
  mkdir -p kernel/lib
  touch "$build_stamp.next"
  npm run --silent build
  mv -f "$build_stamp.next" "$build_stamp"
}

# argv[0] of an installed kernelspec, or nothing when it is missing or unreadable.
spec_argv0() {
  node -p 'try { JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).argv[0] } catch { "" }' \
    "$kernels/$1/kernel.json"
}

tslab_specs_ok() { [ "$(spec_argv0 tslab)" = "$tslab_bin" ] && [ "$(spec_argv0 jslab)" = "$tslab_bin" ]; }
python_spec_ok() { [ "$(spec_argv0 python3)" = "$venv_python" ]; }

ensure_kernelspecs() {
  if tslab_specs_ok; then
    step "kernelspecs: tslab and jslab in .venv"
  else
    step "kernelspecs: tslab install --prefix .venv"
    "$tslab_bin" install --prefix "$venv" --python "$venv_python" --binary "$tslab_bin" >/dev/null
    tslab_specs_ok || die "tslab install did not write $kernels/{tslab,jslab}/kernel.json with argv[0] $tslab_bin"
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

ensure_venv
ensure_node_modules
ensure_build
ensure_kernelspecs
step "setup done in ${SECONDS}s"
