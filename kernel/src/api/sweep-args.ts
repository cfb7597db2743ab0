/**
 * `nbx.sweep(notebook, flags, options)` as a launch request: the flags as typed
 * assignments, the options as the request's fields, checked before anything starts.
 *
 * The value rules:
 *
 * - An ARRAY is always a sweep over its items: `{ lr: [0.001, 0.01] }` is one trial per
 *   item (a grid with the other arrays).
 * - A list-typed flag's values are themselves arrays, so a sweep over them is an array of
 *   arrays: `{ layers: [[64, 32], [128]] }` is two trials, `{ layers: [[64, 32]] }` one.
 *   `{ layers: [64, 32] }` for a list flag is refused when the notebook's flags are read
 *   (it would contradict the first rule).
 * - A string that is exactly a sweep expression (`loguniform[1e-4:1e-1]`, `uniform[a:b]`,
 *   `int[a:b]`, `choice[a,b]`, `range[a:b:s]`, `linspace[..]`, `logspace[..]`) is that
 *   expression (use it with `maxTrials` for a random search); any other string is one
 *   literal value (`'[a,b]'` stays a string).
 * - Numbers, booleans and null are one value each.
 */
import type { ISlurmPlacement } from '../contract/run';
import type { JSONValue } from '../base/json';
import type { FlagAssignment, ILaunchRequest } from '../scheduler/launch';

/** A flag's value in `nbx.sweep`: one value, or an array of values to sweep over. */
export type SweepFlagValue = JSONValue | JSONValue[];

/** Options of `nbx.sweep` (each is the `nbx run` option of the same name). */
export interface ISweepOptions {
  /** `--parallel N`: trials run at once (the CLI's default when omitted). */
  parallel?: number;
  /** `--gpus 0,1`: the GPUs the trials share, as numbers or the CLI's text. */
  gpus?: number[] | string;
  /** `--gpus-per-trial N`: GPUs each trial gets from `gpus`. */
  gpusPerTrial?: number;
  /** `--label TEXT` (`${flag}` inserts a flag value). */
  label?: string;
  /** `--tag T`, one per tag. */
  tags?: string[];
  /** `--max-trials N`: the size of a random search, or samples a larger grid. */
  maxTrials?: number;
  /** `--seed N`: makes random choices reproducible. */
  seed?: number;
  /** `--kernel NAME`: the kernel instead of the notebook's own. */
  kernel?: string;
  /** `#loss` (minimise loss) or `-#acc` (maximise acc), as `--sort` orders: the best trial shown. */
  objective?: string;
  /** `--repeat N`: each configuration run N times (replicates). */
  repeat?: number;
  /**
   * `--on slurm`: the trials as one Slurm job array, with these options (`{ partition,
   * time, gpus, cpus, mem, template }`; `gpus` per trial); `true` for the project's defaults.
   */
  slurm?: ISlurmPlacement | true;
}

/** The options of a launch request that `nbx.sweep`'s options set. */
export type SweepRequestOptions = Pick<
  ILaunchRequest,
  | 'parallel'
  | 'gpus'
  | 'gpusPerTrial'
  | 'label'
  | 'tags'
  | 'maxTrials'
  | 'seed'
  | 'kernel'
  | 'objective'
  | 'repeat'
  | 'placement'
>;

/** The names of the sweep functions (see scheduler/batch-syntax). */
const SWEEP_EXPRESSION =
  /^(range|linspace|logspace|uniform|loguniform|log-uniform|int|choice)\[[\s\S]*\]$/;

/** An error in the arguments of `nbx.sweep`, before anything starts. */
export class SweepArgumentError extends Error {
  constructor(message: string) {
    super(`nbx.sweep: ${message}`);
    this.name = 'SweepArgumentError';
  }
}

function describe(value: unknown): string {
  if (value === null) {
    return 'null';
  }
  if (Array.isArray(value)) {
    return 'an array';
  }
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function checkValue(name: string, value: unknown): void {
  if (Array.isArray(value)) {
    value.forEach(v => checkValue(name, v));
    return;
  }
  const ok =
    value === null ||
    typeof value === 'number' ||
    typeof value === 'string' ||
    typeof value === 'boolean';
  if (!ok) {
    throw new SweepArgumentError(
      `flag '${name}' has ${describe(value)} value; flag values are numbers, strings, ` +
        'booleans, null, or arrays of them'
    );
  }
}

/**
 * The assignment of one flag (see the module comment). Throws a `SweepArgumentError` for
 * values that are not flag values and for an empty array.
 */
export function flagAssignment(name: string, value: SweepFlagValue): FlagAssignment {
  checkValue(name, value);
  if (typeof value === 'string' && SWEEP_EXPRESSION.test(value.trim())) {
    return { name, raw: value.trim() };
  }
  if (!Array.isArray(value)) {
    return { name, value };
  }
  if (value.length === 0) {
    throw new SweepArgumentError(
      `flag '${name}' has an empty array: an array is a sweep over its values, and there are none`
    );
  }
  return { name, values: value };
}

/** The assignments of every flag, in the object's order. */
export function flagAssignments(flags: Record<string, SweepFlagValue>): FlagAssignment[] {
  if (typeof flags !== 'object' || flags === null || Array.isArray(flags)) {
    throw new SweepArgumentError(
      `flags must be an object such as { lr: [0.001, 0.01] }, got ${describe(flags)}`
    );
  }
  return Object.entries(flags).map(([name, value]) => flagAssignment(name, value));
}

function positiveInteger(option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new SweepArgumentError(`${option} must be a whole number above 0, got ${String(value)}`);
  }
  return value;
}

function gpusText(gpus: unknown): string {
  if (Array.isArray(gpus)) {
    if (gpus.length === 0 || !gpus.every(g => Number.isSafeInteger(g) && (g as number) >= 0)) {
      throw new SweepArgumentError(
        `gpus must be GPU indices such as [0, 1] or a string such as '0,1', got ${JSON.stringify(gpus)}`
      );
    }
    return gpus.join(',');
  }
  if (typeof gpus === 'string') {
    return gpus;
  }
  throw new SweepArgumentError('gpus must be an array of numbers or a string');
}

function text(option: string, value: unknown): string {
  if (typeof value !== 'string') {
    throw new SweepArgumentError(`${option} must be a string`);
  }
  return value;
}

/** The request's options for `options`, checked. */
export function sweepRequestOptions(options: ISweepOptions): SweepRequestOptions {
  const out: SweepRequestOptions = {};
  if (options.parallel !== undefined) {
    out.parallel = positiveInteger('parallel', options.parallel);
  }
  if (options.gpus !== undefined) {
    out.gpus = gpusText(options.gpus);
  }
  if (options.gpusPerTrial !== undefined) {
    out.gpusPerTrial = positiveInteger('gpusPerTrial', options.gpusPerTrial);
  }
  if (options.maxTrials !== undefined) {
    out.maxTrials = positiveInteger('maxTrials', options.maxTrials);
  }
  if (options.seed !== undefined) {
    if (!Number.isSafeInteger(options.seed) || options.seed < 0) {
      throw new SweepArgumentError(`seed must be a whole number, got ${String(options.seed)}`);
    }
    out.seed = options.seed;
  }
  if (options.label !== undefined) {
    out.label = text('label', options.label);
  }
  if (options.kernel !== undefined) {
    out.kernel = text('kernel', options.kernel);
  }
  if (options.objective !== undefined) {
    out.objective = text('objective', options.objective);
  }
  if (options.repeat !== undefined) {
    out.repeat = positiveInteger('repeat', options.repeat);
  }
  if (options.slurm !== undefined) {
    if (options.slurm !== true && (typeof options.slurm !== 'object' || options.slurm === null)) {
      throw new SweepArgumentError('slurm must be true or an object such as { time: "60" }');
    }
    out.placement = { on: 'slurm', ...(options.slurm === true ? {} : options.slurm) };
  }
  if (options.tags !== undefined) {
    out.tags = options.tags.map(tag => {
      if (typeof tag !== 'string') {
        throw new SweepArgumentError('tags must be strings');
      }
      return tag;
    });
  }
  return out;
}
