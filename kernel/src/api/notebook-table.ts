/**
 * Tables handed to notebook code (`nbx.runs()`, `nbx.scalars()`).
 *
 * The engine builds tables with its own Arrow instance (store/index-arrow: a single-file
 * build), whose classes are not the ones a notebook's `import { Table } from 'apache-arrow'`
 * loads: that copy's `instanceof Table`, `tableToIPC` and `new Table(...)` would not take
 * them. So a table crosses as Arrow IPC bytes and is read back by the `apache-arrow` the
 * notebook itself imports — resolved from the kernel's working directory, as tslab
 * resolves imports — or, when the notebook has none, by the one nbx depends on (the same
 * copy `sweep.done()` tables come from).
 */
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type * as Arrow from 'apache-arrow';

import { arrow, type Table } from '../store/index-arrow';

/** A value in a table: numbers (times as ms since the epoch), text, booleans, null; a list as a column. */
export type TableCell = number | string | boolean | null | ITableColumn;

/** A row of a table by column name: `row.id`, `row['=lr']`, `row['#loss']`. */
export type TableRow = Readonly<Record<string, TableCell>>;

/** A column of a table (an apache-arrow `Vector`). */
export interface ITableColumn {
  readonly length: number;
  /** The value of row `index`. */
  get(index: number): TableCell;
  /** The values as Arrow stores them (a Float64Array for numbers: nulls read as 0). */
  toArray(): ArrayLike<TableCell>;
  /** The values, nulls kept. */
  toJSON(): TableCell[];
  [Symbol.iterator](): IterableIterator<TableCell>;
}

/**
 * An apache-arrow `Table`, typed by the parts a notebook uses (so that importing nbx does
 * not make tslab type-check all of Arrow's declarations); `import type { Table } from
 * 'apache-arrow'` and a cast give the full type.
 */
export interface INbxTable {
  readonly numRows: number;
  readonly numCols: number;
  /** The columns' names, Arrow types and metadata (`nbx.kind` on runs-index fields). */
  readonly schema: {
    readonly fields: readonly {
      readonly name: string;
      readonly type: object;
      readonly metadata: ReadonlyMap<string, string>;
    }[];
    readonly metadata: ReadonlyMap<string, string>;
  };
  /** The rows, for `console.table(t.toArray())` or `t.toArray().map(r => r['#loss'])`. */
  toArray(): TableRow[];
  /** A column by name (`t.getChild('#loss')`), or null. */
  getChild(name: string): ITableColumn | null;
  [Symbol.iterator](): IterableIterator<TableRow>;
  toString(): string;
}

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
