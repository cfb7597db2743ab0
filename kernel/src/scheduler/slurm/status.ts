/**
 * Slurm's job states as nbx statuses. A job Slurm no longer knows is `unknown`: the caller
 * reconciles it with the run's own record (a run left `running` there reads terminated).
 */
import type { RunStatus } from '../../store/meta';
import type { ISlurmEnv } from './command';
import { showJobs, type ISlurmJob } from './jobs';

/** The comment nbx sets on a job it stops, so that however the job ends it reads terminated. */
export const STOP_MARK = 'nbx:stop';

export interface ISlurmStatus {
  status: Exclude<RunStatus, 'staged'> | 'unknown';
  /** Why it waits (`Priority`, `Resources`) or why it failed (`time limit`, `exit code 1`, …). */
  reason?: string;
  /** The job as Slurm reports it; absent when unknown. */
  job?: ISlurmJob;
}

const QUEUED = [
  'PENDING',
  'CONFIGURING',
  'REQUEUED',
  'REQUEUE_FED',
  'REQUEUE_HOLD',
  'RESV_DEL_HOLD'
];
// COMPLETING: the job's processes are ending; SUSPENDED, STOPPED: paused, not over.
const RUNNING = [
  'RUNNING',
  'COMPLETING',
  'SUSPENDED',
  'STOPPED',
  'SIGNALING',
  'STAGE_OUT',
  'RESIZING'
];
const FAILED = ['FAILED', 'NODE_FAIL', 'OUT_OF_MEMORY', 'BOOT_FAIL', 'DEADLINE', 'SPECIAL_EXIT'];
// PREEMPTED and REVOKED: ended by the cluster, not by the run.
const TERMINATED = ['CANCELLED', 'PREEMPTED', 'REVOKED'];

/** The nbx status of one job. */
export function slurmStatus(job: ISlurmJob): ISlurmStatus {
  const { state } = job;
  if (QUEUED.includes(state)) {
    return { status: 'queued', ...(job.reason ? { reason: job.reason } : {}), job };
  }
  if (RUNNING.includes(state)) {
    return { status: 'running', job };
  }
  if (state === 'COMPLETED') {
    return { status: 'completed', job };
  }
  // Stopped through nbx: an interrupted job's exit (FAILED) is still a stop.
  if (TERMINATED.includes(state) || job.comment === STOP_MARK) {
    return { status: 'terminated', job };
  }
  if (state === 'TIMEOUT') {
    return { status: 'error', reason: 'time limit', job };
  }
  if (FAILED.includes(state)) {
    return { status: 'error', reason: failureReason(job), job };
  }
  return { status: 'error', reason: `Slurm state ${state}`, job };
}

/** `node failure`, `out of memory`, `exit code 2`, `signal 9`, … */
function failureReason(job: ISlurmJob): string {
  switch (job.state) {
    case 'NODE_FAIL':
      return `node failure${job.nodes ? ` (${job.nodes})` : ''}`;
    case 'OUT_OF_MEMORY':
      return 'out of memory';
    case 'BOOT_FAIL':
      return 'node boot failure';
    case 'DEADLINE':
      return 'deadline passed';
  }
  const [code, signal] = job.exitCode.split(':').map(Number);
  if (signal > 0) {
    return `signal ${signal}`;
  }
  if (code > 0) {
    return `exit code ${code}`;
  }
  return job.reason || job.state.toLowerCase();
}

/**
 * The statuses of these jobs, keyed by job id (an array's id gives one entry per task,
 * `<id>_<index>`); an id Slurm no longer knows maps to `unknown`.
 */
export async function jobStatuses(
  ids: readonly string[],
  slurm: ISlurmEnv = {}
): Promise<Map<string, ISlurmStatus>> {
  const statuses = new Map<string, ISlurmStatus>();
  const known = new Set<string>();
  for (const job of await showJobs(ids, slurm)) {
    statuses.set(job.id, slurmStatus(job));
    known.add(job.id).add(job.arrayJobId ?? job.id);
  }
  for (const id of ids) {
    if (!known.has(id)) {
      statuses.set(id, { status: 'unknown' });
    }
  }
  return statuses;
}
