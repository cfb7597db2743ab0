/**
 * A prepared run, or a batch's trials, handed to Slurm: the headless runner
 * (`nbx _runner RUNDIR`, or `nbx _slurm_task BATCHDIR` per task of a job array) submitted
 * with sbatch, through the site template when the placement names one. The record gets
 * the job id; the run is marked active until its end is reconciled (see reconcile.ts).
 */
import * as path from 'path';
import { NBX_CLI } from '../../base/paths';
import type { IRunSlurm, RunMeta } from '../../store/meta';
import type { RunDir } from '../../store/run-dir';
import { markActive } from './active';
import type { ISlurmEnv } from './command';
import { readTemplate, sbatchOptions, type ISlurmPlacement } from './placement';
import { submit, type IJobScript, type ISbatchOptions } from './sbatch';

/** The hidden command an array task runs: the trial of its `SLURM_ARRAY_TASK_ID`. */
export const TASK_COMMAND = '_slurm_task';

/** The job's name: the run's label, else its notebook's name. */
function jobName(meta: RunMeta): string {
  return meta.label ?? meta.notebookName;
}

function script(
  placement: ISlurmPlacement,
  command: string[],
  run: RunDir,
  meta: RunMeta
): IJobScript {
  return {
    command,
    ...(placement.template
      ? { template: readTemplate(placement.template), templateSource: placement.template }
      : {}),
    values: { run_id: run.id, run_dir: run.path, notebook: meta.notebook }
  };
}

function recorded(jobId: string, placement: ISlurmPlacement): IRunSlurm {
  return { jobId, partition: placement.partition ?? '', node: '', placement };
}

/**
 * Submits the runner of a prepared (queued) run; resolves with its record, which names the
 * job. The job's output and error go to the run's kernel.log, as a detached runner's do.
 */
export async function submitRun(
  run: RunDir,
  placement: ISlurmPlacement,
  slurm: ISlurmEnv = {}
): Promise<RunMeta> {
  const meta = run.readMeta();
  const options: ISbatchOptions = {
    ...sbatchOptions(placement),
    jobName: jobName(meta),
    workdir: run.path,
    output: run.kernelLogPath,
    error: run.kernelLogPath
  };
  const command = [process.execPath, NBX_CLI, '_runner', run.path];
  const jobId = await submit(options, script(placement, command, run, meta), slurm);
  markActive(run.root, [run.id]);
  return run.updateMeta(m => ({ ...m, slurm: recorded(jobId, placement) }));
}

/**
 * Submits a batch's trials as one job array, task i running trial i, at most `parallel`
 * at once; `placement.gpus` is per task. Task output goes to `slurm-<task>.log` in the
 * batch's directory (each trial's own output is in its run directory, as always).
 */
export async function submitBatch(
  batch: RunDir,
  trials: readonly RunDir[],
  placement: ISlurmPlacement,
  slurm: ISlurmEnv = {}
): Promise<RunMeta> {
  const meta = batch.readMeta();
  const log = path.join(batch.path, 'slurm-%a.log');
  const options: ISbatchOptions = {
    ...sbatchOptions(placement),
    jobName: jobName(meta),
    workdir: batch.path,
    output: log,
    error: log,
    array: { size: trials.length, parallel: meta.batch?.parallel ?? 1 }
  };
  const command = [process.execPath, NBX_CLI, TASK_COMMAND, batch.path];
  const arrayId = await submit(options, script(placement, command, batch, meta), slurm);
  trials.forEach((trial, i) => {
    trial.updateMeta(m => ({ ...m, slurm: recorded(`${arrayId}_${i}`, placement) }));
  });
  markActive(batch.root, [batch.id, ...trials.map(t => t.id)]);
  // The batch runs nothing itself: it is running while its array is.
  return batch.updateMeta(m => ({
    ...m,
    status: 'running',
    started: new Date().toISOString(),
    slurm: recorded(arrayId, placement)
  }));
}
