/**
 * Controlling runs from outside their runner: start one (or a batch) detached, stop one.
 */
import * as fs from 'fs';
import { spawn, type ChildProcess } from 'child_process';
import { UserError } from '../base/errors';
import { NBX_CLI, nbxProcessEnv } from '../base/paths';
import { FINAL_STATUSES, type RunKind, type RunMeta } from '../store/meta';
import { isProcessAlive } from '../store/process';
import { RunDir } from '../store/run-dir';
import { effectiveStatus } from '../store/runs';
import { cancelJob } from './slurm/cancel';
import { requestStop, STOP_ONE_SIGNAL } from './stop-requests';

/** A hidden `nbx` command executing runs detached. */
type Runner = '_runner' | '_batch' | '_pipeline' | '_standby';

/**
 * Starts `nbx <command> <rundir>` as a detached process that outlives the terminal: a
 * new session, no terminal on its standard streams (they go to the run's kernel.log);
 * `ipc`: with an IPC channel to this process. `onError` hears of a failure after the start.
 * Throws if the process could not be created.
 */
function spawnDetached(
  run: RunDir,
  command: Runner,
  env: NodeJS.ProcessEnv,
  onError: (err: Error) => void,
  ipc = false
): ChildProcess {
  const out = fs.openSync(run.kernelLogPath, 'a');
  try {
    const child = spawn(process.execPath, [NBX_CLI, command, run.path], {
      detached: true,
      stdio: ipc ? ['ignore', out, out, 'ipc'] : ['ignore', out, out],
      cwd: run.path,
      env: nbxProcessEnv(env)
    });
    child.on('error', onError);
    if (child.pid === undefined) {
      throw new Error(`could not start the runner for ${run.id}`);
    }
    return child;
  } finally {
    fs.closeSync(out);
  }
}

/**
 * Starts the runner of a prepared run, of a batch (its queue of trials), or of a pipeline
 * (its steps), in the
 * background (see `spawnDetached`), with the environment `env` (its kernels inherit it):
 * the one place a detached runner is spawned.
 */
export function startDetached(run: RunDir, env: NodeJS.ProcessEnv = process.env): number {
  const child = spawnDetached(run, RUNNERS[run.readMeta().kind], env, err => {
    run.updateMeta(m => ({ ...m, status: 'error', error: `could not start: ${err.message}` }));
  });
  child.unref();
  return child.pid as number;
}

/**
 * Starts the standby runner of a directory reserved for the next run (see
 * standby-runner.ts), with the run's environment and an IPC channel to hand it its run.
 */
export function startStandbyRunner(run: RunDir, env: NodeJS.ProcessEnv): ChildProcess {
  // Its exit says it failed (see standby-process.ts).
  return spawnDetached(run, '_standby', env, () => undefined, true);
}

/** The hidden `nbx` command that executes each kind of run in a process of its own. */
const RUNNERS: Record<RunKind, Runner> = { run: '_runner', batch: '_batch', pipeline: '_pipeline' };

const isFinal = (meta: RunMeta): boolean => FINAL_STATUSES.includes(meta.status);

const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms));

/**
 * True when the run shares its runner process with other runs: a trial executed by its
 * batch's queue (the batch records the same pid).
 */
function sharesRunner(run: RunDir, meta: RunMeta): boolean {
  if (meta.parent === null || meta.pid === null) {
    return false;
  }
  try {
    return new RunDir(run.root, meta.parent).readMeta().pid === meta.pid;
  } catch {
    return false;
  }
}

/** Waits until `done` holds or `ms` pass; returns whether it holds. */
async function waitUntil(done: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() >= deadline) {
      return false;
    }
    await sleep(50);
  }
  return true;
}

function killGroup(pid: number | null): void {
  if (pid !== null) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

/** Records `terminated` on a run that is still recorded as running or queued. */
function markTerminated(run: RunDir, reason: string): RunMeta {
  return run.updateMeta(m =>
    m.status === 'running' || m.status === 'queued'
      ? {
          ...m,
          status: 'terminated',
          error: m.error ?? reason,
          stopped: m.stopped ?? new Date().toISOString(),
          exitCode: m.exitCode ?? 1
        }
      : m
  );
}

/**
 * How long a stopped run's runner may take to end before it is killed. Ending includes
 * saving the executed notebook, which after a flood of output is tens of MB: 55 MB took up
 * to 5 s with two CPU hogs running, and killing the runner mid-save loses its last outputs.
 */
export const STOP_GRACE_MS = 30_000;

/**
 * Stops a run, or a whole batch. The request is written into the run (see
 * stop-requests.ts), then its runner is signalled:
 *
 * - a runner of its own (a single run, a batch): SIGTERM, which stops everything it
 *   runs (a batch stops its running trials and cancels the queued ones); if it has not
 *   exited within `graceMs`, it and its kernel are killed and the status written here;
 * - a runner shared with other trials of a batch: SIGUSR2, which stops this trial alone
 *   (a queued one is cancelled); if it has not ended within `graceMs`, only its kernel is
 *   killed — never the runner that holds the other trials.
 */
export async function stopRun(run: RunDir, graceMs = STOP_GRACE_MS): Promise<RunMeta> {
  const meta = run.readMeta();
  const status = effectiveStatus(meta);
  if (status !== 'running' && status !== 'queued') {
    throw new UserError(`run ${meta.id.slice(0, 8)} is not running (status: ${status})`);
  }
  const reason = 'stopped by nbx stop';
  requestStop(run, reason);
  if (meta.slurm && meta.slurm.state === undefined) {
    return stopOnSlurm(run, meta, reason);
  }
  const runnerAlive = (): boolean => meta.pid !== null && isProcessAlive(meta.pid, meta.pidStart);
  if (meta.pid === null || !runnerAlive()) {
    // Not picked up by a runner yet (it honours the request when it starts), or dead.
    return markTerminated(run, meta.pid === null ? reason : 'its runner died');
  }
  if (sharesRunner(run, meta)) {
    process.kill(meta.pid, STOP_ONE_SIGNAL);
    const ended = (): boolean => isFinal(run.readMeta()) || !runnerAlive();
    if (!(await waitUntil(ended, graceMs))) {
      killGroup(run.readMeta().kernelPid);
      await waitUntil(ended, 2000);
    }
    return markTerminated(run, reason);
  }
  process.kill(meta.pid, 'SIGTERM');
  if (!(await waitUntil(() => !runnerAlive(), graceMs)) && runnerAlive()) {
    process.kill(meta.pid, 'SIGKILL');
  }
  killGroup(run.readMeta().kernelPid);
  for (const id of meta.kind === 'batch' ? meta.trials : []) {
    const trial = new RunDir(run.root, id);
    try {
      const t = trial.readMeta();
      if (t.pid === meta.pid && !isFinal(t)) {
        killGroup(t.kernelPid);
        markTerminated(trial, t.status === 'queued' ? 'cancelled: the batch was stopped' : reason);
      }
    } catch {
      // a trial removed meanwhile
    }
  }
  return markTerminated(run, reason);
}

/**
 * Stops a run (or a batch: its job array) on Slurm: its job is interrupted, then cancelled
 * (see slurm/cancel.ts); once Slurm has ended it, a record the runner did not finish (a job
 * still pending, a trial that never started) is written `terminated` here.
 */
async function stopOnSlurm(run: RunDir, meta: RunMeta, reason: string): Promise<RunMeta> {
  await cancelJob(meta.slurm?.jobId ?? '');
  for (const id of meta.kind === 'batch' ? meta.trials : []) {
    const trial = new RunDir(run.root, id);
    if (trial.exists()) {
      markTerminated(trial, reason);
    }
  }
  return markTerminated(run, reason);
}
