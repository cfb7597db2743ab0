/**
 * Finding completed runs of a notebook, latest first, through the runs index: its
 * notebook-name and status columns narrow the runs down, so only the records of likely
 * matches are read (a run dependency or `--needed` looks at a handful of records however
 * many runs the root holds).
 */
import * as path from 'node:path';

import { loadRunsIndex } from './index';
import type { RunMeta } from './meta';
import { RunDir } from './run-dir';

/**
 * The latest completed run (a plain run, not a batch or pipeline) of the notebook at
 * `notebookPath` under `root` for which `accept` holds, or null.
 */
export function latestCompletedRun(
  root: string,
  notebookPath: string,
  accept: (meta: RunMeta) => boolean = () => true
): RunMeta | null {
  const index = loadRunsIndex(root);
  const name = path.basename(notebookPath);
  for (let row = 0, n = index.numRows; row < n; row++) {
    if (
      index.value(row, 'notebook') !== name ||
      index.value(row, 'status') !== 'completed' ||
      (index.value(row, 'kind') ?? 'run') !== 'run'
    ) {
      continue;
    }
    let meta: RunMeta;
    try {
      meta = new RunDir(root, index.id(row)).readMeta();
    } catch {
      continue; // removed or broken since the index was read
    }
    if (meta.notebook === notebookPath && meta.status === 'completed' && accept(meta)) {
      return meta;
    }
  }
  return null;
}
