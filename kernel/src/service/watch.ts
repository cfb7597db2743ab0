/**
 * Watching a runs root for changes, without polling: one `fs.watch` on `<root>/runs`
 * (run directories created and removed) and one on each run directory (its
 * `meta.json` replaced). Node 20 has no recursive `fs.watch` on Linux, hence one
 * watch per run. While `<root>/runs` does not exist, the nearest existing ancestor is
 * watched until it appears. Changes are reported debounced, as sets of run ids.
 */
import * as fs from 'fs';
import * as path from 'path';
import { isDirectory } from '../base/paths';
import { runsDir } from '../store/root';
import { isValidRunId, RUN_FILES } from '../store/run-dir';

/** Options of `RunsWatcher`. */
export interface IRunsWatcherOptions {
  /** The runs root (the directory holding `runs/`). */
  root: string;
  /**
   * Told the ids of the runs that changed (sorted), at most once per debounce period, and
   * those of them whose run directory is gone (removed runs), so a listing of the others
   * can be asked for by id.
   */
  onChange: (ids: string[], removed: string[]) => void;
  /** Quiet time before changes are reported (default 200 ms). */
  debounceMs?: number;
  /** Longest a change waits while changes keep coming (default 1000 ms). */
  maxWaitMs?: number;
  /** Diagnostics, one line each. */
  log?: (line: string) => void;
}

/** Watches one runs root; call `close()` when done. */
export class RunsWatcher {
  readonly root: string;

  constructor(options: IRunsWatcherOptions) {
    this.root = path.resolve(options.root);
    this._runsDir = runsDir(this.root);
    this._onChange = options.onChange;
    this._debounceMs = options.debounceMs ?? 200;
    this._maxWaitMs = options.maxWaitMs ?? 1000;
    this._log = options.log ?? (() => undefined);
    this._arm();
    this._started = true;
  }

  /** Run directories watched now. */
  get watchedRuns(): number {
    return this._runs.size;
  }

  /** True while `<root>/runs` itself is watched (false while waiting for it to appear). */
  get watchingRunsDir(): boolean {
    return this._dirWatcher !== null;
  }

  /** Stops every watch and drops pending changes. Idempotent. */
  close(): void {
    this._closed = true;
    clearTimeout(this._timer);
    this._timer = undefined;
    this._pending.clear();
    this._dirWatcher?.close();
    this._dirWatcher = null;
    this._ancestorWatcher?.close();
    this._ancestorWatcher = null;
    for (const watcher of this._runs.values()) {
      watcher.close();
    }
    this._runs.clear();
  }

  /** Watches `<root>/runs` and its runs, or waits for it to be created. */
  private _arm(): void {
    if (this._closed) {
      return;
    }
    let watcher: fs.FSWatcher;
    try {
      watcher = fs.watch(this._runsDir, (_type, name) => this._onRunsDirEvent(name));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        this._waitForRunsDir();
      } else {
        this._log(`nbx service: cannot watch ${this._runsDir}: ${(err as Error).message}`);
      }
      return;
    }
    watcher.on('error', () => this._lostRunsDir());
    this._dirWatcher = watcher;
    this._rescan();
  }

  /** Watches the nearest existing ancestor of `<root>/runs` until that appears. */
  private _waitForRunsDir(): void {
    let dir = path.dirname(this._runsDir);
    while (!isDirectory(dir) && path.dirname(dir) !== dir) {
      dir = path.dirname(dir);
    }
    try {
      this._ancestorWatcher = fs.watch(dir, () => {
        if (isDirectory(this._runsDir) || this._nextStepExists(dir)) {
          this._ancestorWatcher?.close();
          this._ancestorWatcher = null;
          this._arm();
        }
      });
      this._ancestorWatcher.on('error', () => undefined);
    } catch (err) {
      this._log(`nbx service: cannot watch ${dir}: ${(err as Error).message}`);
    }
    // It may have been created between the failed watch and this one.
    if (isDirectory(this._runsDir) && this._ancestorWatcher) {
      this._ancestorWatcher.close();
      this._ancestorWatcher = null;
      this._arm();
    }
  }

  /** True when the directory below `dir` on the way to `<root>/runs` exists now. */
  private _nextStepExists(dir: string): boolean {
    const rest = path.relative(dir, this._runsDir).split(path.sep)[0];
    return rest !== undefined && rest !== '' && isDirectory(path.join(dir, rest));
  }

  /** `<root>/runs` went away: every watched run changed; wait for it to come back. */
  private _lostRunsDir(): void {
    this._dirWatcher?.close();
    this._dirWatcher = null;
    for (const [id, watcher] of this._runs) {
      watcher.close();
      this._mark(id);
    }
    this._runs.clear();
    this._arm();
  }

  private _onRunsDirEvent(name: string | Buffer | null): void {
    if (this._closed) {
      return;
    }
    if (name === null) {
      this._rescan();
      return;
    }
    const id = name.toString();
    if (!isValidRunId(id)) {
      return;
    }
    if (!isDirectory(this._runsDir)) {
      this._lostRunsDir();
      return;
    }
    const exists = isDirectory(path.join(this._runsDir, id));
    if (exists && !this._runs.has(id)) {
      this._watchRun(id);
    } else if (!exists && this._runs.has(id)) {
      this._unwatchRun(id);
    } else if (!exists) {
      // Not a run directory (a stray file, or one already gone).
      return;
    }
    this._mark(id);
  }

  /** Syncs the per-run watches with the directory listing; new and gone runs changed. */
  private _rescan(): void {
    let names: string[];
    try {
      names = fs.readdirSync(this._runsDir);
    } catch {
      this._lostRunsDir();
      return;
    }
    const present = new Set(
      names.filter(name => isValidRunId(name) && isDirectory(path.join(this._runsDir, name)))
    );
    for (const id of [...this._runs.keys()]) {
      if (!present.has(id)) {
        this._unwatchRun(id);
        this._mark(id);
      }
    }
    for (const id of present) {
      if (!this._runs.has(id)) {
        this._watchRun(id);
        // Runs there when watching started are not changes; later ones are.
        if (this._started) {
          this._mark(id);
        }
      }
    }
  }

  private _watchRun(id: string): void {
    if (this._watchLimitHit) {
      return;
    }
    try {
      const watcher = fs.watch(path.join(this._runsDir, id), (_type, name) => {
        if (name !== null && name.toString() === RUN_FILES.meta) {
          this._mark(id);
        }
      });
      watcher.on('error', () => {
        this._unwatchRun(id);
        this._mark(id);
      });
      this._runs.set(id, watcher);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOSPC' || code === 'EMFILE') {
        this._watchLimitHit = true;
        this._log(
          `nbx service: cannot watch more than ${this._runs.size} runs (${code}: raise ` +
            'fs.inotify.max_user_watches); changes of the others show on the next listing'
        );
      }
      // ENOENT: removed meanwhile; the runs dir watch reports it.
    }
  }

  private _unwatchRun(id: string): void {
    this._runs.get(id)?.close();
    this._runs.delete(id);
  }

  /** Records a change and (re)schedules the report: trailing debounce with a maximum wait. */
  private _mark(id: string): void {
    if (this._closed) {
      return;
    }
    const now = Date.now();
    if (this._pending.size === 0) {
      this._firstPendingAt = now;
    }
    this._pending.add(id);
    clearTimeout(this._timer);
    const waited = now - this._firstPendingAt;
    this._timer = setTimeout(
      () => this._flush(),
      Math.max(0, Math.min(this._debounceMs, this._maxWaitMs - waited))
    );
  }

  private _flush(): void {
    this._timer = undefined;
    if (this._closed || this._pending.size === 0) {
      return;
    }
    const ids = [...this._pending].sort();
    this._pending.clear();
    const removed = ids.filter(id => !isDirectory(path.join(this._runsDir, id)));
    try {
      this._onChange(ids, removed);
    } catch (err) {
      this._log(`nbx service: runs-changed handler failed: ${(err as Error).message}`);
    }
  }

  private readonly _runsDir: string;
  private readonly _onChange: (ids: string[], removed: string[]) => void;
  private readonly _debounceMs: number;
  private readonly _maxWaitMs: number;
  private readonly _log: (line: string) => void;
  private readonly _runs = new Map<string, fs.FSWatcher>();
  private readonly _pending = new Set<string>();
  private _dirWatcher: fs.FSWatcher | null = null;
  private _ancestorWatcher: fs.FSWatcher | null = null;
  private _timer: NodeJS.Timeout | undefined;
  private _firstPendingAt = 0;
  private _started = false;
  private _watchLimitHit = false;
  private _closed = false;
}
