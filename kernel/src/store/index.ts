/**
 * The runs index: every run under a runs root as one Apache Arrow table, latest first
 * (the order of `listRuns`, so row `i` is what `nbx runs` shows as `[i + 1]`).
 *
 * Columns: `id`, `notebook` (name), `status` (effective), `label`, `tags` (list of
 * strings), `created`/`started`/`stopped` (timestamp[ms]), `duration` (seconds, float,
 * null if not started; a run still going counts until now), `kind` (`run`, `batch` for
 * the parent run of a sweep, `pipeline` for a pipeline's), `parent` (the batch of a
 * trial, the pipeline of a step, else null), `slurm` (the Slurm job of a run submitted
 * there, as one line: see `slurmText`), `=<flag>` per flag (Float64,
 * Utf8, Bool; lists as JSON text; a flag with values of several types is Utf8), `.<attr>`
 * per `nbx.attr` value (typed like flags), and `#<key>`, `#<key>:min`, `#<key>:max`,
 * `#<key>:step` (the step of the last value) (Float64) per scalar key. Every field carries its `ColumnKind` as metadata `nbx.kind`.
 *
 * The table is cached in `<root>/cache/runs-index.arrow` and refreshed incrementally:
 * each `runs/<id>/meta.json` is stat'ed, only new or changed ones are read, deleted runs
 * are dropped. A corrupt meta.json is skipped with a warning (remembered by its stat, so
 * it is not re-read until it changes). The effective status is computed at every load,
 * and the liveness of the runner checked only for runs recorded as running or queued.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import type { JSONValue } from '../base/json';
import { arrow, type Table, type Vector } from './index-arrow';
import { HIDDEN, IndexBuilder, sameStat, type ISkippedRun } from './index-build';
import {
  isRunDir,
  problemOf,
  readIndexCache,
  readIndexCore,
  readMetaFile,
  scanRunDirs,
  scannedMetaPath,
  unstatedScan,
  writeIndexCache,
  writeIndexCore,
  type IMetaFile,
  type IRunScan
} from './index-cache';
import {
  cellReader,
  float64Vector,
  numberReader,
  parseScalarColumn,
  vectorOf,
  type CellValue,
  type ColumnFamily
} from './index-columns';
import { publicTable, tableOf, type IIndexColumn } from './index-public';
import { kindColumnName, restoreValue } from './index-typed';

export type { IIndexColumn } from './index-public';
export type { CellValue, ColumnFamily, ColumnKind } from './index-columns';
import { parseIndexFields } from './index-meta';
import { CorruptMetaError, type RunKind } from './meta';
import { runsDir } from './root';
import { isValidRunId } from './run-dir';

/** Options of `loadRunsIndex`. */
export interface ILoadRunsIndexOptions {
  /** Called with one line per run directory skipped (missing or corrupt meta.json). */
  onWarning?: (message: string) => void;
  /** Reads a meta.json with its stat (default `readMetaFile`; tests count reads with it). */
  readFile?: (file: string) => IMetaFile;
  /** Use and update the cache file (default true); false always reads every run. */
  cache?: boolean;
  /**
   * Index only these runs (full ids; those that name no run are left out), read from their
   * meta.json without the cache: e.g. the rows of runs that changed.
   */
  only?: readonly string[];
  /**
   * The core columns are enough (no flags, scalars or attributes): when the cache is
   * current, only its core copy is read, a tenth of the bytes with many flags and scalars.
   */
  coreOnly?: boolean;
  /** Host name runs are checked against for liveness (default `os.hostname()`). */
  hostname?: string;
  /** The clock for durations of runs still going (default `Date.now()`). */
  now?: number;
}

/** What a load did. */
export interface IRunsIndexStats {
  /** Runs in the index. */
  runs: number;
  /** meta.json files read (new or changed runs). */
  read: number;
  /** Runs taken from the cache unchanged. */
  reused: number;
  /** Cached runs dropped (deleted, or their meta.json became unusable). */
  removed: number;
  /** Run directories skipped with a warning. */
  skipped: number;
  /** `fresh`: the cache was current; `updated`: refreshed incrementally; `rebuilt`: no usable cache. */
  cache: 'fresh' | 'updated' | 'rebuilt';
  /** The cache file was (re)written. */
  written: boolean;
}

/** One run as a plain object (`RunsIndex.toRow`). */
export interface IRunsIndexRow {
  /** 1-based position in the latest-first list (what `nbx show N` takes). */
  index: number;
  id: string;
  notebook: string;
  status: string;
  label: string | null;
  tags: string[];
  /** ISO 8601 times. */
  created: string | null;
  started: string | null;
  stopped: string | null;
  /** Seconds. */
  duration: number | null;
  /** `run`, `batch` for the parent run of a sweep, `pipeline` for a pipeline's. */
  kind: RunKind;
  /** The batch of a trial, the pipeline of a step, else null. */
  parent: string | null;
  /** The Slurm job of a run submitted there, as one line (`4242 · gpu · node01`), else null. */
  slurm: string | null;
  flags: Record<string, JSONValue>;
  attrs: Record<string, JSONValue>;
  scalars: Record<string, { last: number | null; min: number | null; max: number | null }>;
}

/** The kind a `kind` cell names (`run` for none or an unknown one). */
function runKind(text: string | null): RunKind {
  return text === 'batch' || text === 'pipeline' ? text : 'run';
}

/** The loaded index: the public Arrow table and handy access to its rows. */
export class RunsIndex {
  /** The runs root it indexes. */
  readonly root: string;
  /** Public columns, one row per run, latest first. */
  readonly table: Table;
  readonly stats: IRunsIndexStats;
  /** Columns of `table`, in order. */
  readonly columns: readonly IIndexColumn[];
  private readonly stored: Table;
  private readonly byName = new Map<string, IIndexColumn>();
  private readonly readers = new Map<string, (row: number) => CellValue>();

  constructor(root: string, stored: Table, stats: IRunsIndexStats, hostname: string, now: number) {
    this.root = root;
    this.stored = stored;
    this.stats = stats;
    const { table, columns } = publicTable(stored, hostname, now);
    this.table = table;
    this.columns = columns;
    for (const column of columns) {
      this.byName.set(column.name, column);
    }
  }

  /** Number of runs. */
  get numRows(): number {
    return this.table.numRows;
  }

  /** The column named `name` (exactly as in the table), if any. */
  column(name: string): IIndexColumn | undefined {
    return this.byName.get(name);
  }

  /** Names of the columns of one family, in table order. */
  names(family: ColumnFamily): string[] {
    return this.columns.filter(c => c.family === family).map(c => c.name);
  }

  /** A fast reader of one column's cells (throws for an unknown column). */
  reader(name: string): (row: number) => CellValue {
    let reader = this.readers.get(name);
    if (!reader) {
      const column = this.byName.get(name);
      const vector = this.table.getChild(name);
      if (!column || !vector) {
        throw new Error(`no column ${name} in the runs index`);
      }
      reader = cellReader(vector, column.kind);
      this.readers.set(name, reader);
    }
    return reader;
  }

  /** The cell of `row` in column `name`. */
  value(row: number, name: string): CellValue {
    return this.reader(name)(row);
  }

  /** The run id of `row`. */
  id(row: number): string {
    return String(this.value(row, 'id'));
  }

  /** The row of run `id`, or -1. */
  rowOf(id: string): number {
    const read = this.reader('id');
    for (let row = 0, n = this.numRows; row < n; row++) {
      if (read(row) === id) {
        return row;
      }
    }
    return -1;
  }

  /** The flags of `row` with their JSON values (flags without a value are left out). */
  flags(row: number): Record<string, JSONValue> {
    return this.values('flag', row);
  }

  /** The `nbx.attr` values of `row`. */
  attrs(row: number): Record<string, JSONValue> {
    return this.values('attr', row);
  }

  /** `row` as a plain object. */
  toRow(row: number): IRunsIndexRow {
    const iso = (name: string): string | null => {
      const ms = this.value(row, name);
      return typeof ms === 'number' ? new Date(ms).toISOString() : null;
    };
    const text = (name: string): string | null => {
      const value = this.value(row, name);
      return typeof value === 'string' ? value : null;
    };
    const scalars: IRunsIndexRow['scalars'] = {};
    for (const name of this.names('scalar')) {
      const scalar = parseScalarColumn(name);
      const value = this.value(row, name);
      if (!scalar || scalar.stat === 'step' || typeof value !== 'number') {
        continue;
      }
      const entry = (scalars[scalar.key] ??= { last: null, min: null, max: null });
      entry[scalar.stat] = value;
    }
    const tags = this.value(row, 'tags');
    const duration = this.value(row, 'duration');
    return {
      index: row + 1,
      id: this.id(row),
      notebook: text('notebook') ?? '',
      status: text('status') ?? '',
      label: text('label'),
      tags: Array.isArray(tags) ? tags : [],
      created: iso('created'),
      started: iso('started'),
      stopped: iso('stopped'),
      duration: typeof duration === 'number' ? duration : null,
      kind: runKind(text('kind')),
      parent: text('parent'),
      slurm: text('slurm'),
      flags: this.flags(row),
      attrs: this.attrs(row),
      scalars
    };
  }

  /**
   * A new Arrow table with `rows` (row numbers, in that order) and `columns` (names of
   * public columns, in that order). Field metadata (`nbx.kind`) is kept.
   */
  select(rows: readonly number[], columns: readonly string[]): Table {
    const identity = rows.length === this.numRows && rows.every((r, i) => r === i);
    const fields: InstanceType<typeof arrow.Field>[] = [];
    const vectors: Vector[] = [];
    for (const name of columns) {
      const column = this.byName.get(name);
      const source = this.table.getChild(name);
      const field = this.table.schema.fields.find(f => f.name === name);
      if (!column || !source || !field) {
        throw new Error(`no column ${name} in the runs index`);
      }
      const count = vectors.length;
      if (identity) {
        vectors.push(source);
      } else if (column.kind === 'number') {
        const read = numberReader(source);
        const values = new Float64Array(rows.length);
        const valid = new Uint8Array((rows.length + 7) >> 3);
        let nulls = 0;
        rows.forEach((r, i) => {
          const v = read(r);
          if (v === null) {
            nulls++;
          } else {
            values[i] = v;
            valid[i >> 3] |= 1 << (i & 7);
          }
        });
        vectors.push(float64Vector(values, valid, nulls));
      } else {
        const read = this.reader(name);
        vectors.push(
          vectorOf(
            column.kind,
            rows.map(r => read(r))
          )
        );
      }
      // A rebuilt column may have another type than the stored one (the dictionary-encoded
      // status becomes plain Utf8): the field must say what the data is.
      const type = vectors[count].type;
      fields.push(
        type.typeId === field.type.typeId
          ? field
          : new arrow.Field(name, type, field.nullable, field.metadata)
      );
    }
    return tableOf(fields, vectors, rows.length);
  }

  /**
   * Arrow IPC bytes of the public table, or of a selection (see `select`); `format` is
   * `file` (random access, the default) or `stream`. Handy for sending the index over a
   * comm without touching Arrow.
   */
  toIPC(
    rows?: readonly number[],
    columns?: readonly string[],
    format: 'file' | 'stream' = 'file'
  ): Uint8Array {
    const table =
      rows === undefined && columns === undefined
        ? this.table
        : this.select(
            rows ?? Array.from({ length: this.numRows }, (_, i) => i),
            columns ?? this.columns.map(c => c.name)
          );
    return arrow.tableToIPC(table, format);
  }

  private values(family: 'flag' | 'attr', row: number): Record<string, JSONValue> {
    const out: Record<string, JSONValue> = {};
    for (const column of this.columns) {
      if (column.family !== family) {
        continue;
      }
      const cell = this.value(row, column.name);
      if (cell !== null) {
        const code: unknown = this.stored.getChild(kindColumnName(column.name))?.get(row);
        out[column.name.slice(1)] = restoreValue(cell, column.kind, Number(code ?? 0));
      }
    }
    return out;
  }
}

/**
 * Loads the runs index of `root`, refreshing its cache (see the module comment). Never
 * throws for a bad run or a bad cache; returns an empty index when there are no runs.
 */
export function loadRunsIndex(root: string, options: ILoadRunsIndexOptions = {}): RunsIndex {
  const only = options.only;
  const useCache = options.cache !== false && only === undefined;
  const readFile = options.readFile ?? readMetaFile;
  const warn = (id: string, why: string): void =>
    options.onWarning?.(`skipping run ${path.join(root, 'runs', id)}: ${why}`);
  const core = useCache && options.coreOnly === true ? readIndexCore(root) : null;
  const cached = core ?? (useCache ? readIndexCache(root) : null);
  // Every meta.json is stat'ed against the cache, so any change shows (an edit by hand
  // too); without a cache every run is read anyway, and the stat comes with the read.
  const scanned = only ? onlyRuns(root, only) : scanRunDirs(root, cached !== null);

  const cachedRows = new Map<string, number>();
  const cachedStat = cached ? statReaders(cached.table) : null;
  if (cached) {
    const idVector = cached.table.getChild('id');
    const ids = idVector ? cellReader(idVector, 'string') : () => null;
    for (let row = 0, n = cached.table.numRows; row < n; row++) {
      const id = ids(row);
      if (typeof id === 'string') {
        cachedRows.set(id, row);
      }
    }
  }
  const cachedSkips = new Map((cached?.skipped ?? []).map(s => [s.id, s]));

  const keep: number[] = [];
  /** Runs to read: their position in the scan. */
  const toRead: number[] = [];
  const skipped: ISkippedRun[] = [];
  let warned = 0;
  let skipsReused = 0;
  // Said once it is known that this load is the one that answers (see coreOnly below).
  const scanWarnings: [string, string][] = [];
  const { ids, mtimeMs, size, ino, problems } = scanned;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    const problem = problems.get(i);
    if (problem !== undefined) {
      scanWarnings.push([id, problem]);
      warned++;
      continue;
    }
    if (Number.isNaN(mtimeMs[i])) {
      toRead.push(i);
      continue;
    }
    const row = cachedRows.get(id);
    if (row !== undefined && cachedStat && cachedStat(row, mtimeMs[i], size[i], ino[i])) {
      keep.push(row);
      continue;
    }
    const skip = cachedSkips.get(id);
    if (skip && sameStat(skip.stat, { mtimeMs: mtimeMs[i], size: size[i], ino: ino[i] })) {
      scanWarnings.push([id, skip.reason]);
      warned++;
      skipped.push(skip);
      skipsReused++;
      continue;
    }
    toRead.push(i);
  }

  const removed = cached ? cached.table.numRows - keep.length : 0;
  const unchanged =
    cached !== null &&
    toRead.length === 0 &&
    removed === 0 &&
    skipsReused === cached.skipped.length;
  if (core && !unchanged) {
    // Something changed: the update needs every column, from the full cache file.
    return loadRunsIndex(root, { ...options, coreOnly: false });
  }
  for (const [id, why] of scanWarnings) {
    warn(id, why);
  }
  let stored: Table;
  let written = false;
  if (unchanged) {
    stored = cached.table;
    if (options.coreOnly && !core) {
      // The core file was missing or stale: the next listing finds it again.
      writeIndexCore(root, stored, cached.stamp);
    }
  } else {
    const builder = new IndexBuilder(keep.length + toRead.length);
    if (cached) {
      builder.keep(cached.table, keep);
    }
    let row = keep.length;
    for (const i of toRead) {
      const run = { id: ids[i], metaPath: scannedMetaPath(scanned, i) };
      let file: IMetaFile;
      try {
        file = readFile(run.metaPath);
      } catch (err) {
        if (isRunDir(path.dirname(run.metaPath), err)) {
          warn(run.id, problemOf(err));
          warned++;
        }
        continue;
      }
      try {
        const meta = parseIndexFields(file.text, run.metaPath);
        builder.add(row++, run.id, meta, file.stat);
      } catch (err) {
        const reason = err instanceof CorruptMetaError ? err.reason : String(err);
        warn(run.id, reason);
        warned++;
        skipped.push({ id: run.id, stat: file.stat, reason });
      }
    }
    stored = builder.toTable(skipped);
    // Listing an empty place must not create a runs root there.
    written = useCache && fs.existsSync(runsDir(root)) && writeIndexCache(root, stored);
  }
  const stats: IRunsIndexStats = {
    runs: stored.numRows,
    read: toRead.length,
    reused: keep.length,
    removed,
    skipped: warned,
    cache: unchanged ? 'fresh' : cached ? 'updated' : 'rebuilt',
    written
  };
  return new RunsIndex(
    root,
    stored,
    stats,
    options.hostname ?? os.hostname(),
    options.now ?? Date.now()
  );
}

/** The runs `ids` (valid ones, once each) as a scan would find them, not stat'ed. */
function onlyRuns(root: string, ids: readonly string[]): IRunScan {
  return unstatedScan(
    runsDir(root),
    [...new Set(ids)].filter(id => isValidRunId(id))
  );
}

/** A test of whether cached row `row` was read from a meta.json with this stat. */
function statReaders(
  table: Table
): (row: number, mtimeMs: number, size: number, ino: number) => boolean {
  const col = (name: string): ((row: number) => number | null) => {
    const vector = table.getChild(name);
    return vector ? numberReader(vector) : () => null;
  };
  const mtime = col(HIDDEN.mtime);
  const size = col(HIDDEN.size);
  const ino = col(HIDDEN.ino);
  return (row, mtimeMs, bytes, inode) =>
    mtime(row) === mtimeMs && size(row) === bytes && ino(row) === inode;
}
