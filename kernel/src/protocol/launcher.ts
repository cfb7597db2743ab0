/**
 * Starting a kernel process, signalling it, and making sure it never outlives
 * the process that started it.
 */
import { spawn, type ChildProcess } from 'child_process';

/**
 * Runs the kernel under `sh`, which first starts a watcher that blocks reading
 * fd 3 (a pipe whose only writer is our process) and then `exec`s the kernel,
 * so the kernel keeps the pid we were given. When our process dies, even by
 * SIGKILL, the pipe closes, the read returns, and the watcher kills the
 * kernel's whole process group. Node cannot set PR_SET_PDEATHSIG, and a Node
 * watchdog would cost another runtime start; a shell costs a millisecond.
 *
 * The watcher is forked twice so that it is not the kernel's child: ipykernel
 * terminates its children on shutdown and would wait on it. As an asynchronous
 * list it ignores SIGINT, so interrupting the kernel's group spares it. Before the
 * kill it removes `removeOnOrphan` (the connection file, which holds the kernel's key).
 */
const WATCHDOG =
  'f=$1; shift; ( (read _ <&3; [ -z "$f" ] || rm -f -- "$f"; kill -KILL 0) & ); exec 3<&-; exec "$@"';

export interface ILaunchOptions {
  argv: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** File descriptor for the kernel's own stdout/stderr, or 'ignore'. */
  output?: number | 'ignore';
  /** A file the watcher removes when it kills an orphaned kernel. */
  removeOnOrphan?: string;
}

export interface IExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class KernelProcess {
  readonly pid: number;
  /** Resolves when the kernel process has exited (never rejects). */
  readonly exited: Promise<IExit>;

  constructor(options: ILaunchOptions) {
    const out = options.output ?? 'ignore';
    this._child = spawn(
      '/bin/sh',
      ['-c', WATCHDOG, 'nbx-kernel', options.removeOnOrphan ?? '', ...options.argv],
      {
        cwd: options.cwd,
        env: options.env,
        detached: true,
        stdio: ['ignore', out, out, 'pipe']
      }
    );
    this.exited = new Promise<IExit>(resolve => {
      this._child.once('exit', (code, signal) => {
        this._exit = { code, signal };
        resolve(this._exit);
      });
      this._child.once('error', err => {
        this._spawnError = err;
        this._exit = { code: 127, signal: null };
        resolve(this._exit);
      });
    });
    // The pipe must not keep our event loop alive; it only has to exist.
    const pipe = this._child.stdio[3];
    if (pipe && 'unref' in pipe && typeof pipe.unref === 'function') {
      pipe.unref();
    }
    if (this._child.pid === undefined) {
      // spawn failed synchronously (e.g. cwd missing); 'error' follows.
      this.pid = -1;
    } else {
      this.pid = this._child.pid;
    }
  }

  /** The exit status once the process is gone, else null. */
  get exitStatus(): IExit | null {
    return this._exit;
  }

  get spawnError(): Error | null {
    return this._spawnError;
  }

  get alive(): boolean {
    return this._exit === null;
  }

  /** Sends `signal` to the kernel's process group (the kernel and its children). */
  signal(signal: NodeJS.Signals): void {
    if (!this.alive || this.pid < 0) {
      return;
    }
    try {
      process.kill(-this.pid, signal);
    } catch {
      try {
        process.kill(this.pid, signal);
      } catch {
        // already gone
      }
    }
  }

  /**
   * Terminates the process group: SIGTERM, then SIGKILL after `graceMs`.
   * Resolves when the kernel has exited.
   */
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

  /** Waits up to `ms` for the process to exit; true if it did. */
  async waitExit(ms: number): Promise<boolean> {
    if (!this.alive) {
      return true;
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>(resolve => {
      timer = setTimeout(() => resolve(false), ms);
    });
    const result = await Promise.race([this.exited.then(() => true), timeout]);
    clearTimeout(timer);
    return result;
  }

  /**
   * Closes the watchdog pipe, which kills whatever is left of the kernel's
   * process group (children the kernel left behind).
   */
  releaseWatchdog(): void {
    const pipe = this._child.stdio[3];
    if (pipe && 'destroy' in pipe) {
      pipe.destroy();
    }
  }

  private _child: ChildProcess;
  private _exit: IExit | null = null;
  private _spawnError: Error | null = null;
}
