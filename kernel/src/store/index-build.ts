/**
 * Builds the stored form of the runs index: one Arrow table, latest run first, with the
 * public columns (see index-columns) and hidden `_` columns that let the next refresh
 * work incrementally: the stat of each `meta.json` (`_mtime`, `_size`, `_ino`), the
 * runner's pid, start token and host (`_pid`, `_pidStart`, `_host`, for the effective
 * status), and for a flag/attribute column of mixed types the kind of each value
 * (`_kind=<flag>`, see index-typed).
 *
 * Rows are gathered column by column in "source order": first the rows kept from the
 * previous table (copied from its columns, never re-read from disk), then the runs read
 * now, each folded into the columns as soon as it is parsed (so nothing of the parsed
 * meta.json outlives its row). `toTable` sorts and writes the Arrow vectors.
 */
import { arrow, type Table, type Vector } from './index-arrow';
import {
  cellReader,
  dictionaryVector,
  float64Vector,
  numberReader,
  numbersVector,
  parseScalarColumn,
  SCALAR_STATS,
  scalarColumnName,
  vectorOf,
  type CellValue,
  type ColumnKind
} from './index-columns';
import { kindColumnName, TypedColumns, typedVector, type ITypedColumn } from './index-typed';
import type { IndexFields } from './index-meta';
import { RUN_STATUSES } from './meta';

/** Version of the stored layout; a cache of another version is rebuilt. */
export const INDEX_FORMAT_VERSION = '4';

/** Schema metadata keys. */
export const META_VERSION = 'nbx.index.version';
export const META_SKIPPED = 'nbx.index.skipped';
/** Field metadata key holding the column's `ColumnKind`. */
export const META_KIND = 'nbx.kind';

/** Hidden columns (not part of the public table). */
export const HIDDEN = {
  mtime: '_mtime',
  size: '_size',
  ino: '_ino',
  pid: '_pid',
  pidStart: '_pidStart',
  host: '_host'
} as const;

/** The identity of a `meta.json` version: a changed file differs in one of these. */
export interface IMetaStat {
  mtimeMs: number;
  size: number;
  /** Atomic replacement (rename) gives every version a new inode. */
  ino: number;
}

/** True when two stats describe the same version of a file. */
export function sameStat(a: IMetaStat, b: IMetaStat): boolean {
  return a.mtimeMs === b.mtimeMs && a.size === b.size && a.ino === b.ino;
}

/** A run directory whose meta.json could not be used, remembered with the stat it had. */
export interface ISkippedRun {
  id: string;
  stat: IMetaStat;
  reason: string;
}

/** Stored columns with plain cells (everything but flags, attrs and scalars). */
const PLAIN: [string, ColumnKind][] = [
  ['id', 'string'],
  ['notebook', 'string'],
  ['status', 'string'],
  ['label', 'string'],
  ['tags', 'list'],
  ['created', 'time'],
  ['started', 'time'],
  ['stopped', 'time'],
  ['kind', 'string'],
  ['parent', 'string'],
  ['slurm', 'string'],
  [HIDDEN.mtime, 'number'],
  [HIDDEN.size, 'number'],
  [HIDDEN.ino, 'number'],
  [HIDDEN.pid, 'number'],
  [HIDDEN.pidStart, 'string'],
  [HIDDEN.host, 'string']
];

/** Core columns end here; flags, attrs and scalars come next, hidden columns last. */
const CORE_COUNT = 11;

const ISO_UTC = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{3})Z$/;

/**
 * Milliseconds of an ISO 8601 time, or null. The engine's own `toISOString()` form is
 * read directly (several times faster than `Date.parse` over 10,000s of runs).
 */
export function time(iso: string | null): number | null {
  if (!iso) {
    return null;
  }
  const m = ISO_UTC.exec(iso);
  const ms = m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], +m[7]) : Date.parse(iso);
  return Number.isFinite(ms) ? ms : null;
}

function finite(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** The three columns of one scalar key while they fill. */
interface IScalarColumns {
  values: Float64Array[];
  valid: Uint8Array[];
}

/** Rows of the next stored table, gathered column by column (see the module comment). */
export class IndexBuilder {
  private readonly n: number;
  /** Text and list columns. */
  private readonly plain = new Map<string, CellValue[]>();
  /** Number and time columns, NaN for null (no boxed numbers: 10,000s of rows). */
  private readonly nums = new Map<string, Float64Array>();
  private readonly flags: TypedColumns;
  private readonly attrs: TypedColumns;
  private readonly scalars = new Map<string, IScalarColumns>();
  private readonly recentKeys: string[] = [];
  private readonly recentColumns: IScalarColumns[] = [];
  private readonly used: Uint8Array;

  /** Room for `capacity` rows (kept + read). */
  constructor(capacity: number) {
    this.n = capacity;
    for (const [name, kind] of PLAIN) {
      if (kind === 'number' || kind === 'time') {
        this.nums.set(name, new Float64Array(capacity).fill(NaN));
      } else {
        this.plain.set(name, new Array<CellValue>(capacity).fill(null));
      }
    }
    this.flags = new TypedColumns(capacity);
    this.attrs = new TypedColumns(capacity);
    this.used = new Uint8Array(capacity);
  }

  private set(name: string, row: number, value: CellValue): void {
    const nums = this.nums.get(name);
    if (nums) {
      nums[row] = typeof value === 'number' ? value : NaN;
    } else {
      (this.plain.get(name) as CellValue[])[row] = value;
    }
  }

  private scalarColumns(key: string): IScalarColumns {
    let c = this.scalars.get(key);
    if (!c) {
      c = {
        values: SCALAR_STATS.map(() => new Float64Array(this.n)),
        valid: SCALAR_STATS.map(() => new Uint8Array((this.n + 7) >> 3))
      };
      this.scalars.set(key, c);
    }
    return c;
  }

  private setScalar(c: IScalarColumns, k: number, row: number, value: number | null): void {
    if (value !== null) {
      c.values[k][row] = value;
      c.valid[k][row >> 3] |= 1 << (row & 7);
    }
  }

  /** Copies `rows` of the previous stored table into rows 0.. of this one. */
  keep(previous: Table, rows: readonly number[]): void {
    for (const [name, kind] of PLAIN) {
      const vector = previous.getChild(name);
      if (!vector) {
        continue;
      }
      const read = cellReader(vector, kind);
      rows.forEach((r, i) => this.set(name, i, read(r)));
    }
    rows.forEach((_, i) => {
      this.used[i] = 1;
    });
    for (const field of previous.schema.fields) {
      const sigil = field.name[0];
      const vector = previous.getChild(field.name);
      if ((sigil !== '=' && sigil !== '.') || !vector) {
        continue;
      }
      const kind = (field.metadata.get(META_KIND) ?? 'string') as ColumnKind;
      const kinds = previous.getChild(kindColumnName(field.name));
      (sigil === '=' ? this.flags : this.attrs).copy(
        field.name.slice(1),
        kind,
        rows,
        cellReader(vector, kind),
        kinds ? row => Number(kinds.get(row)) : null
      );
    }
    for (const field of previous.schema.fields) {
      const scalar = parseScalarColumn(field.name);
      const vector = previous.getChild(field.name);
      if (!scalar || !vector) {
        continue;
      }
      const k = SCALAR_STATS.indexOf(scalar.stat);
      const c = this.scalarColumns(scalar.key);
      const read = numberReader(vector);
      rows.forEach((r, i) => this.setScalar(c, k, i, read(r)));
    }
  }

  /** Folds a freshly read run into row `row`. */
  add(row: number, id: string, meta: IndexFields, stat: IMetaStat): void {
    this.set('id', row, id);
    this.set('notebook', row, meta.notebookName);
    this.set('status', row, meta.status);
    this.set('label', row, meta.label);
    this.set('tags', row, meta.tags);
    this.set('created', row, time(meta.created));
    this.set('started', row, time(meta.started));
    this.set('stopped', row, time(meta.stopped));
    this.set('kind', row, meta.kind);
    this.set('parent', row, meta.parent);
    this.set('slurm', row, meta.slurm);
    this.set(HIDDEN.mtime, row, stat.mtimeMs);
    this.set(HIDDEN.size, row, stat.size);
    this.set(HIDDEN.ino, row, stat.ino);
    this.set(HIDDEN.pid, row, meta.pid);
    this.set(HIDDEN.pidStart, row, meta.pidStart);
    this.set(HIDDEN.host, row, meta.host);
    this.flags.add(row, meta.flags);
    this.attrs.add(row, meta.attrs);
    const scalars = meta.scalars;
    let k = 0;
    for (const key in scalars) {
      const summary: unknown = scalars[key];
      if (typeof summary !== 'object' || summary === null) {
        continue;
      }
      // Runs of a notebook log the same keys in the same order: try the previous run's.
      let c: IScalarColumns;
      if (this.recentKeys[k] === key) {
        c = this.recentColumns[k];
      } else {
        c = this.scalarColumns(key);
        this.recentKeys[k] = key;
        this.recentColumns[k] = c;
      }
      k++;
      const { last, min, max, lastStep } = summary as Record<string, unknown>;
      this.setScalar(c, 0, row, finite(last));
      this.setScalar(c, 1, row, finite(min));
      this.setScalar(c, 2, row, finite(max));
      this.setScalar(c, 3, row, finite(lastStep));
    }
    this.used[row] = 1;
  }

  /** The rows in use, latest first (by created, then id, both descending). */
  private order(): Int32Array {
    const ids = this.plain.get('id') as CellValue[];
    const created = (this.nums.get('created') as Float64Array).map(ms =>
      Number.isNaN(ms) ? -Infinity : ms
    );
    const rows: number[] = [];
    for (let row = 0; row < this.n; row++) {
      if (this.used[row]) {
        rows.push(row);
      }
    }
    rows.sort((a, b) => {
      const ca = created[a];
      const cb = created[b];
      if (ca !== cb) {
        return ca < cb ? 1 : -1;
      }
      const ia = String(ids[a]);
      const ib = String(ids[b]);
      return ia < ib ? 1 : ia > ib ? -1 : 0;
    });
    return Int32Array.from(rows);
  }

  /** The stored table, remembering `skipped` runs in its metadata. */
  toTable(skipped: readonly ISkippedRun[]): Table {
    const order = this.order();
    const fields: InstanceType<typeof arrow.Field>[] = [];
    const vectors: Vector[] = [];
    const add = (name: string, kind: ColumnKind, vector: Vector): void => {
      fields.push(new arrow.Field(name, vector.type, true, new Map([[META_KIND, kind]])));
      vectors.push(vector);
    };
    const gather = (cells: CellValue[]): CellValue[] => {
      const out = new Array<CellValue>(order.length);
      for (let i = 0; i < order.length; i++) {
        out[i] = cells[order[i]];
      }
      return out;
    };
    const plain = (name: string, kind: ColumnKind): void => {
      const nums = this.nums.get(name);
      if (nums) {
        const values = new Float64Array(order.length);
        for (let i = 0; i < order.length; i++) {
          values[i] = nums[order[i]];
        }
        add(name, kind, numbersVector(kind, values));
        return;
      }
      const cells = gather(this.plain.get(name) as CellValue[]);
      // The status is dictionary-encoded, so the effective status is a cheap patch.
      const vector =
        name === 'status'
          ? dictionaryVector(cells as (string | null)[], RUN_STATUSES)
          : vectorOf(kind, cells);
      add(name, kind, vector);
    };
    PLAIN.slice(0, CORE_COUNT).forEach(([name, kind]) => plain(name, kind));
    const hidden: [string, Vector][] = [];
    // Columns come in the order the runs list them: the newest run's flags (in its own
    // order), then flags only older runs have; the same for attributes and scalar keys.
    const firstUse = (isSet: (row: number) => boolean): number => {
      for (let i = 0; i < order.length; i++) {
        if (isSet(order[i])) {
          return i;
        }
      }
      return Infinity;
    };
    const byFirstUse = <T>(items: [T, number][]): T[] =>
      items.sort((a, b) => a[1] - b[1]).map(([item]) => item);
    for (const [sigil, typed] of [
      ['=', this.flags],
      ['.', this.attrs]
    ] as const) {
      const names = byFirstUse(
        [...typed.columns].map(([name, { cells }]): [string, number] => [
          name,
          firstUse(row => cells[row] !== null)
        ])
      );
      for (const name of names) {
        const column = typed.columns.get(name) as ITypedColumn;
        if (column.kind === 'null') {
          continue; // no run has a value for it (any more)
        }
        const { vector, kinds } = typedVector(column, order, vectorOf);
        add(`${sigil}${name}`, column.kind, vector);
        if (kinds) {
          hidden.push([kindColumnName(`${sigil}${name}`), kinds]);
        }
      }
    }
    const keys = byFirstUse(
      [...this.scalars].map(([key, c]): [string, number] => [
        key,
        firstUse(row => c.valid.some(v => (v[row >> 3] & (1 << (row & 7))) !== 0))
      ])
    );
    for (const key of keys) {
      const c = this.scalars.get(key) as IScalarColumns;
      const columns = SCALAR_STATS.map((stat, k) => {
        const values = new Float64Array(order.length);
        const valid = new Uint8Array((order.length + 7) >> 3);
        const from = c.values[k];
        const fromValid = c.valid[k];
        let count = 0;
        for (let i = 0; i < order.length; i++) {
          const row = order[i];
          if (fromValid[row >> 3] & (1 << (row & 7))) {
            values[i] = from[row];
            valid[i >> 3] |= 1 << (i & 7);
            count++;
          }
        }
        return { name: scalarColumnName(key, stat), values, valid, count };
      });
      // A key no remaining run has is dropped.
      if (columns.some(col => col.count > 0)) {
        for (const col of columns) {
          add(col.name, 'number', float64Vector(col.values, col.valid, order.length - col.count));
        }
      }
    }
    PLAIN.slice(CORE_COUNT).forEach(([name, kind]) => plain(name, kind));
    for (const [name, vector] of hidden) {
      add(name, 'number', vector);
    }
    const schema = new arrow.Schema(
      fields,
      new Map([
        [META_VERSION, INDEX_FORMAT_VERSION],
        [META_SKIPPED, JSON.stringify(skipped)]
      ])
    );
    const data = arrow.makeData({
      type: new arrow.Struct(schema.fields),
      length: order.length,
      nullCount: 0,
      children: vectors.map(v => v.data[0])
    });
    return new arrow.Table([new arrow.RecordBatch(schema, data)]);
  }
}
