/**
 * The one-line progress display of a foreground run on a terminal: which cell
 * of how many, and the time elapsed. Output of the notebook scrolls above it.
 */
import { formatClock } from '../base/display';
import type { IProgress } from '../executor/execute';

export class TerminalProgress {
  constructor(
    private readonly _stream: NodeJS.WriteStream,
    private readonly _label: string
  ) {
    this._enabled = _stream.isTTY === true;
    if (this._enabled) {
      this._timer = setInterval(() => this._draw(), 1000);
      this._timer.unref();
      this._draw();
    }
  }

  update(progress: IProgress): void {
    this._progress = progress;
    this._draw();
  }

  /** Writes text above the status line. */
  write(stream: NodeJS.WriteStream, text: string): void {
    if (!this._enabled) {
      stream.write(text);
      return;
    }
    this._clear();
    stream.write(text);
    this._pendingNewline = !text.endsWith('\n');
    this._draw();
  }

  /** Removes the status line for good. */
  done(): void {
    clearInterval(this._timer);
    if (this._enabled) {
      this._clear();
    }
    this._enabled = false;
  }

  private _draw(): void {
    if (!this._enabled) {
      return;
    }
    const p = this._progress;
    const cells = p
      ? p.current !== null
        ? `cell ${p.current}/${p.total}`
        : `${p.done}/${p.total} cells done`
      : 'starting kernel';
    const line = `\u25b6 ${this._label} \u00b7 ${cells} \u00b7 ${formatClock(Date.now() - this._start)}`;
    const prefix = this._pendingNewline ? '\n' : '';
    this._pendingNewline = false;
    this._stream.write(`${prefix}\r\x1b[2K\x1b[2m${line}\x1b[0m`);
    this._drawn = true;
  }

  private _clear(): void {
    if (this._drawn) {
      this._stream.write('\r\x1b[2K');
      this._drawn = false;
    }
  }

  private _enabled: boolean;
  private _timer: NodeJS.Timeout | undefined;
  private _progress: IProgress | null = null;
  private _start = Date.now();
  private _drawn = false;
  private _pendingNewline = false;
}
