/**
 * Running a run again. `prepareRestart` readies a finished run to execute again in its
 * own directory (the files it wrote stay, so a notebook can resume from a checkpoint;
 * changed flags are injected into its snapshot; it may move to other GPUs).
 * `rerunRequest` makes the request of a NEW run from an old run's snapshot and flags.
 */
import * as path from 'path';
import { UserError } from '../base/errors';
import { readNotebook, writeNotebookAtomic } from '../notebook/io';
import {
  injectFlags,
  notebookLanguage,
  parseAssignments,
  resolveFlagValues
} from '../notebook/flags';
import { parseFlagsCached } from '../notebook/flags-cache';
import type { INotebook } from '../notebook/nbformat';
import { archiveAttempt } from '../store/attempts';
import type { RunMeta } from '../store/meta';
import { RunDir } from '../store/run-dir';
import { effectiveStatus } from '../store/runs';
import { defaultLabel } from './label';
import { validateGpusPerTrial } from './gpu-pool';
import type { IRunRequest } from './prepare';
import { clearStopRequest } from './stop-requests';

/** What a restart may change. */
export interface IRestartRequest {
  /** `NAME=VALUE` flag changes (not for a batch). */
  flags?: string[];
  forceFlags?: boolean;
  /** CUDA_VISIBLE_DEVICES from now on ('' for none); undefined keeps the run's. */
  gpus?: string;
}

const short = (id: string): string => id.slice(0, 8);

/** Throws unless the run has ended (a run never started is started with `nbx start`). */
function checkEnded(meta: RunMeta): void {
  const status = effectiveStatus(meta);
  if (status === 'running' || status === 'queued') {
    throw new UserError(
      `run ${short(meta.id)} is ${status}; stop it first with 'nbx stop ${short(meta.id)}'`
    );
  }
  if (status === 'staged') {
    throw new UserError(
      `run ${short(meta.id)} is staged, it never ran; start it with 'nbx start ${short(meta.id)}'`
    );
  }
}

/** The fields of a record that is about to execute again. */
function requeued(m: RunMeta): RunMeta {
  return {
    ...m,
    status: 'queued',
    pid: null,
    pidStart: null,
    kernelPid: null,
    error: null,
    stopped: null,
    exitCode: null,
    progress: { cells: 0, done: 0, current: null },
    // Where it runs next is the restart's to say (a Slurm job is recorded at submission).
    slurm: null
  };
}

/** The changed flags of a restart, and the snapshot with them injected (null: none). */
function reinjectFlags(
  run: RunDir,
  meta: RunMeta,
  req: IRestartRequest
): { values: RunMeta['flags']; snapshot: INotebook | null } {
  const assignments = parseAssignments(req.flags ?? []);
  if (assignments.length === 0) {
    return { values: {}, snapshot: null };
  }
  const nb = readNotebook(run.snapshotPath);
  const language = notebookLanguage(nb, meta.kernel?.language);
  const defs = parseFlagsCached(nb, language, path.join(run.root, 'cache', 'flags'));
  const values = resolveFlagValues(defs, assignments, {
    force: req.forceFlags === true,
    notebook: meta.notebookName
  });
  return { values, snapshot: injectFlags(nb, language, values, defs) };
}

/** A pipeline executes no notebook of its own: its steps are what runs again. */
function refusePipeline(meta: RunMeta): void {
  if (meta.kind === 'pipeline') {
    throw new UserError(
      `run ${short(meta.id)} is a pipeline: restart or rerun one of its steps, or run it ` +
        `again with: ${meta.command.join(' ')}`
    );
  }
}

/**
 * Readies a finished run, or the unfinished trials of a finished batch, to execute again
 * in place: the last execution kept as an attempt (see store/attempts), status `queued`,
 * stop requests cleared, flags and GPUs changed as asked. Throws a one-line `UserError`
 * for a run that is still going or never ran.
 */
export function prepareRestart(run: RunDir, req: IRestartRequest): RunMeta {
  const meta = run.readMeta();
  checkEnded(meta);
  refusePipeline(meta);
  if (meta.kind === 'batch') {
    return prepareBatchRestart(run, meta, req);
  }
  const { values, snapshot } = reinjectFlags(run, meta, req);
  clearStopRequest(run);
  return run.updateMeta(current => {
    const m = archiveAttempt(run, current);
    if (snapshot !== null) {
      writeNotebookAtomic(run.snapshotPath, snapshot);
    }
    const flags = { ...m.flags, ...values };
    const wasDefault = m.label === null || m.label === defaultLabel(m.flags, m.flagDefaults);
    const label = wasDefault ? defaultLabel(flags, m.flagDefaults) : m.label;
    return {
      ...requeued(m),
      flags,
      label: label === '' ? null : label,
      gpus: req.gpus !== undefined ? req.gpus : m.gpus
    };
  });
}

function prepareBatchRestart(batch: RunDir, meta: RunMeta, req: IRestartRequest): RunMeta {
  if ((req.flags ?? []).length > 0) {
    throw new UserError(
      `run ${short(meta.id)} is a batch: restart one of its trials to change flags, ` +
        'or run a new sweep'
    );
  }
  const trials = meta.trials.map(id => new RunDir(batch.root, id));
  const again = trials.filter(trial => {
    try {
      return effectiveStatus(trial.readMeta()) !== 'completed';
    } catch {
      return false;
    }
  });
  if (again.length === 0) {
    throw new UserError(
      `every trial of batch ${short(meta.id)} completed; nothing to restart ` +
        '(restart or rerun a trial to run it again)'
    );
  }
  let settings = meta.batch;
  if (settings && req.gpus !== undefined) {
    const gpus = req.gpus === '' ? null : req.gpus.split(',');
    if (gpus) {
      validateGpusPerTrial(Math.max(1, settings.gpusPerTrial), gpus);
    }
    settings = { ...settings, gpus, gpusPerTrial: gpus ? Math.max(1, settings.gpusPerTrial) : 0 };
  }
  const pool = settings?.gpus?.length ? settings.gpus : null;
  for (const trial of again) {
    clearStopRequest(trial);
    trial.updateMeta(m => ({
      ...requeued(archiveAttempt(trial, m)),
      gpus: pool ? null : req.gpus !== undefined ? req.gpus : m.gpus
    }));
  }
  clearStopRequest(batch);
  return batch.updateMeta(m => ({
    ...requeued(m),
    batch: settings,
    gpus: pool ? pool.join(',') : req.gpus !== undefined ? req.gpus : m.gpus
  }));
}

/** What a rerun may change. */
export interface IRerunOptions {
  flags?: string[];
  forceFlags?: boolean;
  /** undefined: the old run's GPUs. */
  gpus?: string;
  label?: string;
  /** Tags added to the old run's. */
  tags?: string[];
  command: string[];
}

/**
 * The request of a new run made from `run`'s snapshot (its notebook as launched, flags
 * injected) with the old flags and `options.flags` over them. The new run goes to the
 * same runs root; its label and flag defaults compare with the original notebook's.
 */
export function rerunRequest(run: RunDir, options: IRerunOptions): IRunRequest {
  const meta = run.readMeta();
  refusePipeline(meta);
  if (meta.kind === 'batch') {
    throw new UserError(
      `run ${short(meta.id)} is a batch: rerun one of its trials, or start the sweep again ` +
        `with: ${meta.command.join(' ')}`
    );
  }
  if (effectiveStatus(meta) === 'staged') {
    throw new UserError(
      `run ${short(meta.id)} is staged, it never ran; start it with 'nbx start ${short(meta.id)}'`
    );
  }
  const gpus = options.gpus !== undefined ? options.gpus : meta.gpus;
  return {
    notebook: meta.notebook,
    content: readNotebook(run.snapshotPath),
    flags: parseAssignments(options.flags ?? []),
    forceFlags: options.forceFlags,
    defaults: meta.flagDefaults,
    kernel: meta.kernel?.name,
    gpus: gpus ?? undefined,
    timeoutS: meta.settings?.timeoutS ?? null,
    allowErrors: meta.settings?.allowErrors ?? false,
    label: options.label,
    tags: [...meta.tags, ...(options.tags ?? [])],
    command: options.command,
    env: { ...process.env, NBX_HOME: run.root }
  };
}
