#!/usr/bin/env bash
# `npm start`: sets everything up (scripts/setup.sh), then opens JupyterLab from .venv on
# examples/ with nbx installed (the extension, the tslab and Python kernels). Arguments go
# to `jupyter lab`, e.g. `npm start -- --port 8891 --no-browser` (default port: 8888, or
# the next free one).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh

args=(--ServerApp.root_dir=examples)
# JupyterLab refuses to run as root without it.
if [ "$(id -u)" -eq 0 ]; then
  args+=(--allow-root)
fi
echo "==> jupyter lab ${args[*]} $*"
# As `source .venv/bin/activate` would: `nbx` (linked there by the setup) for JupyterLab's
# terminals and `!nbx ...` in notebooks.
export PATH="$PWD/.venv/bin:$PATH"
exec .venv/bin/jupyter lab "${args[@]}" "$@"
