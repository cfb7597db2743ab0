/**
 * The runner's side of a run's scalars: scans the notebook's output for scalars and
 * writes them to `scalars/output.nbxs`, follows every scalar log of the run (its own and
 * those the in-notebook API writes from the kernel) and keeps the per-key summary and
 * the `nbx.attr` values that go into `meta.json`.
 */
import * as path from 'node:path';
import type { JSONValue } from '../base/json';
import type { IScalarSummary } from '../store/meta';
import { OutputScanner, type OutputScalarsConfig } from './output-scan';
import { OUTPUT_SCALAR_LOG, scalarsDir, ScalarLogWriter } from './scalars-format';
import { ScalarLogTail, ScalarSummarizer } from './scalars';

/** What the runner writes into `meta.json`. */
export interface IRunScalarsUpdate {
  scalars: Record<string, IScalarSummary>;
  /** `nbx.attr` values recorded so far (merge over `meta.attrs`). */
  attrs: Record<string, JSONValue>;
}

/** Options of RunScalars. */
export interface IRunScalarsOptions {
  /** Output scanning settings (`parseOutputScalarsConfig(nb.metadata)`); default patterns if absent. */
  config?: OutputScalarsConfig;
  /** Flag names, ignored as keys by the default patterns. */
  flags?: Iterable<string>;
  /** Wall time of scanned points (ms since the epoch); default Date.now. */
  now?: () => number;
  /** Told about unreadable scalar logs and failed writes. */
  onWarning?: (message: string) => void;
}

/**
 * One run's scalars while it runs. Feed the notebook's streams to `write`; call `start`
 * with a callback that stores updates in `meta.json` (called at most every `intervalMs`
 * and only when something changed); call `close` once the kernel has exited, which makes
 * the final update. Points already in the run's logs (a restarted run) count too.
 */
export class RunScalars {
  readonly runPath: string;
  private readonly _scanner: OutputScanner;
  private readonly _writer: ScalarLogWriter;
  private readonly _tail: ScalarLogTail;
  private readonly _summary = new ScalarSummarizer();
  private readonly _attrs: Record<string, JSONValue> = {};
  private readonly _now: () => number;
  private _attrsVersion = 0;
  /** Arrival time of the chunk being scanned: the wall time of the points found in it. */
  private _time = 0;
  private _reported = { summary: -1, attrs: -1 };
  private _timer: NodeJS.Timeout | null = null;
  private _onUpdate: ((update: IRunScalarsUpdate) => void) | null = null;
  private _closed = false;
  private readonly _warn: ((message: string) => void) | undefined;

  constructor(runPath: string, options: IRunScalarsOptions = {}) {
    this.runPath = runPath;
    this._now = options.now ?? Date.now;
    const warn = options.onWarning;
    this._warn = warn;
    this._writer = new ScalarLogWriter(path.join(scalarsDir(runPath), OUTPUT_SCALAR_LOG), {
      flushBytes: 256 * 1024,
      onError: err => warn?.(`could not write output scalars: ${err.message}`)
    });
    this._scanner = new OutputScanner(
      (key, value, step) => this._writer.point(key, step, this._time, value),
      { config: options.config, flags: options.flags }
    );
    this._tail = new ScalarLogTail(runPath, { onWarning: warn });
  }

  /** Scans a chunk of the notebook's output (`onStream` of the executor). */
  write(stream: 'stdout' | 'stderr', text: string): void {
    this._time = this._now();
    this._scanner.write(text, stream);
  }

  /**
   * Writes pending output scalars and reads what every log gained since the last call;
   * returns the update when the summary or the attributes changed, else null.
   */
  poll(): IRunScalarsUpdate | null {
    this._writer.flush();
    this._tail.poll({
      point: (key, step, time, value) => this._summary.point(key, step, time, value),
      attr: (name, value) => {
        this._attrs[name] = value;
        this._attrsVersion++;
      }
    });
    const changed =
      this._summary.version !== this._reported.summary ||
      this._attrsVersion !== this._reported.attrs;
    if (!changed) {
      return null;
    }
    this._reported = { summary: this._summary.version, attrs: this._attrsVersion };
    return this.current();
  }

  /** The summary and attributes as of the last poll. */
  current(): IRunScalarsUpdate {
    return { scalars: this._summary.summary(), attrs: { ...this._attrs } };
  }

  /** Polls every `intervalMs` (default 1 s), handing changes to `onUpdate`. */
  start(onUpdate: (update: IRunScalarsUpdate) => void, intervalMs = 1000): void {
    this._onUpdate = onUpdate;
    if (this._timer === null && !this._closed) {
      this._timer = setInterval(() => this._report(), intervalMs);
      this._timer.unref();
    }
  }

  /**
   * Scans the unfinished last lines, writes everything, reads the logs a last time (call
   * it after the kernel exited, so the API's final points are in) and reports the final
   * change, if any, to the `start` callback. Returns the final summary and attributes.
   */
  close(): IRunScalarsUpdate {
    if (this._timer !== null) {
      clearInterval(this._timer);
      this._timer = null;
    }
    if (!this._closed) {
      this._closed = true;
      this._time = this._now();
      this._scanner.end();
      this._report();
      this._writer.close();
    }
    return this.current();
  }

  private _report(): void {
    try {
      const update = this.poll();
      if (update !== null) {
        this._onUpdate?.(update);
      }
    } catch (err) {
      // Never let a failing read or meta.json write take the runner down.
      this._warn?.(`could not update the run's scalars: ${(err as Error).message}`);
    }
  }
}
