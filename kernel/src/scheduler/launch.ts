/**
 * The one way to start work: a typed request — a notebook (or its unsaved content), typed
 * flag values, the sweep options, kernel, GPUs, label, tags — becomes a run or a batch of
 * trials, staged, started detached, or made ready to execute in this process (or only
 * previewed: `previewLaunch`).
 * `nbx run`, the service's `startRun`, `nbx.sweep()` and a pipeline's steps (pipeline.ts)
 * are adapters over it; a detached runner is its own process, spawned by `control.ts`.
 * What the notebook requires is resolved while planning (dependencies.ts), before any
 * kernel starts.
 *
 * A request whose flags cannot make a sweep (`maySweep`) is planned as a plain run, so a
 * foreground run starts its kernel while the flags are parsed; any other is planned as a
 * batch first. Either way the flags cell is parsed once (through the runs root's cache).
 *
 * Where it runs is the request's `placement`: this machine, or Slurm (the run prepared
 * exactly as here, then its runner submitted with sbatch; a batch's trials as one job array).
 */
import * as fs from 'fs';
import * as path from 'path';
import { UserError } from '../base/errors';
import type { RunPlacement } from '../contract/run';
import type { KernelManager } from '../protocol/manager';
import type { RunMeta } from '../store/meta';
import { RunDir } from '../store/run-dir';
import type { IBatchPlan } from './batch';
import { createBatch, planBatch, type IBatchRequest } from './batch-run';
import { startDetached } from './control';
import { assignmentText, maySweep, type FlagAssignment } from './flag-input';
import { parseGpuList, resolveGpus } from './gpu-list';
import { claimRunDir, createRunDir, materializeRun, planRun, type IRunPlan } from './prepare';
import { findIdenticalRun } from './needed';
import { launchRunKernel } from './run-kernel';
import { handOverStandby, type IStandbyTarget, type StandbyKernel } from './standby';
import { resolvePlacement, type ISlurmPlacement } from './slurm/placement';
import { submitBatch, submitRun } from './slurm/submit';

export type { FlagAssignment } from './flag-input';

/**
 * What to do with the request: `stage` writes the run (or batch) `staged` (`nbx start`
 * starts it); `detach` starts it in a runner process of its own; `foreground` writes it
 * `queued` and leaves the executing to the caller (a plain run's kernel already booting).
 */
export type LaunchMode = 'stage' | 'detach' | 'foreground';

/** A request to start work: every option a run or a sweep takes, typed. */
export interface ILaunchRequest extends Omit<
  IBatchRequest,
  'command' | 'status' | 'values' | 'defaults'
> {
  mode: LaunchMode;
  /**
   * Reuse a completed run of the same notebook (same source digest) and flags instead of
   * starting a new one (`ILaunchedRun.reused`). Not for batches.
   */
  needed?: boolean;
  /** A batch of one trial (`lr=[0.01]`) becomes one run with that trial's values. */
  oneTrialAsRun?: boolean;
  /** The command line that asked, recorded as is; default: the equivalent `nbx run`. */
  command?: string[];
  /** `detach`: a standby kernel a single run takes when it is for exactly that run. */
  standby?: StandbyKernel;
  /** Where it runs: this machine (default), or submitted to Slurm (always detached). */
  placement?: RunPlacement;
}

/** A run `launch` made. */
export interface ILaunchedRun {
  kind: 'run';
  run: RunDir;
  meta: RunMeta;
  /** Lines to show the person (e.g. the source snapshot hit its cap). */
  warnings: string[];
  /** How its dependencies were resolved (`Using run <id> for prepare.ipynb`). */
  notes: string[];
  /** `foreground`: the run's kernel, starting. */
  kernel?: Promise<KernelManager>;
  /** `needed`: an identical completed run, reused; nothing new was made. */
  reused?: boolean;
}

/** A batch `launch` made: its record lists its trials. */
export interface ILaunchedBatch {
  kind: 'batch';
  run: RunDir;
  meta: RunMeta;
  warnings: string[];
  notes: string[];
}

/** What `launch` made. */
export type Launched = ILaunchedRun | ILaunchedBatch;

/**
 * The request's GPUs normalised (`0, 2` → `0,2`); one nvidia-smi does not list (when it
 * lists any) is a one-line `UserError`.
 */
async function checkedGpus(req: ILaunchRequest): Promise<string | undefined> {
  if (!req.gpus) {
    return req.gpus;
  }
  const gpus = parseGpuList(req.gpus);
  await resolveGpus(gpus, req.env ?? process.env);
  return gpus;
}

/** True when the request may make a batch: a flag may sweep, or a batch option is given. */
function mayBeBatch(req: ILaunchRequest): boolean {
  return (
    (req.flags ?? []).some(maySweep) ||
    [
      req.batchFile,
      req.maxTrials,
      req.seed,
      req.parallel,
      req.gpusPerTrial,
      req.objective,
      req.repeat
    ].some(option => option !== undefined)
  );
}

/**
 * Plans the request and does what its `mode` says (see `LaunchMode`). Throws a one-line
 * `UserError` for bad input, before anything is written.
 */
export async function launch(req: ILaunchRequest): Promise<Launched> {
  const slurm = slurmPlacement(req);
  const mode = slurm && req.mode === 'foreground' ? 'detach' : req.mode;
  const request: IBatchRequest = {
    ...req,
    // On Slurm, a trial's GPUs are the job's (`placement.gpus`), not from a local pool.
    gpusPerTrial: slurm ? undefined : req.gpusPerTrial,
    gpus: await checkedGpus(req),
    command: req.command ?? commandLine(req),
    status: mode === 'stage' ? 'staged' : 'queued'
  };
  if (!mayBeBatch(req)) {
    return startRun(planRun(request), mode, [], {
      needed: req.needed,
      standby: req.standby,
      slurm
    });
  }
  const planned = await planBatch(request);
  const { trials } = planned;
  if (trials.kind === 'single') {
    return startRun(planned.plan, mode, trials.warnings, {
      needed: req.needed,
      standby: req.standby,
      slurm
    });
  }
  if (req.oneTrialAsRun && trials.trials.length === 1) {
    const flags: FlagAssignment[] = Object.entries(trials.trials[0]).map(([name, value]) => ({
      name,
      value
    }));
    const one = { ...request, flags: [], values: trials.trials[0] };
    one.command = req.command ?? commandLine({ ...req, flags });
    const plan = { ...planned.plan, assignments: [], req: one };
    return startRun(plan, mode, trials.warnings, {
      needed: req.needed,
      standby: req.standby,
      slurm
    });
  }
  const created = await createBatch(planned, { stage: mode === 'stage' });
  let meta = created.meta;
  if (slurm) {
    meta = await placed([created.batch, ...created.trials], () =>
      submitBatch(created.batch, created.trials, slurm, { env: planned.plan.env })
    );
  } else if (mode === 'detach') {
    startDetached(created.batch, planned.plan.env);
  }
  return {
    kind: 'batch',
    run: created.batch,
    meta,
    warnings: created.warnings,
    notes: planned.plan.deps.notes
  };
}

/**
 * The request's Slurm placement over the project's defaults, checked; null to run here.
 * Slurm takes GPUs by count (`placement.gpus`, per trial with `--gpus-per-trial`).
 */
function slurmPlacement(req: ILaunchRequest): ISlurmPlacement | null {
  if (req.placement?.on !== 'slurm') {
    return null;
  }
  if (req.mode === 'stage') {
    throw new UserError('a run on Slurm is submitted at once: --stage is for runs on this machine');
  }
  if (req.gpus !== undefined) {
    throw new UserError(
      'on Slurm, give the number of GPUs (--gpus N, --gpus-per-trial N), not a list to use'
    );
  }
  const { on: _on, ...given } = req.placement;
  const cwd = req.cwd ?? process.cwd();
  return resolvePlacement(
    { ...given, gpus: req.gpusPerTrial ?? given.gpus },
    { projectStart: path.dirname(path.resolve(cwd, req.notebook)), cwd }
  );
}

/**
 * Submits prepared runs with `submit`; if sbatch fails (Slurm unreachable, an option it
 * refuses) the runs are removed again, so nothing is left that no job will ever run.
 */
async function placed(runs: readonly RunDir[], submit: () => Promise<RunMeta>): Promise<RunMeta> {
  try {
    return await submit();
  } catch (err) {
    for (const run of runs) {
      fs.rmSync(run.path, { recursive: true, force: true });
    }
    throw err;
  }
}

/** The trials `req` makes (`nbx run --preview`), checked as `launch` checks; writes nothing. */
export async function previewLaunch(req: ILaunchRequest): Promise<IBatchPlan> {
  const slurm = slurmPlacement(req);
  const gpus = await checkedGpus(req);
  const planned = await planBatch({
    ...req,
    // As in `launch`: on Slurm a trial's GPUs are the job's, not taken from a local pool.
    gpusPerTrial: slurm ? undefined : req.gpusPerTrial,
    gpus,
    command: req.command ?? commandLine(req)
  });
  return planned.trials;
}

/**
 * Writes a planned run and starts it as `mode` says. In the foreground the kernel boots
 * while the flags are injected and the sources copied; if that fails, the kernel is
 * killed and the run directory removed before the error is thrown. With `needed`, the
 * run is written first and, when an identical completed run exists, removed again and
 * that run returned (`reused`); its kernel starts only when it is not.
 */
export async function startRun(
  plan: IRunPlan,
  mode: LaunchMode,
  warnings: readonly string[],
  options: { needed?: boolean; standby?: StandbyKernel; slurm?: ISlurmPlacement | null } = {}
): Promise<ILaunchedRun> {
  // A run on Slurm starts its kernel on a node: a standby kernel here is not for it.
  const standby =
    mode === 'detach' && !options.slurm
      ? (options.standby?.take(standbyTarget(plan)) ?? null)
      : null;
  const run = standby ? claimRunDir(plan, standby.run) : createRunDir(plan);
  const early = mode === 'foreground' && options.needed !== true;
  let kernel = early ? launchRunKernel(run, plan.env) : undefined;
  const notes = plan.deps.notes;
  let meta: RunMeta;
  let more: string[];
  try {
    ({ meta, warnings: more } = await materializeRun(plan, run));
  } catch (err) {
    await kernel?.then(
      k => k.kill(),
      () => undefined
    );
    await standby?.runner.kill();
    fs.rmSync(run.path, { recursive: true, force: true });
    throw err;
  }
  if (options.needed === true) {
    const same = findIdenticalRun(run.root, meta);
    if (same !== null) {
      await standby?.runner.kill();
      fs.rmSync(run.path, { recursive: true, force: true });
      const reused = new RunDir(run.root, same.id);
      return { kind: 'run', run: reused, meta: same, warnings: [...warnings], notes, reused: true };
    }
    kernel = mode === 'foreground' ? launchRunKernel(run, plan.env) : undefined;
  }
  const slurm = options.slurm;
  if (slurm) {
    meta = await placed([run], () => submitRun(run, slurm, { env: plan.env }));
  } else if (standby) {
    await handOverStandby(standby, plan.env);
  } else if (mode === 'detach') {
    startDetached(run, plan.env);
  }
  return { kind: 'run', run, meta, warnings: [...warnings, ...more], notes, kernel };
}

/** What a standby kernel for a run of `plan` is started for (see standby.ts). */
export function standbyTarget(plan: IRunPlan): IStandbyTarget {
  return {
    root: plan.root,
    notebook: plan.notebookPath,
    kernel: plan.spec.name,
    gpus: plan.req.gpus ?? null,
    env: plan.env
  };
}

/** The `nbx run` command line that asks for what `req` asks (recorded in the run). */
export function commandLine(req: ILaunchRequest): string[] {
  const args = ['nbx', 'run', req.notebook, ...(req.flags ?? []).map(assignmentText)];
  for (const [notebook, run] of Object.entries(req.pins ?? {})) {
    args.push(`${notebook}=${run}`);
  }
  if (req.mode !== 'foreground') {
    args.push(`--${req.mode}`);
  }
  const valued: [string, string | number | null | undefined][] = [
    ['--kernel', req.kernel],
    ['--timeout', req.timeoutS],
    ['--label', req.label],
    ['--max-trials', req.maxTrials],
    ['--seed', req.seed],
    ['--batch-file', req.batchFile],
    ['--parallel', req.parallel],
    ['--gpus-per-trial', req.gpusPerTrial],
    ['--objective', req.objective],
    ['--repeat', req.repeat]
  ];
  for (const [option, value] of valued) {
    if (value !== undefined && value !== null && value !== '') {
      args.push(option, String(value));
    }
  }
  if (req.gpus !== undefined) {
    args.push(...(req.gpus === '' ? ['--no-gpus'] : ['--gpus', req.gpus]));
  }
  for (const [option, on] of [
    ['--allow-errors', req.allowErrors],
    ['--force-flags', req.forceFlags],
    ['--needed', req.needed],
    ['--copy-deps', req.copyDeps]
  ] as const) {
    if (on === true) {
      args.push(option);
    }
  }
  for (const tag of req.tags ?? []) {
    args.push('--tag', tag);
  }
  if (req.placement?.on === 'slurm') {
    const { partition, time, gpus, cpus, mem, template } = req.placement;
    args.push('--on', 'slurm');
    for (const [option, value] of [
      ['--partition', partition],
      ['--time', time],
      ['--gpus', gpus],
      ['--cpus', cpus],
      ['--mem', mem],
      ['--template', template]
    ] as const) {
      if (value !== undefined && value !== '') {
        args.push(option, String(value));
      }
    }
  }
  return args;
}
