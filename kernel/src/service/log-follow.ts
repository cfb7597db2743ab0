/**
 * Following a run's `output.log` (its console output, appended as the run prints) from
 * where the last read stopped, with `\r` and `\b` resolved as a terminal shows them: a
 * progress bar that rewrites its line is one line that changes. Only the last line can be
 * rewritten, so only it is kept (resolved, with a trailing `\r` that the next text
 * overwrites from) and resolved again with what follows.
 */
import * as fs from 'fs';
import type { ILogTail, ITextChange } from '../contract';
import { resolveOverwrites } from '../executor/outputs';

/** The most bytes one poll reads: beyond that, the log's end is sent instead. */
const MAX_READ_BYTES = 1 << 20;

export class LogFollower {
  /** Follows `file` from its end now. */
  constructor(
    private readonly _file: string,
    private readonly _open: (file: string) => number | null
  ) {
    this._size = this._boundary(this._fileSize());
    this._last = lastLine(this.tail(1 << 16).text);
  }

  /**
   * The end of the log as read so far: at most `maxBytes` bytes, from a line start when
   * it is not the whole log, resolved.
   */
  tail(maxBytes: number): ILogTail {
    const start = Math.max(0, this._size - maxBytes);
    const bytes = this._read(start, this._size);
    let from = 0;
    if (start > 0) {
      const newline = bytes.indexOf(0x0a);
      from = newline >= 0 ? newline + 1 : skipContinuation(bytes);
    }
    return {
      text: resolveOverwrites(bytes.toString('utf8', from)),
      size: this._size,
      truncated: start + from > 0
    };
  }

  /**
   * What the log gained since the last poll, or null. More than `maxChars` (or than a
   * poll reads) comes as a `reset`: the end of the log, replacing the text shown.
   */
  poll(maxChars: number): (ITextChange & { reset?: boolean; size: number }) | null {
    const size = this._fileSize();
    if (size === this._size) {
      return null;
    }
    if (size < this._size || size - this._size > MAX_READ_BYTES) {
      // Replaced (a restart), or a flood: show its end.
      this._size = this._boundary(size);
      const tail = this.tail(maxChars);
      this._last = lastLine(tail.text);
      return { reset: true, drop: 0, text: tail.text, size: this._size };
    }
    const bytes = this._read(this._size, size);
    const length = completeLength(bytes);
    if (length === 0) {
      return null;
    }
    this._size += length;
    const text = resolveOverwrites(this._last + bytes.toString('utf8', 0, length));
    const change = { drop: this._last.length, text, size: this._size };
    this._last = lastLine(text);
    if (text.length > maxChars) {
      const tail = this.tail(maxChars);
      return { reset: true, drop: 0, text: tail.text, size: this._size };
    }
    return change;
  }

  /** `size`, or less so that it ends on a whole UTF-8 character of the log. */
  private _boundary(size: number): number {
    const start = Math.max(0, size - 4);
    return start + completeLength(this._read(start, size));
  }

  private _fileSize(): number {
    try {
      return fs.statSync(this._file).size;
    } catch {
      return 0;
    }
  }

  /** Bytes `[start, end)` of the log (fewer when it is shorter). */
  private _read(start: number, end: number): Buffer {
    if (end <= start) {
      return Buffer.alloc(0);
    }
    const fd = this._open(this._file);
    if (fd === null) {
      return Buffer.alloc(0);
    }
    try {
      const bytes = Buffer.alloc(end - start);
      const read = fs.readSync(fd, bytes, 0, bytes.length, start);
      return bytes.subarray(0, read);
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Bytes of the log read (always ending on a whole UTF-8 character). */
  private _size: number;
  /** The last line as shown: resolved, its trailing `\r` kept. */
  private _last: string;
}

/** The text after the last newline. */
function lastLine(text: string): string {
  return text.slice(text.lastIndexOf('\n') + 1);
}

/** Length of `bytes` up to the end of its last whole UTF-8 character. */
function completeLength(bytes: Buffer): number {
  let i = bytes.length;
  // Back over at most 3 continuation bytes to the lead byte of the last character.
  let back = 0;
  while (back < 4 && i - back - 1 >= 0 && (bytes[i - back - 1] & 0xc0) === 0x80) {
    back++;
  }
  const lead = i - back - 1;
  if (lead < 0) {
    return back === 0 ? 0 : i;
  }
  const b = bytes[lead];
  const need = b >= 0xf0 ? 3 : b >= 0xe0 ? 2 : b >= 0xc0 ? 1 : 0;
  if (need > back) {
    i = lead;
  }
  return i;
}

/** Index of the first byte of `bytes` that starts a UTF-8 character. */
function skipContinuation(bytes: Buffer): number {
  let i = 0;
  while (i < bytes.length && (bytes[i] & 0xc0) === 0x80) {
    i++;
  }
  return i;
}
