/**
 * The standby runner (`nbx _standby RUNDIR`): a detached runner the service starts ahead in a
 * run directory reserved for the next run (see standby.ts). It loads the runner's modules,
 * starts the kernel there exactly as a cold runner would (the same code, so nothing can
 * differ but the moment), and waits on its IPC channel for its run. Given the run, it answers
 * `taken` and disconnects (from then on the run is its own, the service can go), and executes
 * it as `nbx _runner` does, on its kernel if the run's kernel would still start exactly the
 * same (else cold).
 *
 * The IPC channel is also its leash: while it waits, the service going away (closing the
 * channel, even by SIGKILL), SIGTERM, or its kernel failing or dying dismisses it. Its kernel
 * is its own child, so it dies with the runner whatever ends it (see protocol/launcher.ts).
 */
import * as fs from 'fs';
import type { KernelManager } from '../protocol/manager';
import { warmKey } from '../protocol/warm-pool';
import type { RunDir } from '../store/run-dir';
import { kernelParts, runKernelParts, startRunKernel, type IRunKernelTarget } from './run-kernel';

/** The service's message to a standby runner: its run, with the environment it is launched with. */
export interface IStandbyRunMessage {
  type: 'run';
  env: NodeJS.ProcessEnv;
}

/** A standby runner's messages: its kernel is ready (or failed), or it has taken its run. */
export type StandbyRunnerMessage =
  { type: 'ready'; kernelPid: number } | { type: 'failed' } | { type: 'taken' };

/** What a standby runner reads from its reserved directory's `.nbx/standby.json`. */
export type IStandbyRecord = IRunKernelTarget;

/** The run a standby runner was given: the runner's environment, and its kernel if still fit. */
export interface IStandbyTaken {
  env: NodeJS.ProcessEnv;
  /** The kernel started ahead, or null (it failed, died, or is not the run's: start cold). */
  kernel: Promise<KernelManager | null>;
}

/** Signals that dismiss a standby runner still waiting (after that, they stop its run). */
const DISMISS: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];

/**
 * Starts the kernel of the reserved directory `run` and waits for its run. Resolves with it
 * once taken, or with null when dismissed first (a kernel already up is killed then; one still
 * starting dies with this process, which the caller ends).
 */
export function waitForStandbyRun(run: RunDir): Promise<IStandbyTaken | null> {
  const send = process.send?.bind(process);
  if (send === undefined) {
    return Promise.resolve(null); // not started by the service
  }
  const target = JSON.parse(fs.readFileSync(run.standbyPath, 'utf8')) as IStandbyRecord;
  const parts = kernelParts(run, target, process.env);
  const key = warmKey(parts);
  const started = startRunKernel(run, parts).catch(() => null);
  let kernel: KernelManager | null = null;
  return new Promise(resolve => {
    let waiting = true;
    const end = (): boolean => {
      if (!waiting) {
        return false;
      }
      waiting = false;
      process.off('message', onMessage);
      process.off('disconnect', dismiss);
      DISMISS.forEach(s => process.off(s, dismiss));
      return true;
    };
    const dismiss = (): void => {
      if (end()) {
        void (kernel?.kill() ?? Promise.resolve()).then(() => resolve(null));
      }
    };
    const onMessage = (message: unknown): void => {
      if (!isRunMessage(message) || !end()) {
        return;
      }
      // The run's directory now, no longer a reservation.
      fs.rmSync(run.standbyPath, { force: true });
      // Ours now: the service may go; the channel must not keep this process alive.
      send({ type: 'taken' } satisfies StandbyRunnerMessage, () => process.disconnect());
      resolve({ env: message.env, kernel: started.then(k => fitKernel(run, message.env, key, k)) });
    };
    process.on('message', onMessage);
    process.once('disconnect', dismiss);
    DISMISS.forEach(s => process.once(s, dismiss));
    void started.then(k => {
      kernel = k;
      if (!waiting) {
        return;
      }
      if (k === null) {
        send({ type: 'failed' } satisfies StandbyRunnerMessage);
        dismiss();
        return;
      }
      send({ type: 'ready', kernelPid: k.process.pid } satisfies StandbyRunnerMessage);
      void k.died.then(dismiss);
    });
  });
}

/**
 * `kernel` if it is alive and exactly the kernel the run would start now (its record read
 * back with the environment it was launched with); else it is killed and null returned.
 */
async function fitKernel(
  run: RunDir,
  env: NodeJS.ProcessEnv,
  key: string,
  kernel: KernelManager | null
): Promise<KernelManager | null> {
  if (kernel === null) {
    return null;
  }
  let same: boolean;
  try {
    same = warmKey(runKernelParts(run, env)) === key;
  } catch {
    same = false;
  }
  if (same && kernel.process.alive) {
    return kernel;
  }
  await kernel.kill();
  return null;
}

function isRunMessage(message: unknown): message is IStandbyRunMessage {
  return (
    typeof message === 'object' &&
    message !== null &&
    (message as { type?: unknown }).type === 'run' &&
    typeof (message as { env?: unknown }).env === 'object'
  );
}
