/**
 * Runs on Slurm seen live (the service's watcher uses this beside its inotify watches): their runners write `meta.json` on other nodes, through a
 * shared filesystem whose changes inotify does not report (NFS), and what Slurm alone
 * knows (a job cancelled while pending, killed at its time limit) is in no file until nbx
 * reconciles it. So while a runs root has runs on Slurm in flight (scheduler/slurm/
 * active.ts), this polls them: reconciles their records with Slurm, and reports those
 * whose `meta.json` changed, as the watcher reports local changes.
 */
import * as fs from 'fs';
import { RunDir } from '../../store/run-dir';
import { activeRuns } from './active';

export interface ISlurmPollOptions {
  root: string;
  /** Told the ids of runs whose record changed (sorted). */
  onChange: (ids: string[]) => void;
  /** How often (default 3 s). */
  intervalMs?: number;
  log?: (line: string) => void;
}

/** Polls one runs root's runs on Slurm; `close()` stops it. */
export class SlurmPoll {
  constructor(options: ISlurmPollOptions) {
    this._options = options;
    this._timer = setInterval(() => void this._tick(), options.intervalMs ?? 3000);
    this._timer.unref();
  }

  /** Stops polling. Idempotent. */
  close(): void {
    clearInterval(this._timer);
  }

  private async _tick(): Promise<void> {
    const { root } = this._options;
    if (this._busy) {
      return;
    }
    const ids = activeRuns(root);
    if (ids.length === 0) {
      return;
    }
    this._busy = true;
    try {
      // Loaded only once a root has runs on Slurm: most never do.
      const { reconcileSlurmRuns } = await import('./reconcile');
      await reconcileSlurmRuns(root);
    } catch (err) {
      this._options.log?.(`nbx: runs on Slurm not reconciled: ${(err as Error).message}`);
    } finally {
      this._busy = false;
    }
    const changed = ids.filter(id => {
      let mtime = -1;
      try {
        mtime = fs.statSync(new RunDir(root, id).metaPath).mtimeMs;
      } catch {
        // removed
      }
      const seen = this._mtimes.get(id);
      this._mtimes.set(id, mtime);
      return seen !== mtime;
    });
    if (changed.length) {
      this._options.onChange(changed.sort());
    }
  }

  private readonly _options: ISlurmPollOptions;
  private readonly _timer: NodeJS.Timeout;
  private readonly _mtimes = new Map<string, number>();
  private _busy = false;
}
