/**
 * `nbx.sweep(notebook, flags, options)` as an `nbx run` command line: the flags as
 * `NAME=VALUE` assignments, the options as `--parallel`, `--gpus`, ...
 *
 * The value rules (the CLI's, seen from JavaScript):
 *
 * - An ARRAY is always a sweep over its items: `{ lr: [0.001, 0.01] }` is
 *   `lr=[0.001,0.01]`, one trial per item (a grid with the other arrays).
 * - A list-typed flag's values are themselves arrays, so a sweep over them is an array of
 *   arrays: `{ layers: [[64, 32], [128]] }` is two trials, `{ layers: [[64, 32]] }` one.
 *   `{ layers: [64, 32] }` for a list flag is refused (the CLI would read it as ONE value,
 *   contradicting the first rule).
 * - A string that is exactly a sweep expression (`loguniform[1e-4:1e-1]`, `uniform[a:b]`,
 *   `int[a:b]`, `choice[a,b]`, `range[a:b:s]`, `linspace[..]`, `logspace[..]`) is passed
 *   as that expression (use it with `maxTrials` for a random search); any other string is
 *   one literal value (quoted, so `'[a,b]'` stays a string).
 * - Numbers, booleans and null are one value each.
 */
import type { JSONValue } from '../base/json';

/** A flag's value in `nbx.sweep`: one value, or an array of values to sweep over. */
export type SweepFlagValue = JSONValue | JSONValue[];

/** Options of `nbx.sweep` (each maps to the `nbx run` option of the same name). */
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
}

/** The names of the sweep functions the CLI reads in a value (see scheduler/batch-syntax). */
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

/** A number as the CLI spells it (`nan`, `inf` for the non-finite ones, which it refuses). */
function numberText(n: number): string {
  if (Number.isNaN(n)) {
    return 'nan';
  }
  if (!Number.isFinite(n)) {
    return n > 0 ? 'inf' : '-inf';
  }
  return String(n);
}

/**
 * A string quoted so that the CLI reads it back exactly as one value (it strips one
 * pair of surrounding quotes without unescaping). Inside a sweep list the quotes must
 * also balance, so a string holding both kinds of quote cannot be given there.
 */
function quoted(name: string, s: string, inList: boolean): string {
  if (!inList) {
    return `"${s}"`;
  }
  for (const q of ['"', "'"]) {
    if (!s.includes(q) && !s.endsWith('\\')) {
      return `${q}${s}${q}`;
    }
  }
  throw new SweepArgumentError(
    `flag '${name}': the string ${JSON.stringify(s)} can't be a value in a sweep ` +
      '(it holds both kinds of quote or ends with a backslash)'
  );
}

/** A list value (a list flag's value) in the CLI's list syntax: JSON-like, strings escaped. */
function listText(name: string, value: JSONValue[]): string {
  const item = (v: JSONValue): string => {
    if (Array.isArray(v)) {
      return listText(name, v);
    }
    if (typeof v === 'string') {
      return `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
    }
    return scalarText(name, v, true);
  };
  return `[${value.map(item).join(',')}]`;
}

function notAFlagValue(name: string, value: unknown): SweepArgumentError {
  return new SweepArgumentError(
    `flag '${name}' has ${describe(value)} value; flag values are numbers, strings, ` +
      'booleans, null, or arrays of them'
  );
}

function scalarText(name: string, value: JSONValue, inList: boolean): string {
  if (typeof value === 'number') {
    return numberText(value);
  }
  if (typeof value === 'boolean') {
    return value ? 'true' : 'false';
  }
  if (value === null) {
    return 'null';
  }
  if (typeof value === 'string') {
    return quoted(name, value, inList);
  }
  if (Array.isArray(value)) {
    return listText(name, value);
  }
  throw notAFlagValue(name, value);
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
    throw notAFlagValue(name, value);
  }
}

/**
 * The `NAME=VALUE` assignment of one flag. `isList` says whether the notebook declares
 * `name` as a list flag (its default is a list); null when unknown (then the CLI decides).
 * Throws a `SweepArgumentError` for values that are not flag values, for an empty array,
 * and for a list flag given an array of non-arrays.
 */
export function flagAssignment(
  name: string,
  value: SweepFlagValue,
  isList: boolean | null
): string {
  checkValue(name, value);
  if (typeof value === 'string' && SWEEP_EXPRESSION.test(value.trim())) {
    return `${name}=${value.trim()}`;
  }
  if (!Array.isArray(value)) {
    return `${name}=${scalarText(name, value, false)}`;
  }
  if (value.length === 0) {
    throw new SweepArgumentError(
      `flag '${name}' has an empty array: an array is a sweep over its values, and there are none`
    );
  }
  if (isList === true && !value.every(Array.isArray)) {
    const example = JSON.stringify(value);
    throw new SweepArgumentError(
      `flag '${name}' is a list flag, and an array in nbx.sweep is always a sweep over ` +
        `values: give ${name}: [${example}] for the one value ${example}, or an array of ` +
        `lists to sweep over (${name}: [[64, 32], [128]] is two trials)`
    );
  }
  const items = value.map(v => (Array.isArray(v) ? listText(name, v) : scalarText(name, v, true)));
  return `${name}=[${items.join(',')}]`;
}

/** The assignments of every flag, in the object's order. */
export function flagAssignments(
  flags: Record<string, SweepFlagValue>,
  listFlags: ReadonlySet<string> | null
): string[] {
  if (typeof flags !== 'object' || flags === null || Array.isArray(flags)) {
    throw new SweepArgumentError(
      `flags must be an object such as { lr: [0.001, 0.01] }, got ${describe(flags)}`
    );
  }
  return Object.entries(flags).map(([name, value]) =>
    flagAssignment(name, value, listFlags === null ? null : listFlags.has(name))
  );
}

/** True when some flag needs to know whether it is a list flag (an array of non-arrays). */
export function needsFlagTypes(flags: Record<string, SweepFlagValue>): boolean {
  return (
    typeof flags === 'object' &&
    flags !== null &&
    Object.values(flags).some(v => Array.isArray(v) && !v.every(Array.isArray))
  );
}

function positiveInteger(option: string, value: unknown): string {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new SweepArgumentError(`${option} must be a whole number above 0, got ${String(value)}`);
  }
  return String(value);
}

function gpusArgs(gpus: unknown): string[] {
  if (Array.isArray(gpus)) {
    if (gpus.length === 0 || !gpus.every(g => Number.isSafeInteger(g) && (g as number) >= 0)) {
      throw new SweepArgumentError(
        `gpus must be GPU indices such as [0, 1] or a string such as '0,1', got ${JSON.stringify(gpus)}`
      );
    }
    return ['--gpus', gpus.join(',')];
  }
  if (typeof gpus === 'string') {
    return ['--gpus', gpus];
  }
  throw new SweepArgumentError('gpus must be an array of numbers or a string');
}

/** The `nbx run` options for `options` (after the notebook and assignments). */
export function optionArgs(options: ISweepOptions): string[] {
  const args: string[] = [];
  if (options.parallel !== undefined) {
    args.push('--parallel', positiveInteger('parallel', options.parallel));
  }
  if (options.gpus !== undefined) {
    args.push(...gpusArgs(options.gpus));
  }
  if (options.gpusPerTrial !== undefined) {
    args.push('--gpus-per-trial', positiveInteger('gpusPerTrial', options.gpusPerTrial));
  }
  if (options.maxTrials !== undefined) {
    args.push('--max-trials', positiveInteger('maxTrials', options.maxTrials));
  }
  if (options.seed !== undefined) {
    if (!Number.isSafeInteger(options.seed) || options.seed < 0) {
      throw new SweepArgumentError(`seed must be a whole number, got ${String(options.seed)}`);
    }
    args.push('--seed', String(options.seed));
  }
  // `--option=value`: a value starting with '-' (`-#loss`) is not read as an option.
  for (const [option, value] of [
    ['--label', options.label],
    ['--kernel', options.kernel],
    ['--objective', options.objective]
  ] as const) {
    if (value !== undefined) {
      if (typeof value !== 'string') {
        throw new SweepArgumentError(`${option.slice(2)} must be a string`);
      }
      args.push(`${option}=${value}`);
    }
  }
  for (const tag of options.tags ?? []) {
    if (typeof tag !== 'string') {
      throw new SweepArgumentError('tags must be strings');
    }
    args.push(`--tag=${tag}`);
  }
  return args;
}
