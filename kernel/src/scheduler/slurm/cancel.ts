/**
 * Stopping a job: running processes are interrupted first (SIGINT, so the runner can finish
 * its record, as a local stop does), then whatever is left is cancelled with scancel.
 */
// A timer that keeps the process alive: between polls nothing else may (base's delay is unref'd).
import { setTimeout as delay } from 'timers/promises';
import { SlurmCommandError, runSlurm, type ISlurmEnv } from './command';
import { showJobs } from './jobs';
import { STOP_MARK, slurmStatus } from './status';

export interface ICancelOptions extends ISlurmEnv {
  /** How long running processes have after SIGINT before scancel ends them (ms). */
  graceMs?: number;
  /** How often the job's state is read while waiting (ms). */
  pollMs?: number;
}

/**
 * Stops job `id` (an array's id stops all its tasks, `<id>_<index>` one task). Resolves
 * false when Slurm no longer knows the job, true once it is stopped or was already over.
 */
export async function cancelJob(id: string, options: ICancelOptions = {}): Promise<boolean> {
  const { graceMs = 10_000, pollMs = 250 } = options;
  const active = async (): Promise<{ running: boolean; queued: boolean; known: boolean }> => {
    const statuses = (await showJobs([id], options)).map(job => slurmStatus(job).status);
    return {
      known: statuses.length > 0,
      running: statuses.includes('running'),
      queued: statuses.includes('queued')
    };
  };
  let now = await active();
  if (!now.known) {
    return false;
  }
  if (!now.running && !now.queued) {
    return true;
  }
  // Marked first: the interrupted job ends FAILED in Slurm's books, and reads terminated.
  await ignoreEnded(
    runSlurm('scontrol', ['update', `JobId=${id}`, `Comment=${STOP_MARK}`], options)
  );
  // Pending tasks go first, so none starts while the running ones are interrupted.
  if (now.queued) {
    await ignoreEnded(runSlurm('scancel', ['--state=PENDING', id], options));
  }
  if (now.running) {
    await ignoreEnded(runSlurm('scancel', ['--full', '--signal=INT', id], options));
    const deadline = Date.now() + graceMs;
    do {
      await delay(pollMs);
      now = await active();
    } while (now.running && Date.now() < deadline);
  } else {
    now = await active();
  }
  // Still running after the grace, or a task that started before its pending part went.
  if (now.running || now.queued) {
    await ignoreEnded(runSlurm('scancel', [id], options));
  }
  return true;
}

/** A job that ended between our look and scontrol or scancel is what we wanted. */
async function ignoreEnded(cancel: Promise<string>): Promise<void> {
  try {
    await cancel;
  } catch (err) {
    if (!(
      err instanceof SlurmCommandError &&
      /already completing or completed|already finished/i.test(err.stderr)
    )) {
      throw err;
    }
  }
}
