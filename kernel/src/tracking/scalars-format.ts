/**
 * The scalar log: how a run's scalar points (and `nbx.attr` values) are stored.
 *
 * A run keeps them in `<run>/scalars/`, one append-only file per writer, so writers never
 * share a file and need no locking: `output.nbxs` is written by the runner (points found in
 * the notebook's output), `api-<pid>.nbxs` by each process that uses the in-notebook API
 * (the kernel, and any child process that imports `nbx`). Readers merge all `*.nbxs` files.
 *
 * File layout (all numbers little-endian):
 *
 * ```
 * header  8 bytes   'N' 'B' 'X' 'S' 0x01 0x00 0x00 0x00   (magic, format version 1)
 * records, each starting with a one-byte tag:
 *   'K' (0x4b)  key      u32 id, u16 n, n bytes UTF-8 name      defines id for the records after it
 *   'P' (0x50)  point    u32 id, f64 step, f64 time, f64 value  29 bytes; time in ms since the epoch
 *   'A' (0x41)  attr     u32 n, n bytes UTF-8 JSON `[name, value]`
 * ```
 *
 * Key ids are local to a file; a later `K` record for the same id replaces the name. A
 * writer that dies mid-record leaves a torn tail, which readers ignore and the next writer
 * opening the file truncates away. 1M points take 29 MB.
 *
 * This module is loaded by the in-notebook API, so it imports nothing beyond node:fs and
 * node:path.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { JSONValue } from '../base/json';

/** Name of the scalars directory in a run directory (`RUN_FILES.scalars`). */
export const SCALARS_DIR = 'scalars';
/** File name ending of scalar logs. */
export const SCALAR_LOG_EXT = '.nbxs';
/** The runner's log of scalars found in the notebook's output. */
export const OUTPUT_SCALAR_LOG = `output${SCALAR_LOG_EXT}`;

/** The log the in-notebook API writes from process `pid`. */
export function apiScalarLogName(pid: number): string {
  return `api-${pid}${SCALAR_LOG_EXT}`;
}

/** `<runPath>/scalars` */
export function scalarsDir(runPath: string): string {
  return path.join(runPath, SCALARS_DIR);
}

/** Magic and version at the start of every scalar log. */
export const SCALAR_LOG_HEADER: Readonly<Buffer> = Buffer.from([
  0x4e, 0x42, 0x58, 0x53, 0x01, 0x00, 0x00, 0x00
]);
const HEADER_BYTES = 8;
const TAG_KEY = 0x4b;
const TAG_POINT = 0x50;
const TAG_ATTR = 0x41;
/** Size of a point record. */
export const POINT_RECORD_BYTES = 29;
/** Longest key name, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

/** The file is not a scalar log, or has a record this reader does not know. */
export class CorruptScalarLogError extends Error {
  constructor(
    readonly file: string,
    readonly offset: number,
    what: string
  ) {
    super(`${file}: ${what} at byte ${offset}`);
    this.name = 'CorruptScalarLogError';
  }
}

/** What a decoder hands its records to. */
export interface IScalarLogSink {
  point(key: string, step: number, time: number, value: number): void;
  attr?(name: string, value: JSONValue): void;
}

/** Decoding state of one file, carried between calls while tailing it. */
export interface IScalarLogCursor {
  /** Bytes of the file consumed (complete records only). */
  offset: number;
  /** Key names by id. */
  keys: string[];
}

/** A cursor at the start of a file. */
export function newScalarLogCursor(): IScalarLogCursor {
  return { offset: 0, keys: [] };
}

/**
 * Decodes the complete records of `bytes` (the file's contents from `cursor.offset`),
 * handing them to `sink`, and advances the cursor past them; an incomplete record at the
 * end is left for later. Throws CorruptScalarLogError on a bad header or unknown record.
 */
export function decodeScalarLog(
  bytes: Buffer,
  cursor: IScalarLogCursor,
  sink: IScalarLogSink,
  file = 'scalar log'
): void {
  let pos = 0;
  if (cursor.offset === 0) {
    if (bytes.length < HEADER_BYTES) {
      return;
    }
    if (bytes.compare(SCALAR_LOG_HEADER, 0, HEADER_BYTES, 0, HEADER_BYTES) !== 0) {
      throw new CorruptScalarLogError(file, 0, 'not an nbx scalar log (bad header)');
    }
    pos = HEADER_BYTES;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const end = bytes.length;
  const keys = cursor.keys;
  try {
    for (;;) {
      if (pos >= end) {
        break;
      }
      const tag = bytes[pos];
      if (tag === TAG_POINT) {
        if (pos + POINT_RECORD_BYTES > end) {
          break;
        }
        const id = view.getUint32(pos + 1, true);
        const key = keys[id];
        if (key === undefined) {
          throw new CorruptScalarLogError(
            file,
            cursor.offset + pos,
            `point for undefined key ${id}`
          );
        }
        sink.point(
          key,
          view.getFloat64(pos + 5, true),
          view.getFloat64(pos + 13, true),
          view.getFloat64(pos + 21, true)
        );
        pos += POINT_RECORD_BYTES;
      } else if (tag === TAG_KEY) {
        if (pos + 7 > end) {
          break;
        }
        const id = view.getUint32(pos + 1, true);
        const n = view.getUint16(pos + 5, true);
        if (pos + 7 + n > end) {
          break;
        }
        keys[id] = bytes.toString('utf8', pos + 7, pos + 7 + n);
        pos += 7 + n;
      } else if (tag === TAG_ATTR) {
        if (pos + 5 > end) {
          break;
        }
        const n = view.getUint32(pos + 1, true);
        if (pos + 5 + n > end) {
          break;
        }
        const text = bytes.toString('utf8', pos + 5, pos + 5 + n);
        pos += 5 + n;
        if (sink.attr) {
          const pair = parseAttr(text);
          if (pair) {
            sink.attr(pair[0], pair[1]);
          }
        }
      } else {
        throw new CorruptScalarLogError(file, cursor.offset + pos, `unknown record tag ${tag}`);
      }
    }
  } finally {
    cursor.offset += pos;
  }
}

function parseAttr(text: string): [string, JSONValue] | null {
  try {
    const pair = JSON.parse(text) as unknown;
    if (Array.isArray(pair) && pair.length === 2 && typeof pair[0] === 'string') {
      return [pair[0], pair[1] as JSONValue];
    }
  } catch {
    // skipped
  }
  return null;
}

/** Writes all of `buf` to `fd`. */
function writeAll(fd: number, buf: Uint8Array): void {
  let done = 0;
  while (done < buf.length) {
    done += fs.writeSync(fd, buf, done, buf.length - done);
  }
}

/**
 * Opens a scalar log for appending: creates it (and its directory) with a header, or, when
 * it exists, cuts off a torn record a dead writer left at its end.
 */
export function openScalarLog(file: string): number {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const fd = fs.openSync(file, 'a');
  try {
    const size = fs.fstatSync(fd).size;
    let keep = size;
    if (size < HEADER_BYTES) {
      keep = 0;
    } else {
      const cursor = newScalarLogCursor();
      try {
        decodeScalarLog(fs.readFileSync(file), cursor, { point: () => undefined }, file);
        keep = cursor.offset;
      } catch (err) {
        if (!(err instanceof CorruptScalarLogError)) {
          throw err;
        }
        // Keep what is readable; a bad header leaves nothing readable.
        keep = cursor.offset;
      }
    }
    if (keep !== size) {
      fs.ftruncateSync(fd, keep);
    }
    if (keep === 0) {
      writeAll(fd, SCALAR_LOG_HEADER);
    }
    return fd;
  } catch (err) {
    fs.closeSync(fd);
    throw err;
  }
}

/** Options of a ScalarLogWriter. */
export interface IScalarLogWriterOptions {
  /** Buffered bytes that trigger a write (default 1 MiB). */
  flushBytes?: number;
  /** Called when a write fails (the buffered records are dropped); default: throw. */
  onError?: (err: Error) => void;
}

/**
 * Appends records to one scalar log. Records are buffered in memory and written in one
 * `write` when the buffer passes `flushBytes`, on `flush()` and on `close()`; the file is
 * opened on the first write. One writer per file: two writers on one file corrupt it.
 */
export class ScalarLogWriter {
  readonly file: string;
  private _buf: Buffer;
  private _view: DataView;
  private _pos = 0;
  private readonly _flushBytes: number;
  private readonly _onError: ((err: Error) => void) | undefined;
  private _ids = new Map<string, number>();
  private _nextId = 0;
  private _fd: number | null = null;
  private _closed = false;

  constructor(file: string, options: IScalarLogWriterOptions = {}) {
    this.file = file;
    this._flushBytes = Math.max(64, options.flushBytes ?? 1 << 20);
    this._onError = options.onError;
    this._buf = Buffer.allocUnsafe(this._flushBytes + 4096);
    this._view = new DataView(this._buf.buffer, this._buf.byteOffset, this._buf.length);
  }

  /** Bytes buffered and not yet written. */
  get pendingBytes(): number {
    return this._pos;
  }

  /** Appends a point; `time` in ms since the epoch. Throws RangeError for a key too long. */
  point(key: string, step: number, time: number, value: number): void {
    let id = this._ids.get(key);
    if (id === undefined) {
      id = this._defineKey(key);
    }
    if (this._pos + POINT_RECORD_BYTES > this._buf.length) {
      this._grow(POINT_RECORD_BYTES);
    }
    const pos = this._pos;
    const view = this._view;
    this._buf[pos] = TAG_POINT;
    view.setUint32(pos + 1, id, true);
    view.setFloat64(pos + 5, step, true);
    view.setFloat64(pos + 13, time, true);
    view.setFloat64(pos + 21, value, true);
    this._pos = pos + POINT_RECORD_BYTES;
    if (this._pos >= this._flushBytes) {
      this.flush();
    }
  }

  /** Appends an attribute (`nbx.attr`); a later one of the same name replaces it. */
  attr(name: string, value: JSONValue): void {
    const text = JSON.stringify([name, value]);
    const n = Buffer.byteLength(text);
    this._ensure(5 + n);
    this._buf[this._pos] = TAG_ATTR;
    this._view.setUint32(this._pos + 1, n, true);
    this._buf.write(text, this._pos + 5, n, 'utf8');
    this._pos += 5 + n;
  }

  /** Writes the buffered records now. */
  flush(): void {
    if (this._pos === 0 || this._closed) {
      return;
    }
    const bytes = this._buf.subarray(0, this._pos);
    this._pos = 0;
    try {
      if (this._fd === null) {
        this._fd = openScalarLog(this.file);
      }
      writeAll(this._fd, bytes);
    } catch (err) {
      // The dropped records may have defined keys: define them again from now on.
      this._ids = new Map();
      if (!this._onError) {
        throw err;
      }
      this._onError(err as Error);
    }
  }

  /** Flushes and closes the file; later records are ignored. */
  close(): void {
    if (this._closed) {
      return;
    }
    this.flush();
    this._closed = true;
    if (this._fd !== null) {
      fs.closeSync(this._fd);
      this._fd = null;
    }
  }

  private _defineKey(key: string): number {
    const n = Buffer.byteLength(key);
    if (n > MAX_KEY_BYTES) {
      throw new RangeError(
        `scalar key is longer than ${MAX_KEY_BYTES} bytes: '${key.slice(0, 40)}…'`
      );
    }
    const id = this._nextId++;
    this._ensure(7 + n);
    const pos = this._pos;
    this._buf[pos] = TAG_KEY;
    this._view.setUint32(pos + 1, id, true);
    this._view.setUint16(pos + 5, n, true);
    this._buf.write(key, pos + 7, n, 'utf8');
    this._pos = pos + 7 + n;
    this._ids.set(key, id);
    return id;
  }

  private _ensure(n: number): void {
    if (this._pos + n > this._buf.length) {
      this._grow(n);
    }
  }

  private _grow(n: number): void {
    const next = Buffer.allocUnsafe(Math.max(this._buf.length * 2, this._pos + n + 4096));
    this._buf.copy(next, 0, 0, this._pos);
    this._buf = next;
    this._view = new DataView(next.buffer, next.byteOffset, next.length);
  }
}
