/**
 * A batch as runs: `nbx run NB lr=[0.001,0.01] ...` becomes a parent run (`kind:
 * 'batch'`, which executes no notebook itself and lists its trials) and one ordinary run
 * per trial (`parent` set, its flags injected), all written up front, `queued` (or
 * `staged`). The queue in `queue.ts` then executes the trials.
 *
 * `planBatch` checks everything and writes nothing (so `--preview` and every bad input
 * leave no trace); `createBatch` writes the batch and its trials, removing them all again
 * if one cannot be written.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { UserError } from '../base/errors';
import { notebookLanguage } from '../notebook/flags';
import { parseFlagsCached, writeFlagsCache } from '../notebook/flags-cache';
import type { JSONValue } from '../base/json';
import type { IRunBatch, RunMeta } from '../store/meta';
import { createRun, RunDir } from '../store/run-dir';
import { gitInfo } from '../tracking/git';
import { queryGpus } from '../tracking/gpus';
import { expandTrials, type IBatchPlan } from './batch';
import { validateGpusPerTrial } from './gpu-pool';
import { createRunDir, materializeRun, planRun, type IRunPlan, type IRunRequest } from './prepare';
import { assignmentText } from './flag-input';
import { objectiveOption } from './objective';

/** `nbx run` with the batch options. */
export interface IBatchRequest extends IRunRequest {
  maxTrials?: number;
  seed?: number;
  batchFile?: string;
  /** Trials run at once (default 1). */
  parallel?: number;
  /** GPUs each trial gets from the pool (default 1 when GPUs are listed). */
  gpusPerTrial?: number;
  /** `#loss` (lowest best) or `-#acc` (highest best), as `--sort` orders. */
  objective?: string;
  /** Runs of each configuration (`--repeat`, default 1): replicates, recorded as such. */
  repeat?: number;
}

/** What a checked batch request becomes. */
export interface IPlannedBatch {
  plan: IRunPlan;
  /** The trials (`kind: 'single'` when the request is a plain run). */
  trials: IBatchPlan;
  /** The batch's settings as its record keeps them. */
  settings: IRunBatch;
  /** The assignments as `nbx run` takes them (for the batch's label). */
  assignments: string[];
}

function checkCount(option: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < 1)) {
    throw new UserError(`${option} must be a positive integer, got ${value}`);
  }
}

/** The GPUs the trials share: `--gpus`, else (with `--gpus-per-trial`) all nvidia-smi finds. */
async function poolOf(req: IBatchRequest, env: NodeJS.ProcessEnv): Promise<string[] | null> {
  if (req.gpus === '') {
    if (req.gpusPerTrial !== undefined) {
      throw new UserError('--gpus-per-trial needs GPUs, but --no-gpus hides them all');
    }
    return null;
  }
  if (req.gpus !== undefined) {
    const gpus = req.gpus.split(',');
    validateGpusPerTrial(req.gpusPerTrial ?? 1, gpus);
    return gpus;
  }
  if (req.gpusPerTrial === undefined) {
    return null;
  }
  const found = await queryGpus({ env });
  const gpus = found.gpus.map(g => String(g.index));
  validateGpusPerTrial(req.gpusPerTrial, gpus, 'nvidia-smi');
  return gpus;
}

const flagsCacheDir = (plan: IRunPlan): string => path.join(plan.root, 'cache', 'flags');

/**
 * Checks a run or batch request and expands its trials; throws a one-line `UserError`
 * for bad input. Writes nothing.
 */
export async function planBatch(req: IBatchRequest): Promise<IPlannedBatch> {
  checkCount('--parallel', req.parallel);
  checkCount('--gpus-per-trial', req.gpusPerTrial);
  checkCount('--repeat', req.repeat);
  const objective = req.objective === undefined ? null : objectiveOption(req.objective).text;
  const plan = planRun(req);
  const language = notebookLanguage(plan.notebook, plan.spec.language);
  // The cache is read, not written: a bad request leaves nothing behind.
  const defs = parseFlagsCached(plan.notebook, language, flagsCacheDir(plan), { write: false });
  const notebook = path.basename(plan.notebookPath);
  const trials = expandTrials(defs, plan.assignments, {
    maxTrials: req.maxTrials,
    seed: req.seed,
    batchFile: req.batchFile,
    force: req.forceFlags === true,
    notebook,
    cwd: req.cwd
  });
  const gpus = await poolOf(req, plan.env);
  const repeat = req.repeat ?? 1;
  const planned = repeat > 1 ? repeated(trials, repeat) : trials;
  if (planned.kind === 'single') {
    for (const [option, given] of [
      ['--parallel', req.parallel],
      ['--gpus-per-trial', req.gpusPerTrial],
      ['--seed', req.seed]
    ] as const) {
      if (given !== undefined) {
        planned.warnings.push(`not a batch (no list of values): ${option} ignored`);
      }
    }
  }
  return {
    plan: { ...plan, defs },
    trials: planned,
    settings: {
      kind: planned.kind === 'single' ? 'grid' : planned.kind,
      seed: planned.seed,
      parallel: req.parallel ?? 1,
      gpus,
      gpusPerTrial: gpus === null ? 0 : (req.gpusPerTrial ?? 1),
      objective,
      ...(repeat > 1 ? { repeat } : {})
    },
    assignments: (req.flags ?? []).map(assignmentText)
  };
}

/**
 * Each trial `repeat` times in a row (a single run's values become a batch of replicates):
 * trial i of the batch is replicate `i % repeat` of configuration `i / repeat`.
 */
function repeated(trials: IBatchPlan, repeat: number): IBatchPlan {
  return {
    ...trials,
    kind: trials.kind === 'single' ? 'grid' : trials.kind,
    trials: trials.trials.flatMap(values => Array.from({ length: repeat }, () => values))
  };
}

/** The key shared by the replicates of one configuration: a digest of its flag values. */
function configKey(values: Record<string, JSONValue>): string {
  const sorted = Object.keys(values)
    .sort()
    .map(name => [name, values[name]]);
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex').slice(0, 12);
}

/** The batch's label: `--label` when it names no flag, else what the sweep varies. */
function batchLabel(planned: IPlannedBatch): string {
  const { req } = planned.plan;
  if (req.label !== undefined && !req.label.includes('${')) {
    return req.label;
  }
  const count = `${planned.trials.trials.length} trials`;
  if (planned.trials.batchFile !== null) {
    const rest = planned.assignments.length ? ` ${planned.assignments.join(' ')}` : '';
    return `${count} from ${path.basename(planned.trials.batchFile)}${rest}`;
  }
  const { repeat } = planned.settings;
  if (planned.assignments.length === 0) {
    return repeat ? `${repeat} repeats` : count;
  }
  return `sweep ${planned.assignments.join(' ')}${repeat ? ` x${repeat}` : ''}`;
}

/** A batch written to disk. */
export interface ICreatedBatch {
  batch: RunDir;
  meta: RunMeta;
  trials: RunDir[];
  warnings: string[];
}

/**
 * Writes the batch and its trials, `queued` (or `staged` with `stage`). Each trial is
 * prepared like a run (snapshot with its flags injected, sources, git state) from the
 * flags parsed once for the whole batch. On an error everything written is removed.
 */
export async function createBatch(
  planned: IPlannedBatch,
  options: { stage?: boolean } = {}
): Promise<ICreatedBatch> {
  const { plan, settings } = planned;
  const { req, spec } = plan;
  const status = options.stage ? 'staged' : 'queued';
  const batch = createRun(plan.root, {
    notebook: plan.notebookPath,
    notebookName: path.basename(plan.notebookPath),
    kernel: { name: spec.name, displayName: spec.displayName, language: spec.language },
    status,
    kind: 'batch',
    // The pipeline the sweep is a step of, if any.
    parent: req.parent ?? null,
    batch: settings,
    gpus: settings.gpus === null ? (req.gpus ?? null) : settings.gpus.join(','),
    command: req.command,
    host: os.hostname(),
    label: batchLabel(planned),
    tags: [...new Set(req.tags ?? [])],
    settings: { timeoutS: req.timeoutS ?? null, allowErrors: req.allowErrors ?? false }
  });
  const trials: RunDir[] = [];
  const warnings = new Set<string>(planned.trials.warnings);
  if (plan.defs) {
    const language = notebookLanguage(plan.notebook, spec.language);
    writeFlagsCache(plan.notebook, language, flagsCacheDir(plan), plan.defs);
  }
  try {
    const git = gitInfo(path.dirname(plan.notebookPath), { exclude: [plan.root], env: plan.env });
    for (const [i, values] of planned.trials.trials.entries()) {
      const trialPlan: IRunPlan = {
        ...plan,
        assignments: [],
        git,
        req: {
          ...req,
          flags: [],
          values,
          parent: batch.id,
          status,
          // Trials on the pool get their GPUs when they start.
          gpus: settings.gpus === null ? req.gpus : undefined
        }
      };
      const run = createRunDir(trialPlan);
      trials.push(run);
      const prepared = await materializeRun(trialPlan, run);
      prepared.warnings.forEach(w => warnings.add(w));
      if (settings.repeat) {
        const repeat = i % settings.repeat;
        // The replicates share their label; the number tells them apart in lists.
        run.updateMeta(m => ({
          ...m,
          repeat,
          config: configKey(values),
          label: `${m.label ?? ''} #${repeat + 1}`.trim()
        }));
      }
    }
  } catch (err) {
    for (const run of [batch, ...trials]) {
      fs.rmSync(run.path, { recursive: true, force: true });
    }
    throw err;
  }
  // Creation times a millisecond apart, latest first: the batch, then trial 1, 2, ... so
  // the latest-first list numbers them in trial order under their batch.
  const last = trials.length ? Date.parse(trials[trials.length - 1].readMeta().created) : 0;
  const base = Math.max(Date.now(), last + 1);
  trials.forEach((trial, i) => {
    trial.updateMeta({ created: new Date(base + trials.length - 1 - i).toISOString() });
  });
  const meta = batch.updateMeta(m => ({
    ...m,
    trials: trials.map(t => t.id),
    created: new Date(base + trials.length).toISOString()
  }));
  return { batch, meta, trials, warnings: [...warnings] };
}
