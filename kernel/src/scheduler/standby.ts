/**
 * The service's standby kernel: after a run started from JupyterLab, a runner and its kernel
 * are started ahead for the next run, exactly as that run's would start — in a run directory
 * reserved for it (its working directory; see `STANDBY_FILE`), with the run's environment (its
 * id, directory, runs root, `CUDA_VISIBLE_DEVICES`). The runner (standby-runner.ts) loads its
 * modules, starts the kernel and waits; nothing is sent to the kernel but `kernel_info`.
 *
 * The next launch with the same target takes it (`take`): its run is made in the reserved
 * directory and handed to the waiting runner (`handOverStandby`), which executes it at once,
 * on its kernel if it checks out once more (else cold). The runner is detached: from then on
 * the run no longer depends on the service. One standby at most; reaped when idle and when
 * the service shuts down (runner and kernel both).
 */
import * as fs from 'fs';
import { warmKey } from '../protocol/warm-pool';
import { newRunId, RunDir } from '../store/run-dir';
import { runsDir } from '../store/root';
import { startDetached } from './control';
import { kernelParts, type IRunKernelTarget } from './run-kernel';
import { StandbyProcess } from './standby-process';
import type { IStandbyRecord } from './standby-runner';

/** How long a standby kernel waits for a run before it is reaped (default). */
export const STANDBY_IDLE_MS = 10 * 60_000;

/** How long a standby runner and its kernel may take to start before idling counts anyway. */
const STANDBY_START_MS = 60_000;

/** What a standby kernel is started for: a run of `target` in runs root `root`. */
export interface IStandbyTarget extends IRunKernelTarget {
  root: string;
  /** The environment the run is launched with (its runner's). */
  env: NodeJS.ProcessEnv;
}

/** A standby taken for a run: its reserved directory and its runner. */
export interface IStandby {
  run: RunDir;
  key: string;
  runner: StandbyProcess;
}

export class StandbyKernel {
  constructor(readonly idleMs = STANDBY_IDLE_MS) {}

  /** The reserved run directory of the standby held, if any. */
  get reserved(): RunDir | null {
    return this._held?.run ?? null;
  }

  /** The pid of the standby kernel held, once it is ready; null when none is or it failed. */
  async ready(): Promise<number | null> {
    return (await this._held?.runner.ready) ?? null;
  }

  /** The pid of the standby runner held, if any. */
  get runnerPid(): number | null {
    return this._held?.runner.pid ?? null;
  }

  /**
   * Starts a standby kernel for `target` unless the one held is for it already (then its
   * idle time starts over); any other one is discarded first. Never throws: a standby that
   * cannot be made is simply not there.
   */
  prepare(target: IStandbyTarget): void {
    if (this._closed) {
      return;
    }
    const held = this._held;
    if (held !== null && this._keyFor(held.run, target) === held.key) {
      this._idle(held);
      return;
    }
    void this.discard();
    let run: RunDir | null = null;
    try {
      fs.mkdirSync(runsDir(target.root), { recursive: true });
      run = new RunDir(target.root, newRunId());
      fs.mkdirSync(run.privateDir, { recursive: true });
      const parts = kernelParts(run, target, target.env);
      const key = warmKey(parts);
      const record: IStandbyRecord = {
        kernel: target.kernel,
        notebook: target.notebook,
        gpus: target.gpus
      };
      fs.writeFileSync(run.standbyPath, JSON.stringify(record));
      const held: IHeld = {
        run,
        key,
        runner: new StandbyProcess(run, target.env),
        timer: undefined
      };
      this._held = held;
      // Idle from when it is ready to take a run (its runner and kernel take seconds to start).
      this._idle(held, STANDBY_START_MS);
      void held.runner.ready.then(() => {
        if (this._held === held) {
          this._idle(held);
        }
      });
    } catch {
      if (run !== null) {
        fs.rmSync(run.path, { recursive: true, force: true });
      }
    }
  }

  /**
   * The standby for a run of `target`, taken out (the caller claims its directory and hands
   * its kernel over with `handOver`), or null when none is held for exactly that.
   */
  take(target: IStandbyTarget): IStandby | null {
    const held = this._held;
    if (held === null || this._keyFor(held.run, target) !== held.key) {
      return null;
    }
    clearTimeout(held.timer);
    this._held = null;
    return { run: held.run, key: held.key, runner: held.runner };
  }

  /** Ends the standby runner held (and so its kernel) and removes its reserved directory. */
  async discard(): Promise<void> {
    const held = this._held;
    this._held = null;
    if (held !== null) {
      clearTimeout(held.timer);
      await held.runner.kill();
      fs.rmSync(held.run.path, { recursive: true, force: true });
    }
  }

  /** Discards the standby held; later `prepare`s do nothing. */
  async close(): Promise<void> {
    this._closed = true;
    await this.discard();
  }

  /** The key a kernel for `target` in `run` would have; null when it cannot start. */
  private _keyFor(run: RunDir, target: IStandbyTarget): string | null {
    try {
      return warmKey(kernelParts(run, target, target.env));
    } catch {
      return null;
    }
  }

  /** Reaps `held` after `idleMs` (plus `startMs`, while its runner and kernel start). */
  private _idle(held: IHeld, startMs = 0): void {
    clearTimeout(held.timer);
    held.timer = setTimeout(() => {
      if (this._held === held) {
        void this.discard();
      }
    }, this.idleMs + startMs);
    held.timer.unref();
  }

  private _held: IHeld | null = null;
  private _closed = false;
}

interface IHeld extends IStandby {
  timer: NodeJS.Timeout | undefined;
}

/**
 * Hands the run made in `standby`'s directory (written, not started) to its waiting runner,
 * launched with `env`; if the runner is gone or does not take it, the run is started cold
 * with a runner of its own. True when the standby runner took it.
 */
export async function handOverStandby(standby: IStandby, env: NodeJS.ProcessEnv): Promise<boolean> {
  if (await standby.runner.handOver(env)) {
    return true;
  }
  // The run's directory now, no longer a reservation.
  fs.rmSync(standby.run.standbyPath, { force: true });
  startDetached(standby.run, env);
  return false;
}
