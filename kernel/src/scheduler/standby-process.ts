/**
 * The service's side of a standby runner (see standby-runner.ts): the process, started
 * detached with an IPC channel; whether its kernel is ready; handing it its run; ending it.
 * While held, the channel keeps the service's event loop alive: whoever holds one ends it
 * (the service does on shutdown).
 */
import type { ChildProcess } from 'child_process';
import type { RunDir } from '../store/run-dir';
import { startStandbyRunner } from './control';
import type { IStandbyRunMessage, StandbyRunnerMessage } from './standby-runner';

/** How long a standby runner may take to answer its run before it is killed and the run starts cold. */
const TAKE_TIMEOUT_MS = 30_000;

/** How long a standby runner dismissed has to end its kernel and exit before it is killed. */
const KILL_GRACE_MS = 5000;

export class StandbyProcess {
  /** Starts the standby runner of the reserved directory `run`, with the run's environment. */
  constructor(run: RunDir, env: NodeJS.ProcessEnv) {
    this._child = startStandbyRunner(run, env);
    this._exited = new Promise(resolve => {
      this._child.once('exit', () => resolve());
      this._child.once('error', () => resolve());
    });
    this.ready = new Promise(resolve => {
      this._onMessage(message => {
        resolve(message.type === 'ready' ? message.kernelPid : null);
      });
      this._child.once('disconnect', () => resolve(null));
      void this._exited.then(() => resolve(null));
    });
  }

  /** The pid of its kernel once ready; null when it failed, or the runner ended first. */
  readonly ready: Promise<number | null>;

  /** The runner's pid. */
  get pid(): number {
    return this._child.pid ?? -1;
  }

  /**
   * Hands the runner its run, launched with `env`: true once it has taken it (the run is its
   * own from then on), false when it is gone or does not answer (it is killed then, so the
   * caller can start the run cold).
   */
  async handOver(env: NodeJS.ProcessEnv): Promise<boolean> {
    if (!this._child.connected) {
      await this.kill();
      return false;
    }
    let timer: NodeJS.Timeout | undefined;
    const taken = await new Promise<boolean>(resolve => {
      this._onMessage(message => {
        if (message.type === 'taken') {
          resolve(true);
        }
      });
      // After `taken` (messages come first): it disconnects once it has the run.
      this._child.once('disconnect', () => resolve(false));
      timer = setTimeout(() => resolve(false), TAKE_TIMEOUT_MS);
      const message: IStandbyRunMessage = { type: 'run', env };
      this._child.send(message, err => {
        if (err) {
          resolve(false);
        }
      });
    });
    clearTimeout(timer);
    if (taken) {
      // Its run's runner now: this process need not wait for it.
      this._child.unref();
    } else {
      // Maybe it holds the run after all: killed outright, it cannot start it.
      this._child.kill('SIGKILL');
      await this._exited;
    }
    return taken;
  }

  /**
   * Dismisses the runner (SIGTERM: it kills its kernel and exits; SIGKILL if it has not
   * within the grace, its kernel then dying with it) and resolves once it has exited.
   */
  async kill(): Promise<void> {
    if (this._child.exitCode === null && this._child.signalCode === null) {
      this._child.kill('SIGTERM');
      const timer = setTimeout(() => this._child.kill('SIGKILL'), KILL_GRACE_MS);
      await this._exited;
      clearTimeout(timer);
    }
  }

  private _onMessage(listener: (message: StandbyRunnerMessage) => void): void {
    this._child.on('message', (message: unknown) => {
      if (isRunnerMessage(message)) {
        listener(message);
      }
    });
  }

  private readonly _child: ChildProcess;
  private readonly _exited: Promise<void>;
}

function isRunnerMessage(message: unknown): message is StandbyRunnerMessage {
  const type = (message as { type?: unknown } | null)?.type;
  return (
    type === 'taken' ||
    type === 'failed' ||
    (type === 'ready' && typeof (message as { kernelPid?: unknown }).kernelPid === 'number')
  );
}
