/**
 * What the runner does on a Slurm node before it executes a run: record where it runs, and
 * for a task of a job array, find its trial.
 */
import * as os from 'os';
import { UserError } from '../../base/errors';
import type { IRunSlurm } from '../../store/meta';
import { RunDir } from '../../store/run-dir';

/** Records the node (and host: the runner's liveness is checked on its host) in the run's record. */
export function recordNode(run: RunDir, env: NodeJS.ProcessEnv = process.env): void {
  if (env.SLURM_JOB_ID === undefined) {
    return;
  }
  run.updateMeta(m =>
    m.slurm
      ? {
          ...m,
          host: os.hostname(),
          slurm: {
            ...withoutQueue(m.slurm),
            node: env.SLURMD_NODENAME ?? os.hostname(),
            partition: env.SLURM_JOB_PARTITION ?? m.slurm.partition
          }
        }
      : m
  );
}

/** The job's record without its place in the queue (it has left the queue). */
function withoutQueue(slurm: IRunSlurm): IRunSlurm {
  const { queue: _queue, ...rest } = slurm;
  return rest;
}

/** The trial of `batch` that this array task runs (`SLURM_ARRAY_TASK_ID`). */
export function taskTrial(batch: RunDir, env: NodeJS.ProcessEnv = process.env): RunDir {
  const index = Number(env.SLURM_ARRAY_TASK_ID);
  const trials = batch.readMeta().trials;
  if (!Number.isInteger(index) || index < 0 || index >= trials.length) {
    throw new UserError(
      `SLURM_ARRAY_TASK_ID '${env.SLURM_ARRAY_TASK_ID ?? ''}' names no trial of batch ${batch.id}`
    );
  }
  return new RunDir(batch.root, trials[index]);
}
