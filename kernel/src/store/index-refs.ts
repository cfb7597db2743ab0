/**
 * RUN references resolved against the runs index: an index (`3`, the position in the
 * latest-first list) or a range of them (`1:5`) is looked up in the index without reading
 * any meta.json; anything else goes through `resolveRunRef` (full id, unique prefix).
 */
import { UserError } from '../base/errors';
import type { RunsIndex } from './index';
import type { RunDir } from './run-dir';
import { resolveRunRef, RunNotFoundError } from './runs';

/**
 * Rows of `index` for `refs`, in the order given, without duplicates. `A:B` is the range
 * of list positions A to B (both included; either may be left out). Throws a one-line
 * UserError for a reference that matches several runs, and for one that matches no run
 * unless `onMissing` is given: then that reference is passed to it and left out (a run
 * deleted since a panel listed it).
 */
export function resolveIndexRefs(
  index: RunsIndex,
  refs: readonly string[],
  onMissing?: (ref: string) => void
): number[] {
  const rows: number[] = [];
  const seen = new Set<number>();
  let byId: Map<string, number> | null = null;
  const add = (row: number): void => {
    if (!seen.has(row)) {
      seen.add(row);
      rows.push(row);
    }
  };
  for (const raw of refs) {
    const ref = raw.trim();
    const range = /^(\d*):(\d*)$/.exec(ref);
    if (range) {
      const from = range[1] === '' ? 1 : Number(range[1]);
      const to = range[2] === '' ? index.numRows : Math.min(Number(range[2]), index.numRows);
      if (from < 1 || from > to) {
        throw new UserError(`no runs in range '${ref}' (there are ${index.numRows})`);
      }
      for (let n = from; n <= to; n++) {
        add(n - 1);
      }
      continue;
    }
    if (/^\d+$/.test(ref) && Number(ref) >= 1 && Number(ref) <= index.numRows) {
      add(Number(ref) - 1);
      continue;
    }
    let run: RunDir;
    try {
      run = resolveRunRef(index.root, ref);
    } catch (err) {
      if (onMissing && err instanceof RunNotFoundError) {
        onMissing(raw);
        continue;
      }
      throw err;
    }
    if (byId === null) {
      byId = new Map();
      for (let row = 0, n = index.numRows; row < n; row++) {
        byId.set(index.id(row), row);
      }
    }
    const row = byId.get(run.id);
    if (row === undefined) {
      run.readMeta(); // throws the reason, naming the file
      throw new UserError(`run ${run.id.slice(0, 8)} has no usable meta.json (see nbx runs)`);
    }
    add(row);
  }
  return rows;
}
