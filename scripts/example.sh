#!/usr/bin/env bash
# The main job (`npm run example`): run examples/train.ipynb as a tracked experiment.
# Arguments go to `nbx run`, e.g. `npm run example -- lr=0.1 epochs=3`.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh

echo "==> nbx run examples/train.ipynb $*"
exec node kernel/bin/nbx.js run examples/train.ipynb "$@"
