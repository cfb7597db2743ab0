/**
 * A sweep's trials as an Arrow table (the standard `apache-arrow` package's `Table`,
 * loaded on first use; typed as `ISweepTable`), one row per trial, in trial order:
 *
 * - `trial` (int32): the 1-based trial number; `id` (utf8): the trial's run id;
 *   `status` (utf8); `duration` (float64): seconds from start to stop, null if it never
 *   started or has not stopped;
 * - one column per flag shown (those given to the sweep, then any other that varies
 *   between trials), named as the flag (`=name` when the flag's name is one of the columns
 *   above): float64 for numbers, bool, utf8 for strings, and JSON text for lists or
 *   values of mixed types;
 * - one column per scalar key (not `sys/*`), `#key`, holding the key's last value
 *   (float64; null when the trial logged none), as `nbx compare` names them; the
 *   objective's key first, then by name.
 */
import type { DataType, Vector } from 'apache-arrow';

import type { JSONValue } from '../base/json';
import type { ISweepState } from '../scheduler/sweep-status';

/** A value in a sweep table: a number, a string, a boolean or null. */
export type SweepCell = number | string | boolean | null;

/** A row of a sweep table by column name: `row.lr`, `row['#loss']`, `row.status`. */
export type SweepRow = Readonly<Record<string, SweepCell>>;

/** A column of a sweep table (an apache-arrow `Vector`). */
export interface ISweepColumn {
  readonly length: number;
  /** The value of row `index`. */
  get(index: number): SweepCell;
  /** The values, nulls kept. */
  toJSON(): SweepCell[];
  /** The values as Arrow stores them (a Float64Array for numbers: nulls read as 0). */
  toArray(): ArrayLike<SweepCell>;
  [Symbol.iterator](): IterableIterator<SweepCell>;
}

/**
 * A sweep's trials: at run time the standard `apache-arrow` package's `Table`, typed here
 * by the parts a notebook uses (importing nbx must not make tslab type-check all of
 * Arrow's declarations; `import type { Table } from 'apache-arrow'` and a cast give the
 * full type where apache-arrow is installed).
 */
export interface ISweepTable {
  /** The number of trials. */
  readonly numRows: number;
  readonly numCols: number;
  /** The columns' names and Arrow types, in order. */
  readonly schema: { readonly fields: readonly { readonly name: string; readonly type: object }[] };
  /** The rows, for `console.table(t.toArray())` or `t.toArray().map(r => r['#loss'])`. */
  toArray(): SweepRow[];
  /** A column by name (`t.getChild('#loss')`), or null. */
  getChild(name: string): ISweepColumn | null;
  [Symbol.iterator](): IterableIterator<SweepRow>;
  /** The rows as text. */
  toString(): string;
}

type Arrow = typeof import('apache-arrow');

let loaded: Arrow | undefined;

/** The standard `apache-arrow` module, required on first use. */
function arrowModule(): Arrow {
  // Deferred: importing nbx must not load Arrow.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loaded ??= require('apache-arrow') as Arrow;
  return loaded;
}

/** The fixed columns, before the flags. */
export const CORE_COLUMNS: readonly string[] = ['trial', 'id', 'status', 'duration'];

/** The column name of flag `name`. */
export function flagColumn(name: string): string {
  return CORE_COLUMNS.includes(name) ? `=${name}` : name;
}

/** The column name of scalar `key` (its last value). */
export function scalarColumn(key: string): string {
  return `#${key}`;
}

function flagVector(arrow: Arrow, values: (JSONValue | undefined)[]): Vector {
  const present = values.filter((v): v is JSONValue => v !== undefined && v !== null);
  const all = (type: string): boolean => present.every(v => typeof v === type);
  const cells = values.map(v => (v === undefined ? null : v));
  if (present.length > 0 && all('number')) {
    return arrow.vectorFromArray(cells as (number | null)[], new arrow.Float64());
  }
  if (present.length > 0 && all('boolean')) {
    return arrow.vectorFromArray(cells as (boolean | null)[], new arrow.Bool());
  }
  if (all('string')) {
    return arrow.vectorFromArray(cells as (string | null)[], new arrow.Utf8());
  }
  return arrow.vectorFromArray(
    cells.map(v => (v === null ? null : JSON.stringify(v))),
    new arrow.Utf8()
  );
}

/** The table of the trials in `state`, with every non-`sys/` scalar key. */
export function sweepTable(state: ISweepState): ISweepTable {
  const arrow = arrowModule();
  const trials = state.trials;
  const columns: Record<string, Vector<DataType>> = {
    trial: arrow.vectorFromArray(
      trials.map(t => t.index),
      new arrow.Int32()
    ),
    id: arrow.vectorFromArray(
      trials.map(t => t.id),
      new arrow.Utf8()
    ),
    status: arrow.vectorFromArray(
      trials.map(t => t.status),
      new arrow.Utf8()
    ),
    duration: arrow.vectorFromArray(
      trials.map(t =>
        t.started !== null && t.stopped !== null ? Math.max(0, t.stopped - t.started) / 1000 : null
      ),
      new arrow.Float64()
    )
  };
  for (const name of state.flagNames) {
    columns[flagColumn(name)] = flagVector(
      arrow,
      trials.map(t => t.flags[name])
    );
  }
  const keys = new Set<string>();
  for (const t of trials) {
    Object.keys(t.scalars).forEach(k => keys.add(k));
  }
  const sorted = [...keys].filter(k => !k.startsWith('sys/')).sort();
  const objective = state.objective?.key;
  if (objective !== undefined && sorted.includes(objective)) {
    sorted.splice(sorted.indexOf(objective), 1);
    sorted.unshift(objective);
  }
  for (const key of sorted) {
    columns[scalarColumn(key)] = arrow.vectorFromArray(
      trials.map(t => {
        const v = t.scalars[key]?.last;
        return typeof v === 'number' ? v : null;
      }),
      new arrow.Float64()
    );
  }
  const table: ISweepTable = new arrow.Table(columns);
  return table;
}
