/**
 * Which Arrow the tables handed to notebook code (`nbx.runs()`, `nbx.scalars()`) belong to.
 *
 * The engine builds tables with its own Arrow instance (store/index-arrow: a single-file
 * build), not the module a notebook's `import { Table } from 'apache-arrow'` loads. Arrow
 * 21 recognises its tables across copies of itself, but a notebook's project may hold
 * another version, whose classes need not read this one's objects. So a table crosses as
 * Arrow IPC bytes, which every version reads, and is read back by the `apache-arrow` the
 * notebook itself imports — resolved from the kernel's working directory, as tslab
 * resolves imports — or, when the notebook has none, by the one nbx depends on (the same
 * copy `sweep.done()` tables come from). For 10,000 runs × 123 columns the round trip
 * adds ~20 ms.
 */
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type * as Arrow from 'apache-arrow';

import { arrow, type Table } from '../store/index-arrow';
import type { INbxTable } from './notebook-table';

/**
 * The `apache-arrow` module `import 'apache-arrow'` loads in a notebook whose kernel works
 * in `cwd`, else the one nbx depends on.
 */
export function notebookArrow(cwd: string = process.cwd()): typeof Arrow {
  try {
    return createRequire(path.join(cwd, 'notebook.js'))('apache-arrow') as typeof Arrow;
  } catch {
    // The notebook has no Arrow of its own.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('apache-arrow') as typeof Arrow;
  }
}

/** `table` (built by the engine's Arrow) as a table of the notebook's Arrow. */
export function notebookTable(table: Table, cwd?: string): INbxTable {
  const ipc = arrow.tableToIPC(table, 'stream');
  return notebookArrow(cwd).tableFromIPC(ipc) as unknown as INbxTable;
}
