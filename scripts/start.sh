#!/usr/bin/env bash
# `npm start`: sets everything up (scripts/setup.sh), then opens JupyterLab from .venv on
# examples/ with nbx installed (the extension, the tslab and Python kernels). Arguments go
# to `jupyter lab`, e.g. `npm start -- --no-browser --port 8890`.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh

args=(--ServerApp.root_dir=examples)
# JupyterLab refuses to run as root without it.
if [ "$(id -u)" -eq 0 ]; then
  args+=(--allow-root)
fi
echo "==> jupyter lab ${args[*]} $*"
# `!nbx ...` in notebooks.
export PATH="$PWD/kernel/bin/path:$PATH"
exec .venv/bin/jupyter lab "${args[@]}" "$@"
