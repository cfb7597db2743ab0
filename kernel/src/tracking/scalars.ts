/**
 * A run's scalars: reading every point back from its scalar logs (see scalars-format for
 * the files), the per-key summary kept in `meta.json`, and an incremental reader that
 * follows the logs while writers append to them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { JSONValue } from '../base/json';
import type { IScalarSummary } from '../store/meta';
import {
  CorruptScalarLogError,
  decodeScalarLog,
  newScalarLogCursor,
  scalarsDir,
  SCALAR_LOG_EXT,
  type IScalarLogCursor,
  type IScalarLogSink
} from './scalars-format';

/** One recorded value of a scalar. */
export interface IScalarPoint {
  key: string;
  step: number;
  /** Wall time, ms since the epoch. */
  time: number;
  value: number;
}

/** Points as columns: point `i` is `keys[key[i]]`, `step[i]`, `time[i]`, `value[i]`. */
export interface IScalarColumns {
  keys: string[];
  key: Uint32Array;
  step: Float64Array;
  time: Float64Array;
  value: Float64Array;
  length: number;
}

/** Options of the readers. */
export interface IReadScalarsOptions {
  /** Told about unreadable logs (whose readable part is still returned). */
  onWarning?: (message: string) => void;
}

/** The scalar logs of a run, sorted by name (absolute paths). */
export function scalarLogFiles(runPath: string): string[] {
  const dir = scalarsDir(runPath);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter(n => n.endsWith(SCALAR_LOG_EXT))
    .sort()
    .map(n => path.join(dir, n));
}

/** Grows typed-array columns as points arrive; keys are shared across files. */
class ColumnBuilder implements IScalarLogSink {
  keys: string[];
  private readonly _index: Map<string, number>;
  key: Uint32Array;
  step: Float64Array;
  time: Float64Array;
  value: Float64Array;
  length = 0;

  constructor(capacity: number, keys: string[], index: Map<string, number>) {
    this.keys = keys;
    this._index = index;
    const n = Math.max(16, capacity);
    this.key = new Uint32Array(n);
    this.step = new Float64Array(n);
    this.time = new Float64Array(n);
    this.value = new Float64Array(n);
  }

  point(key: string, step: number, time: number, value: number): void {
    let k = this._index.get(key);
    if (k === undefined) {
      k = this.keys.length;
      this.keys.push(key);
      this._index.set(key, k);
    }
    const i = this.length;
    if (i === this.key.length) {
      this._grow();
    }
    this.key[i] = k;
    this.step[i] = step;
    this.time[i] = time;
    this.value[i] = value;
    this.length = i + 1;
  }

  columns(): IScalarColumns {
    const n = this.length;
    return {
      keys: this.keys,
      key: this.key.subarray(0, n),
      step: this.step.subarray(0, n),
      time: this.time.subarray(0, n),
      value: this.value.subarray(0, n),
      length: n
    };
  }

  private _grow(): void {
    const n = this.key.length * 2;
    const key = new Uint32Array(n);
    key.set(this.key);
    this.key = key;
    for (const name of ['step', 'time', 'value'] as const) {
      const col = new Float64Array(n);
      col.set(this[name]);
      this[name] = col;
    }
  }
}

function readLog(
  file: string,
  sink: IScalarLogSink,
  options: IReadScalarsOptions,
  bytes = readBytes(file)
): void {
  try {
    decodeScalarLog(bytes, newScalarLogCursor(), sink, file);
  } catch (err) {
    if (!(err instanceof CorruptScalarLogError)) {
      throw err;
    }
    options.onWarning?.(`${err.message}; using the points before it`);
  }
}

function readBytes(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return Buffer.alloc(0);
    }
    throw err;
  }
}

/**
 * Every point of a run, as columns. Points of one log keep their order; the logs are
 * merged by wall time (ties: logs in name order).
 */
export function readScalarColumns(
  runPath: string,
  options: IReadScalarsOptions = {}
): IScalarColumns {
  const keys: string[] = [];
  const index = new Map<string, number>();
  const parts: IScalarColumns[] = [];
  for (const file of scalarLogFiles(runPath)) {
    const bytes = readBytes(file);
    const builder = new ColumnBuilder(Math.ceil(bytes.length / 29), keys, index);
    readLog(file, builder, options, bytes);
    if (builder.length > 0) {
      parts.push(builder.columns());
    }
  }
  if (parts.length === 0) {
    return new ColumnBuilder(0, keys, index).columns();
  }
  return parts.length === 1 ? parts[0] : mergeByTime(parts, keys);
}

/** Merges columns that are each in time order into one, in time order (stable). */
function mergeByTime(parts: IScalarColumns[], keys: string[]): IScalarColumns {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out: IScalarColumns = {
    keys,
    key: new Uint32Array(total),
    step: new Float64Array(total),
    time: new Float64Array(total),
    value: new Float64Array(total),
    length: total
  };
  const at = parts.map(() => 0);
  for (let o = 0; o < total; o++) {
    let best = -1;
    let bestTime = Infinity;
    for (let p = 0; p < parts.length; p++) {
      const i = at[p];
      if (i < parts[p].length && (best < 0 || parts[p].time[i] < bestTime)) {
        best = p;
        bestTime = parts[p].time[i];
      }
    }
    const src = parts[best];
    const i = at[best]++;
    out.key[o] = src.key[i];
    out.step[o] = src.step[i];
    out.time[o] = src.time[i];
    out.value[o] = src.value[i];
  }
  return out;
}

/** Every point of a run, in the order of `readScalarColumns`. */
export function readScalars(runPath: string, options: IReadScalarsOptions = {}): IScalarPoint[] {
  const c = readScalarColumns(runPath, options);
  const points: IScalarPoint[] = new Array<IScalarPoint>(c.length);
  for (let i = 0; i < c.length; i++) {
    points[i] = { key: c.keys[c.key[i]], step: c.step[i], time: c.time[i], value: c.value[i] };
  }
  return points;
}

/** The attributes recorded with `nbx.attr` in a run's logs (the latest value of each). */
export function readRunAttrs(
  runPath: string,
  options: IReadScalarsOptions = {}
): Record<string, JSONValue> {
  const found: { time: number; order: number; name: string; value: JSONValue }[] = [];
  let order = 0;
  for (const file of scalarLogFiles(runPath)) {
    let time = 0;
    readLog(
      file,
      {
        point: (_k, _s, t) => (time = t),
        attr: (name, value) => found.push({ time, order: order++, name, value })
      },
      options
    );
  }
  found.sort((a, b) => a.time - b.time || a.order - b.order);
  const attrs: Record<string, JSONValue> = {};
  for (const a of found) {
    attrs[a.name] = a.value;
  }
  return attrs;
}

interface ISummaryState {
  first: number;
  firstTime: number;
  last: number;
  lastTime: number;
  lastStep: number;
  min: number;
  max: number;
  count: number;
}

/**
 * The per-key summary of points as they arrive, in any order across sources: `first` and
 * `last` are the values with the earliest and latest wall time (ties: the later added),
 * `min`/`max` skip NaN (NaN when every value is NaN), `lastStep` is the step of `last`.
 */
export class ScalarSummarizer implements IScalarLogSink {
  private readonly _keys = new Map<string, ISummaryState>();
  private _version = 0;

  /** Incremented by every `point`: tells callers whether anything changed. */
  get version(): number {
    return this._version;
  }

  /** Number of keys seen. */
  get size(): number {
    return this._keys.size;
  }

  point(key: string, step: number, time: number, value: number): void {
    this._version++;
    const s = this._keys.get(key);
    const isNum = value === value;
    if (s === undefined) {
      this._keys.set(key, {
        first: value,
        firstTime: time,
        last: value,
        lastTime: time,
        lastStep: step,
        min: isNum ? value : NaN,
        max: isNum ? value : NaN,
        count: 1
      });
      return;
    }
    s.count++;
    if (time >= s.lastTime) {
      s.last = value;
      s.lastTime = time;
      s.lastStep = step;
    }
    if (time < s.firstTime) {
      s.first = value;
      s.firstTime = time;
    }
    if (isNum) {
      if (!(value >= s.min)) {
        s.min = value;
      }
      if (!(value <= s.max)) {
        s.max = value;
      }
    }
  }

  /** The summary per key, keys sorted. */
  summary(): Record<string, IScalarSummary> {
    const out: Record<string, IScalarSummary> = {};
    for (const key of [...this._keys.keys()].sort()) {
      const s = this._keys.get(key) as ISummaryState;
      out[key] = {
        first: s.first,
        last: s.last,
        min: s.min,
        max: s.max,
        count: s.count,
        lastStep: Number.isNaN(s.lastStep) ? null : s.lastStep
      };
    }
    return out;
  }
}

/** The summary per key of `points` (see ScalarSummarizer). */
export function summarize(
  points: Iterable<IScalarPoint> | IScalarColumns
): Record<string, IScalarSummary> {
  const summarizer = new ScalarSummarizer();
  if (isColumns(points)) {
    for (let i = 0; i < points.length; i++) {
      summarizer.point(points.keys[points.key[i]], points.step[i], points.time[i], points.value[i]);
    }
  } else {
    for (const p of points) {
      summarizer.point(p.key, p.step, p.time, p.value);
    }
  }
  return summarizer.summary();
}

function isColumns(value: Iterable<IScalarPoint> | IScalarColumns): value is IScalarColumns {
  return (value as IScalarColumns).value instanceof Float64Array;
}

/**
 * Follows a run's scalar logs while writers append to them: each `poll` reads only what
 * was appended since the last one (new log files included) and hands the records to the
 * sink. Torn records at the ends are read once they are complete.
 */
export class ScalarLogTail {
  private readonly _dir: string;
  private readonly _files = new Map<string, { cursor: IScalarLogCursor; dead: boolean }>();
  private readonly _options: IReadScalarsOptions;

  constructor(runPath: string, options: IReadScalarsOptions = {}) {
    this._dir = scalarsDir(runPath);
    this._options = options;
  }

  /** Reads what was appended; returns the number of bytes consumed. */
  poll(sink: IScalarLogSink): number {
    let consumed = 0;
    let names: string[];
    try {
      names = fs.readdirSync(this._dir).filter(n => n.endsWith(SCALAR_LOG_EXT));
    } catch {
      return 0;
    }
    names.sort();
    for (const name of names) {
      let state = this._files.get(name);
      if (!state) {
        state = { cursor: newScalarLogCursor(), dead: false };
        this._files.set(name, state);
      }
      if (!state.dead) {
        consumed += this._read(path.join(this._dir, name), state, sink);
      }
    }
    return consumed;
  }

  private _read(
    file: string,
    state: { cursor: IScalarLogCursor; dead: boolean },
    sink: IScalarLogSink
  ): number {
    let fd: number;
    try {
      fd = fs.openSync(file, 'r');
    } catch {
      return 0;
    }
    const before = state.cursor.offset;
    try {
      const size = fs.fstatSync(fd).size;
      if (size < before) {
        // Truncated (a writer cut a torn tail, or the file was replaced): start again.
        state.cursor = newScalarLogCursor();
      }
      const start = state.cursor.offset;
      if (size <= start) {
        return 0;
      }
      const bytes = Buffer.allocUnsafe(size - start);
      let got = 0;
      while (got < bytes.length) {
        const n = fs.readSync(fd, bytes, got, bytes.length - got, start + got);
        if (n === 0) {
          break;
        }
        got += n;
      }
      decodeScalarLog(bytes.subarray(0, got), state.cursor, sink, file);
    } catch (err) {
      if (!(err instanceof CorruptScalarLogError)) {
        throw err;
      }
      state.dead = true;
      this._options.onWarning?.(`${err.message}; ignoring the rest of it`);
    } finally {
      fs.closeSync(fd);
    }
    return state.cursor.offset - before;
  }
}
