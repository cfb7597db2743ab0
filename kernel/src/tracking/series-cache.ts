/**
 * A run's scalars split by key, cached on disk, so the Scalars panel does not decode every
 * point of every key of a run (its logs interleave the keys record by record) each time
 * it opens: `<root>/cache/scalars/<id>/` holds
 *
 *   overview.arrow        every key's overview: its points reduced to OVERVIEW_POINTS
 *                         (min/max buckets, see downsample), what an opening draws; in
 *                         the schema metadata the cache's version, the logs' signature,
 *                         the run's first wall time and, per key, its total and file
 *   <signature>-<n>.arrow key n's points at full resolution (`step`, `time`, `value`),
 *                         read only when a zoom or an export asks for that key
 *
 * The cache is checked against the logs on every open: their names, sizes and modification
 * times (the logs are append-only, so a point appended, a truncated or deleted log changes
 * the signature) must be those it was built from, else it is rebuilt from the logs. Files
 * are written to temp names and renamed (readers see whole files); key files carry the
 * signature in their name, so writers racing on one run never mix versions, and a reader
 * that finds a key file gone (a newer version replaced it) reads the logs instead.
 * Anything wrong with the cache means a rebuild; a cache that cannot be written (a
 * read-only root) leaves the reads uncached. Kept out of the run directory, which is the
 * notebook's working directory.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { atomicTempPath } from '../base/atomic-write';
import { arrow, type Table } from '../store/index-arrow';
import { float64Vector } from '../store/index-columns';
import { tableOf } from '../store/index-public';
import { seriesCacheDir as cacheDirOf } from '../store/run-cache';
import { selectPoints, takePoints, type ISeriesColumns } from './downsample';
import { readScalarColumns, scalarLogFiles, type IReadScalarsOptions } from './scalars';
import { seriesByKey } from './scalars-points';

/** Points per key in the overview (the Scalars panel's default fetch). */
export const OVERVIEW_POINTS = 1500;
/** Changes when the files change shape: an older cache is rebuilt. */
const CACHE_VERSION = '1';
const OVERVIEW_FILE = 'overview.arrow';
const META = {
  version: 'nbx.version',
  signature: 'nbx.signature',
  start: 'nbx.start',
  keys: 'nbx.keys'
};

/** A run's identity, as RunDir has it. */
export interface IRunRef {
  /** The runs root. */
  root: string;
  id: string;
  /** The run directory. */
  path: string;
}

/** `<root>/cache/scalars/<id>` */
export function seriesCacheDir(run: IRunRef): string {
  return cacheDirOf(run.root, run.id);
}

/** What a run's logs look like now: names, sizes, modification times. */
export function logsSignature(runPath: string): string {
  return scalarLogFiles(runPath)
    .map(file => {
      try {
        const stat = fs.statSync(file);
        return `${path.basename(file)}:${stat.size}:${stat.mtimeMs}`;
      } catch {
        return `${path.basename(file)}:gone`;
      }
    })
    .join('\n');
}

/** One key of the cache. */
interface IKeyEntry {
  key: string;
  /** Points of the key in the logs. */
  total: number;
  /** Its file of points at full resolution. */
  file: string;
  overview: ISeriesColumns;
}

const EMPTY: ISeriesColumns = {
  step: new Float64Array(0),
  time: new Float64Array(0),
  value: new Float64Array(0)
};

/**
 * A run's series by key, as of one version of its logs (`signature`): the overview of
 * every key at hand, each key at full resolution read on first use and kept.
 */
export class RunSeries {
  constructor(
    readonly signature: string,
    /** Wall time of the run's first point (NaN without points). */
    readonly start: number,
    private readonly _keys: Map<string, IKeyEntry>,
    private readonly _full: Map<string, ISeriesColumns>,
    private readonly _read: () => Map<string, ISeriesColumns>,
    private readonly _dir: string
  ) {}

  /** Points of `key` in the logs (0 for a key the run does not have). */
  total(key: string): number {
    return this._keys.get(key)?.total ?? 0;
  }

  /** The points of `key` reduced to OVERVIEW_POINTS (all of them when that many or fewer). */
  overview(key: string): ISeriesColumns {
    return this._keys.get(key)?.overview ?? EMPTY;
  }

  /** Every point of `key`, in record order (read from the cache on first use). */
  full(key: string): ISeriesColumns {
    const entry = this._keys.get(key);
    if (!entry) {
      return EMPTY;
    }
    let series = this._full.get(key);
    if (!series) {
      series = readKeyFile(path.join(this._dir, entry.file), entry.total) ?? undefined;
      if (!series) {
        // Replaced by a newer version meanwhile, or damaged: the logs have every point.
        for (const [k, s] of this._read()) {
          this._full.set(k, s);
        }
        series = this._full.get(key) ?? EMPTY;
      }
      this._full.set(key, series);
    }
    return series;
  }

  /** Bytes held in memory (overviews and the full series read so far). */
  get bytes(): number {
    let total = 0;
    for (const entry of this._keys.values()) {
      // A short series is its own overview: counted once.
      if (this._full.get(entry.key) !== entry.overview) {
        total += columnsBytes(entry.overview);
      }
    }
    for (const series of this._full.values()) {
      total += columnsBytes(series);
    }
    return total;
  }
}

function columnsBytes(series: ISeriesColumns): number {
  return series.step.byteLength + series.time.byteLength + series.value.byteLength;
}

/** Options of `openRunSeries`. */
export interface IOpenRunSeriesOptions extends IReadScalarsOptions {
  /** The logs' signature, when the caller has it already. */
  signature?: string;
  /**
   * Runs the writing of a new cache (megabytes: every point of every key); by default at
   * once. The service writes it after its reply: the points are in memory already.
   */
  writeCache?: (write: () => void) => void;
}

/**
 * The series of the run: from its cache when that was built from the logs as they are
 * now, else read from the logs (every point, once) and cached for the next time.
 */
export function openRunSeries(run: IRunRef, options: IOpenRunSeriesOptions = {}): RunSeries {
  const signature = options.signature ?? logsSignature(run.path);
  const dir = seriesCacheDir(run);
  const readAll = (): Map<string, ISeriesColumns> => {
    const columns = readScalarColumns(run.path, options);
    return seriesByKey(columns, columns.keys);
  };
  const cached = readOverview(dir, signature);
  if (cached) {
    return new RunSeries(signature, cached.start, cached.keys, new Map(), readAll, dir);
  }
  const columns = readScalarColumns(run.path, options);
  // Merged by wall time, so the first point is the earliest.
  const start = columns.length > 0 ? columns.time[0] : NaN;
  const full = seriesByKey(columns, columns.keys);
  const stamp = createHash('sha1').update(signature).digest('hex').slice(0, 12);
  const keys = new Map<string, IKeyEntry>();
  [...full.keys()].sort().forEach((key, n) => {
    const series = full.get(key) as ISeriesColumns;
    const { indices } = selectPoints(series, { maxPoints: OVERVIEW_POINTS });
    keys.set(key, {
      key,
      total: series.value.length,
      file: `${stamp}-${n}.arrow`,
      overview: indices.length === series.value.length ? series : takePoints(series, indices)
    });
  });
  const write = (): void => writeCache(dir, signature, start, keys, full);
  if (options.writeCache) {
    options.writeCache(write);
  } else {
    write();
  }
  return new RunSeries(signature, start, keys, full, readAll, dir);
}

function columnsTable(series: ISeriesColumns, metadata: Map<string, string>): Table {
  const names = ['step', 'time', 'value'] as const;
  return tableOf(
    names.map(name => new arrow.Field(name, new arrow.Float64(), false)),
    names.map(name => float64Vector(series[name], null, 0)),
    series.value.length,
    metadata
  );
}

/** Writes `bytes` to `file` through a temp file and a rename; false when it cannot. */
function writeWhole(file: string, bytes: Uint8Array): boolean {
  const temp = atomicTempPath(file);
  try {
    fs.writeFileSync(temp, bytes, { flag: 'wx' });
    fs.renameSync(temp, file);
    return true;
  } catch {
    fs.rmSync(temp, { force: true });
    return false;
  }
}

/**
 * Writes the key files, then the overview that names them (a reader never finds an
 * overview without its files), then removes the files of older versions.
 */
function writeCache(
  dir: string,
  signature: string,
  start: number,
  keys: Map<string, IKeyEntry>,
  full: Map<string, ISeriesColumns>
): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch {
    return;
  }
  for (const entry of keys.values()) {
    const table = columnsTable(full.get(entry.key) as ISeriesColumns, new Map());
    if (!writeWhole(path.join(dir, entry.file), arrow.tableToIPC(table, 'file'))) {
      return;
    }
  }
  const entries = [...keys.values()];
  const overview: ISeriesColumns = {
    step: concat(entries.map(e => e.overview.step)),
    time: concat(entries.map(e => e.overview.time)),
    value: concat(entries.map(e => e.overview.value))
  };
  const metadata = new Map([
    [META.version, CACHE_VERSION],
    [META.signature, signature],
    [META.start, String(start)],
    [
      META.keys,
      JSON.stringify(
        entries.map(e => ({
          key: e.key,
          total: e.total,
          file: e.file,
          points: e.overview.value.length
        }))
      )
    ]
  ]);
  if (
    !writeWhole(
      path.join(dir, OVERVIEW_FILE),
      arrow.tableToIPC(columnsTable(overview, metadata), 'file')
    )
  ) {
    return;
  }
  const current = new Set([OVERVIEW_FILE, ...entries.map(e => e.file)]);
  for (const name of fs.readdirSync(dir)) {
    if (!current.has(name) && name.endsWith('.arrow')) {
      fs.rmSync(path.join(dir, name), { force: true });
    }
  }
}

function concat(parts: Float64Array[]): Float64Array {
  const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** The columns of an Arrow table of three Float64 columns, or null. */
function columnsOf(table: Table): ISeriesColumns | null {
  const out: Partial<ISeriesColumns> = {};
  for (const name of ['step', 'time', 'value'] as const) {
    const values = table.getChild(name)?.toArray() as unknown;
    if (!(values instanceof Float64Array) || values.length !== table.numRows) {
      return null;
    }
    out[name] = values;
  }
  return out as ISeriesColumns;
}

function readTable(file: string): Table | null {
  try {
    return arrow.tableFromIPC(fs.readFileSync(file));
  } catch {
    return null;
  }
}

/** The overview of the cache in `dir` when it was built from logs of `signature`. */
function readOverview(
  dir: string,
  signature: string
): { start: number; keys: Map<string, IKeyEntry> } | null {
  const table = readTable(path.join(dir, OVERVIEW_FILE));
  const metadata = table?.schema.metadata;
  if (
    !table ||
    !metadata ||
    metadata.get(META.version) !== CACHE_VERSION ||
    metadata.get(META.signature) !== signature
  ) {
    return null;
  }
  const columns = columnsOf(table);
  try {
    const listed = JSON.parse(metadata.get(META.keys) ?? '') as {
      key: string;
      total: number;
      file: string;
      points: number;
    }[];
    const keys = new Map<string, IKeyEntry>();
    let at = 0;
    for (const { key, total, file, points } of listed) {
      const slice = (c: Float64Array): Float64Array => c.subarray(at, at + points);
      if (!columns || at + points > table.numRows) {
        return null;
      }
      keys.set(key, {
        key,
        total,
        file,
        overview: {
          step: slice(columns.step),
          time: slice(columns.time),
          value: slice(columns.value)
        }
      });
      at += points;
    }
    return at === table.numRows ? { start: Number(metadata.get(META.start)), keys } : null;
  } catch {
    return null;
  }
}

/** The points of a key file holding `total` points, or null when it is gone or damaged. */
function readKeyFile(file: string, total: number): ISeriesColumns | null {
  const table = readTable(file);
  return table && table.numRows === total ? columnsOf(table) : null;
}
