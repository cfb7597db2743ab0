#!/usr/bin/env bash
# Deletes build output whose TypeScript source is gone: tsc never deletes what it wrote,
# so a moved or deleted module would otherwise stay in kernel/lib/ or lib/, be loaded by a
# stale import and be shipped by `npm pack`. Usage: prune-build.sh OUT_DIR SRC_DIR
# (e.g. kernel/lib kernel/src). Generated code (OUT_DIR/base/generated/) is kept.
set -euo pipefail

out=${1:?usage: prune-build.sh OUT_DIR SRC_DIR}
src=${2:?usage: prune-build.sh OUT_DIR SRC_DIR}
[ -d "$out" ] || exit 0
pruned=0
while IFS= read -r -d '' file; do
  rel=${file#"$out"/}
  case $rel in
    base/generated/*) continue ;;
  esac
  stem=${rel%.map}
  stem=${stem%.js}
  stem=${stem%.d.ts}
  if ! [ -f "$src/$stem.ts" ] && ! [ -f "$src/$stem.tsx" ]; then
    rm -f "$file"
    pruned=$((pruned + 1))
  fi
done < <(find "$out" -type f \( -name '*.js' -o -name '*.d.ts' -o -name '*.js.map' -o -name '*.d.ts.map' \) -print0)
if [ "$pruned" -gt 0 ]; then
  printf '==> build: removed %d file(s) of %s whose source is gone\n' "$pruned" "$out"
fi
