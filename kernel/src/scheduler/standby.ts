/**
 * The service's standby kernel: after a run started from JupyterLab, one kernel of the same
 * kernelspec is started ahead for the next, exactly as that run's kernel would start — in a
 * run directory reserved for it (its working directory; see `STANDBY_FILE`), with the
 * run's environment (its id, directory, runs root, `CUDA_VISIBLE_DEVICES`). Nothing is sent
 * to it but `kernel_info`.
 *
 * The next launch with the same target takes it (`take`): its run is made in the reserved
 * directory, and the detached runner is started holding the kernel's watchdog pipe, so the
 * kernel dies with the runner (also on SIGKILL), not with the service. The runner checks
 * the key once more (standby-adopt.ts). One standby at most; reaped when idle and when the
 * service shuts down.
 */
import * as fs from 'fs';
import type { Stream } from 'stream';
import type { KernelManager } from '../protocol/manager';
import { warmKey } from '../protocol/warm-pool';
import { newRunId, RunDir } from '../store/run-dir';
import { runsDir } from '../store/root';
import { kernelParts, startRunKernel, type IRunKernelTarget } from './run-kernel';
import type { IStandbyHandover } from './standby-adopt';

/** How long a standby kernel waits for a run before it is reaped (default). */
export const STANDBY_IDLE_MS = 10 * 60_000;

/** The runner's descriptor of the watchdog pipe (its fourth stdio entry; see control.ts). */
export const HANDOVER_FD = 3;

/** What a standby kernel is started for: a run of `target` in runs root `root`. */
export interface IStandbyTarget extends IRunKernelTarget {
  root: string;
  /** The environment the run is launched with (its runner's). */
  env: NodeJS.ProcessEnv;
}

/** A standby taken for a run: its reserved directory and its kernel (null: it failed). */
export interface IStandby {
  run: RunDir;
  key: string;
  kernel: Promise<KernelManager | null>;
}

export class StandbyKernel {
  constructor(readonly idleMs = STANDBY_IDLE_MS) {}

  /** The reserved run directory of the standby held, if any. */
  get reserved(): RunDir | null {
    return this._held?.run ?? null;
  }

  /** The pid of the standby kernel held, once it is ready; null when none is or it failed. */
  async ready(): Promise<number | null> {
    const kernel = await this._held?.kernel;
    return kernel?.process.pid ?? null;
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
      fs.writeFileSync(run.standbyPath, JSON.stringify({ key }));
      const kernel = startRunKernel(run, parts).catch(() => null);
      this._held = { run, key, kernel, timer: undefined };
      this._idle(this._held);
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
    return { run: held.run, key: held.key, kernel: held.kernel };
  }

  /** Kills the standby kernel held and removes its reserved directory. */
  async discard(): Promise<void> {
    const held = this._held;
    this._held = null;
    if (held !== null) {
      clearTimeout(held.timer);
      await held.kernel.then(k => k?.kill());
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

  private _idle(held: IHeld): void {
    clearTimeout(held.timer);
    held.timer = setTimeout(() => {
      if (this._held === held) {
        void this.discard();
      }
    }, this.idleMs);
    held.timer.unref();
  }

  private _held: IHeld | null = null;
  private _closed = false;
}

interface IHeld extends IStandby {
  timer: NodeJS.Timeout | undefined;
}

/**
 * Hands the standby's kernel over to the runner `startRunner` starts (passing it the
 * watchdog pipe as its fourth stdio entry), leaving the handover record for it in the run
 * directory. Without a live kernel the runner is started as usual and starts one cold.
 */
export async function handOverStandby(
  standby: IStandby,
  startRunner: (watchdogPipe?: Stream) => void
): Promise<boolean> {
  const kernel = await standby.kernel;
  if (kernel !== null && kernel.process.alive) {
    const handover: IStandbyHandover = {
      key: standby.key,
      pid: kernel.process.pid,
      connectionFile: kernel.connectionFile,
      watchdogFd: HANDOVER_FD
    };
    try {
      fs.writeFileSync(standby.run.standbyPath, JSON.stringify(handover));
      await kernel.handOver(pipe => startRunner(pipe));
      return true;
    } catch {
      // It died meanwhile (handOver killed what was left): start cold.
    }
  } else {
    // Dead before it was taken: free its sockets and connection file.
    await kernel?.kill();
  }
  fs.rmSync(standby.run.standbyPath, { force: true });
  startRunner();
  return false;
}
