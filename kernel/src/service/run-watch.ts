/**
 * Live run views: while a view shows a run, the service follows the run's executed notebook
 * (executed-follow.ts) and output (log-follow.ts) and pushes what they gain (`run-output`)
 * to the connections watching it. One stream per run, however many views watch it.
 *
 * A stream reads when the run directory or its private directory changes (`fs.watch`: the
 * runner appends to the journal and the log there), at most once every `pushMs`, and sends
 * everything read as one push: a cell printing thousands of lines a second costs a few
 * pushes a second, each holding at most `maxPushChars` of any stream's text.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { IRunCellUpdate, IRunOutputEvent, IWatchRunResult } from '../contract';
import type { RunDir } from '../store/run-dir';
import type { IEventSink } from './connection';
import { ExecutedFollower } from './executed-follow';
import { LogFollower } from './log-follow';
import { openRunFile } from './run-file';
import { boundUpdate, mergeUpdate, runningCell } from './run-updates';

/** Options of `RunWatch`. */
export interface IRunWatchOptions {
  /** Shortest time between two pushes of a run (default 200 ms). */
  pushMs?: number;
  /** Most characters of one stream's text a push holds (default 32 Ki: what a view keeps). */
  maxPushChars?: number;
  /** Diagnostics, one line each. */
  log?: (line: string) => void;
}

/** What a new watch starts from (`watchRun`'s answer without the watch's number). */
export type RunWatchStart = Omit<IWatchRunResult, 'watch'>;

/** The runs the run views follow: one stream per run, pushing to its watchers. */
export class RunWatch {
  constructor(options: IRunWatchOptions = {}) {
    this._options = options;
  }

  /** Runs followed now. */
  get runs(): number {
    return this._streams.size;
  }

  /**
   * Follows `run` for `sink`: returns where the run stands now (the output at most
   * `maxLogBytes`) and what stops the watch.
   */
  add(
    run: RunDir,
    sink: IEventSink,
    maxLogBytes: number
  ): { start: RunWatchStart; stop: () => void } {
    const key = `${run.root}\0${run.id}`;
    let stream = this._streams.get(key);
    if (!stream) {
      stream = new RunStream(run, this._options);
      this._streams.set(key, stream);
    }
    const start = stream.snapshot(maxLogBytes);
    stream.sinks.set(sink, (stream.sinks.get(sink) ?? 0) + 1);
    const following = stream;
    let stopped = false;
    const stop = (): void => {
      if (stopped) {
        return;
      }
      stopped = true;
      const count = following.sinks.get(sink) ?? 0;
      if (count > 1) {
        following.sinks.set(sink, count - 1);
        return;
      }
      following.sinks.delete(sink);
      if (following.sinks.size === 0) {
        following.close();
        if (this._streams.get(key) === following) {
          this._streams.delete(key);
        }
      }
    };
    return { start, stop };
  }

  /** Stops every stream. Idempotent. */
  close(): void {
    for (const stream of this._streams.values()) {
      stream.close();
    }
    this._streams.clear();
  }

  private readonly _options: IRunWatchOptions;
  private readonly _streams = new Map<string, RunStream>();
}

/** One run's notebook and output, read as they change and pushed to its sinks. */
class RunStream {
  /** Who is pushed the run's changes, with how many watches each holds. */
  readonly sinks = new Map<IEventSink, number>();

  constructor(
    private readonly _run: RunDir,
    options: IRunWatchOptions
  ) {
    this._pushMs = options.pushMs ?? 200;
    this._maxChars = options.maxPushChars ?? 1 << 15;
    this._log = options.log ?? (() => undefined);
    // A run's own regular files only (never through a symlink), as the read methods do.
    const open = (file: string): number | null => openRunFile(_run, file);
    this._executed = new ExecutedFollower(_run.executedPath, _run.executedJournalPath, open);
    this._output = new LogFollower(_run.logPath, open);
    this._executed.poll();
    this._arm();
  }

  /** Where the run stands now, after pushing what changed since the last push. */
  snapshot(maxLogBytes: number): RunWatchStart {
    this._push();
    const notebook = this._executed.notebook;
    return {
      id: this._run.id,
      seq: this._seq,
      notebook,
      running: runningCell(notebook),
      log: this._output.tail(maxLogBytes)
    };
  }

  close(): void {
    this._closed = true;
    clearTimeout(this._timer);
    this._timer = undefined;
    for (const watcher of this._watchers.values()) {
      watcher.close();
    }
    this._watchers.clear();
    this._executed.close();
  }

  /** Watches the run directory, and its private directory (the journal) once it exists. */
  private _arm(): void {
    this._watchDir(this._run.path, name => {
      if (name === path.basename(this._run.privateDir)) {
        this._watchDir(this._run.privateDir, () => this._schedule());
      }
      this._schedule();
    });
    this._watchDir(this._run.privateDir, () => this._schedule());
  }

  private _watchDir(dir: string, onChange: (name: string | null) => void): void {
    if (this._closed || this._watchers.has(dir)) {
      return;
    }
    try {
      const watcher = fs.watch(dir, (_type, name) => onChange(name === null ? null : String(name)));
      watcher.on('error', () => {
        watcher.close();
        this._watchers.delete(dir);
      });
      this._watchers.set(dir, watcher);
    } catch {
      // Not there (yet): the run directory's watch says when the private one appears.
    }
  }

  /** Pushes soon: right away after a quiet while, else `pushMs` after the last push. */
  private _schedule(): void {
    if (this._timer !== undefined || this._closed) {
      return;
    }
    const wait = Math.max(0, this._lastPush + this._pushMs - Date.now());
    this._timer = setTimeout(() => {
      this._timer = undefined;
      this._push();
    }, wait);
  }

  /** Reads what changed and pushes it as one event, if anything did. */
  private _push(): void {
    if (this._closed) {
      return;
    }
    let event: IRunOutputEvent | null;
    try {
      event = this._read();
    } catch (err) {
      this._log(`nbx service: cannot follow run ${this._run.id}: ${(err as Error).message}`);
      return;
    }
    if (event === null) {
      return;
    }
    this._lastPush = Date.now();
    for (const sink of this.sinks.keys()) {
      sink.push(event);
    }
  }

  private _read(): IRunOutputEvent | null {
    const changes = this._executed.poll();
    const log = this._output.poll(this._maxChars);
    const nb = this._executed.notebook;
    const pending = new Map<number, IRunCellUpdate>();
    for (const update of changes.updates) {
      mergeUpdate(pending, update);
    }
    const running = runningCell(nb);
    if (!changes.notebook && pending.size === 0 && log === null && running === this._running) {
      return null;
    }
    this._running = running;
    const event: IRunOutputEvent = {
      event: 'run-output',
      root: this._run.root,
      id: this._run.id,
      seq: ++this._seq,
      cells:
        nb === null || changes.notebook
          ? []
          : [...pending.values()]
              .sort((a, b) => a.cell - b.cell)
              .map(update => boundUpdate(nb, update, this._maxChars)),
      running
    };
    if (changes.notebook) {
      event.notebook = changes.notebook;
    }
    if (log !== null) {
      event.log = log;
    }
    return event;
  }

  private readonly _pushMs: number;
  private readonly _maxChars: number;
  private readonly _log: (line: string) => void;
  private readonly _executed: ExecutedFollower;
  private readonly _output: LogFollower;
  private readonly _watchers = new Map<string, fs.FSWatcher>();
  private _timer: NodeJS.Timeout | undefined;
  private _lastPush = 0;
  private _seq = 0;
  private _running: number | null = null;
  private _closed = false;
}
