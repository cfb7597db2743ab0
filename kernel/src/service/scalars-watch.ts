/**
 * Live scalars: while the Scalars panel shows running runs, the service follows their
 * scalar logs and pushes the points appended since the last push (`scalars-appended`) to
 * the connections watching them, so the frontend never polls. Watches are held by their
 * connection (connection.ts); runs watched by several share one tail. The logs are append-only (tracking/scalars-format), so each
 * run is read from where the last read stopped (ScalarLogTail); one `fs.watch` on the
 * run's `scalars/` directory (on the run directory until that exists) says when to read,
 * and reads are coalesced: at most one push per run every `delayMs`.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { IScalarsAppendedEvent } from '../contract';
import { arrow } from '../store/index-arrow';
import { MIN_POINTS } from '../tracking/downsample';
import { ScalarLogTail } from '../tracking/scalars';
import { SCALARS_DIR } from '../tracking/scalars-format';
import { scalarPointsTable } from '../tracking/scalars-points';
import type { IEventSink } from './connection';

/** A run to follow. */
export interface IWatchedRun {
  root: string;
  id: string;
  /** The run directory. */
  path: string;
}

/** Options of `ScalarsWatch`. */
export interface IScalarsWatchOptions {
  /** Longest a change waits before it is read and pushed (default 150 ms). */
  delayMs?: number;
  /** Diagnostics, one line each. */
  log?: (line: string) => void;
}

/** The runs the Scalars panels follow: one tail per run, pushing to its watchers. */
export class ScalarsWatch {
  constructor(options: IScalarsWatchOptions = {}) {
    this._delayMs = options.delayMs ?? 150;
    this._log = options.log ?? (() => undefined);
  }

  /** Runs followed now (by `root` and id). */
  get runs(): number {
    return this._tails.size;
  }

  /**
   * Pushes the points `runs` append from now on to `sink` (each `scalars-appended` event
   * with its buffers: one Arrow IPC stream per key); returns what stops it.
   */
  add(runs: readonly IWatchedRun[], sink: IEventSink): () => void {
    const keys = [...new Set(runs.map(run => `${run.root}\0${run.id}`))];
    runs.forEach(run => {
      const key = `${run.root}\0${run.id}`;
      let tail = this._tails.get(key);
      if (!tail) {
        tail = new RunTail(run, this._delayMs, this._log);
        this._tails.set(key, tail);
      }
      tail.sinks.set(sink, (tail.sinks.get(sink) ?? 0) + 1);
    });
    let stopped = false;
    return () => {
      if (stopped) {
        return;
      }
      stopped = true;
      for (const key of keys) {
        const tail = this._tails.get(key);
        const count = tail?.sinks.get(sink) ?? 0;
        if (!tail || count === 0) {
          continue;
        }
        if (count > 1) {
          tail.sinks.set(sink, count - 1);
          continue;
        }
        tail.sinks.delete(sink);
        if (tail.sinks.size === 0) {
          tail.close();
          this._tails.delete(key);
        }
      }
    };
  }

  /** Stops every tail. Idempotent. */
  close(): void {
    for (const tail of this._tails.values()) {
      tail.close();
    }
    this._tails.clear();
  }

  private readonly _delayMs: number;
  private readonly _log: (line: string) => void;
  private readonly _tails = new Map<string, RunTail>();
}

/** One run's logs, read from the last offset whenever its `scalars/` directory changes. */
class RunTail {
  /** Who is told the new points, with how many watches each holds. */
  readonly sinks = new Map<IEventSink, number>();

  constructor(
    private readonly _run: IWatchedRun,
    private readonly _delayMs: number,
    private readonly _log: (line: string) => void
  ) {
    this._tail = new ScalarLogTail(_run.path, { onWarning: line => _log(`nbx service: ${line}`) });
    // What is there now was (or will be) fetched with `scalarPoints`: skip it.
    this._tail.poll({ point: () => undefined });
    this._arm();
  }

  close(): void {
    this._closed = true;
    clearTimeout(this._timer);
    this._watcher?.close();
    this._watcher = null;
  }

  /** Watches `scalars/`, or the run directory until `scalars/` is created. */
  private _arm(): void {
    const dir = path.join(this._run.path, SCALARS_DIR);
    try {
      this._watcher = fs.watch(dir, () => this._schedule());
      this._watcher.on('error', () => this._rearm());
      // Points written between the first poll and the watch.
      this._schedule();
      return;
    } catch {
      // No scalars yet.
    }
    try {
      this._watcher = fs.watch(this._run.path, (_type, name) => {
        if (name !== null && name.toString() === SCALARS_DIR) {
          this._rearm();
        }
      });
      this._watcher.on('error', () => undefined);
    } catch (err) {
      this._log(`nbx service: cannot watch run ${this._run.id}: ${(err as Error).message}`);
    }
    // Created between the failed watch and this one.
    if (fs.existsSync(dir)) {
      this._rearm();
    }
  }

  private _rearm(): void {
    this._watcher?.close();
    this._watcher = null;
    if (!this._closed) {
      this._arm();
    }
  }

  private _schedule(): void {
    if (this._timer === undefined && !this._closed) {
      this._timer = setTimeout(() => this._flush(), this._delayMs);
    }
  }

  private _flush(): void {
    this._timer = undefined;
    if (this._closed) {
      return;
    }
    const byKey = new Map<string, { step: number[]; time: number[]; value: number[] }>();
    this._tail.poll({
      point: (key, step, time, value) => {
        let points = byKey.get(key);
        if (!points) {
          points = { step: [], time: [], value: [] };
          byKey.set(key, points);
        }
        points.step.push(step);
        points.time.push(time);
        points.value.push(value);
      }
    });
    if (byKey.size === 0) {
      return;
    }
    const keys = [...byKey.keys()];
    const buffers = keys.map(key => {
      const points = byKey.get(key) as { step: number[]; time: number[]; value: number[] };
      const series = {
        step: Float64Array.from(points.step),
        time: Float64Array.from(points.time),
        value: Float64Array.from(points.value)
      };
      // Every new point: these are few, and the chart appends them as they are.
      const maxPoints = Math.max(MIN_POINTS, points.step.length);
      return arrow.tableToIPC(scalarPointsTable(series, key, { maxPoints }), 'stream');
    });
    const event: IScalarsAppendedEvent = {
      event: 'scalars-appended',
      root: this._run.root,
      id: this._run.id,
      keys
    };
    for (const sink of this.sinks.keys()) {
      sink.push(event, buffers);
    }
  }

  private readonly _tail: ScalarLogTail;
  private _watcher: fs.FSWatcher | null = null;
  private _timer: NodeJS.Timeout | undefined;
  private _closed = false;
}
