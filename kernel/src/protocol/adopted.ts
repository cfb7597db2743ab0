/**
 * A kernel process started by another process and handed over to this one (the service's
 * standby kernel, taken by a detached runner): not our child, so its exit is seen by
 * polling its pid, and the watchdog pipe that kills it when its owner dies (see
 * launcher.ts) is the descriptor the previous owner passed us, closed when we let go.
 */
import * as fs from 'fs';
import type { IExit, IKernelProcess } from './launcher';

/** How often an adopted kernel's pid is checked (it cannot be waited for). */
const POLL_MS = 100;

export class AdoptedKernelProcess implements IKernelProcess {
  readonly exited: Promise<IExit>;
  readonly spawnError = null;

  /** `watchdogFd`: our copy of the write end of the kernel's watchdog pipe. */
  constructor(
    readonly pid: number,
    private readonly _watchdogFd: number
  ) {
    this.exited = new Promise<IExit>(resolve => {
      const check = (): void => {
        if (pidAlive(this.pid)) {
          this._timer = setTimeout(check, POLL_MS);
          return;
        }
        // Not our child: how it ended is not ours to know.
        this._exit = { code: null, signal: null };
        resolve(this._exit);
      };
      check();
    });
  }

  get exitStatus(): IExit | null {
    return this._exit;
  }

  get alive(): boolean {
    return this._exit === null;
  }

  signal(signal: NodeJS.Signals): void {
    if (!this.alive) {
      return;
    }
    try {
      process.kill(-this.pid, signal);
    } catch {
      // gone already
    }
  }

  async terminate(graceMs = 2000): Promise<IExit> {
    if (this.alive) {
      this.signal('SIGTERM');
      const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    this.releaseWatchdog();
    return this.exited;
  }

  async waitExit(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>(resolve => {
      timer = setTimeout(() => resolve(false), ms);
    });
    const result = await Promise.race([this.exited.then(() => true), timeout]);
    clearTimeout(timer);
    return result;
  }

  /** Closes our end of the watchdog pipe: whatever is left of the kernel's group is killed. */
  releaseWatchdog(): void {
    if (!this._released) {
      this._released = true;
      clearTimeout(this._timer);
      try {
        fs.closeSync(this._watchdogFd);
      } catch {
        // closed already
      }
    }
  }

  private _exit: IExit | null = null;
  private _timer: NodeJS.Timeout | undefined;
  private _released = false;
}

/** True while a process of that pid exists (a zombie counts until its parent reaps it). */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
