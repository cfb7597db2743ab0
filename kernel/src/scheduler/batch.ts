/**
 * Trial expansion: from a notebook's flags, the `NAME=VALUE` assignments of the command
 * line (or `nbx.sweep`) and the batch options, the list of trials a batch runs.
 *
 * - No list, sequence or distribution, no batch file: a `single` run.
 * - Lists and sequences (`lr=[0.001,0.01]`, `n=range[1:3]`): a `grid`, the cartesian
 *   product of every assignment with several values, in the order the assignments are
 *   given, the FIRST varying slowest (as nested loops, the first outermost):
 *   `a=[1,2] b=[x,y]` gives a=1 b=x, a=1 b=y, a=2 b=x, a=2 b=y. With `--max-trials N`
 *   smaller than the grid, N distinct trials are sampled at random (as Guild), kept in
 *   grid order.
 * - Any distribution (`uniform[...]`, `loguniform[...]`, `int[...]`, `choice[...]`): a
 *   `random` search of exactly `--max-trials` trials (required). Each trial samples each
 *   flag in assignment order; lists and sequences in the same command are sampled as
 *   choices. Trials are independent, so a small discrete space may repeat a trial.
 * - `--batch-file`: one trial per row (`file`); command-line assignments (single values
 *   only) apply to every row and win over the file's value. `--max-trials N` keeps the
 *   first N rows.
 *
 * The value syntax is in `batch-syntax.ts`. Randomness comes from `SeededRandom`: the
 * same seed gives the same trials; without `--seed` a fresh seed is drawn and returned
 * so the batch can record it.
 */

import { UserError } from '../base/errors';
import type { IFlagDef } from '../notebook/flags';
import type { JSONValue } from '../base/json';
import { setOwn } from '../base/own';
import { readBatchFile, unknownFlagError } from './batch-file';
import type { Distribution, FlagDomain } from './batch-syntax';
import { assignmentDomain, type FlagAssignment } from './flag-input';
import { MAX_SEED, SeededRandom, randomSeed } from './random';

export type { Distribution, FlagDomain } from './batch-syntax';
export { MAX_SEQUENCE_VALUES, SWEEP_FUNCTIONS, parseFlagDomain } from './batch-syntax';
export { readBatchFile } from './batch-file';

/** The kinds of batch `expandTrials` makes. */
export type BatchKind = 'single' | 'grid' | 'random' | 'file';

/** The most trials one batch may have. */
export const MAX_TRIALS = 10000;

/** Options of `expandTrials`: the command line's batch options. */
export interface IExpandOptions {
  /** `--max-trials N`: the size of a random search; samples a larger grid; cuts a file. */
  maxTrials?: number;
  /** `--seed N`: makes random choices reproducible (an integer, 0 to 2^32-1). */
  seed?: number;
  /** `--batch-file PATH`: a `.csv` or `.json` file of trials. */
  batchFile?: string;
  /** `--force-flags`: accept names the notebook does not declare (values inferred). */
  force?: boolean;
  /** The notebook, named in the unknown-flag error. */
  notebook?: string;
  /** Directory a relative `batchFile` is read from (default: the process's). */
  cwd?: string;
}

/** The trials of a batch, and how they were made. */
export interface IBatchPlan {
  kind: BatchKind;
  /** One record per trial: the ASSIGNED flags only (the defaults fill in the rest). */
  trials: Record<string, JSONValue>[];
  /** The seed random choices used (random searches, sampled grids), else null. */
  seed: number | null;
  /** The size of the full grid for a `grid` (more than `trials.length` when sampled). */
  gridSize: number | null;
  /** The batch file the trials came from (`file`), as given. */
  batchFile: string | null;
  /** Lines to show the person, e.g. that `--max-trials` was ignored for a single run. */
  warnings: string[];
}

interface IAssigned {
  name: string;
  domain: FlagDomain;
}

function checkOptions(options: IExpandOptions): void {
  const { maxTrials, seed } = options;
  if (maxTrials !== undefined) {
    if (!Number.isSafeInteger(maxTrials) || maxTrials < 1) {
      throw new UserError(`--max-trials must be a positive integer, got ${maxTrials}`);
    }
    if (maxTrials > MAX_TRIALS) {
      throw new UserError(`--max-trials ${maxTrials} is more than the limit of ${MAX_TRIALS}`);
    }
  }
  if (seed !== undefined && (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED)) {
    throw new UserError(`--seed must be an integer from 0 to ${MAX_SEED}, got ${seed}`);
  }
}

/** The assignments as domains, by name: a later assignment of a name replaces it. */
function assignedDomains(
  defs: readonly IFlagDef[],
  assignments: readonly FlagAssignment[],
  options: IExpandOptions
): IAssigned[] {
  const byName = new Map(defs.map(def => [def.name, def]));
  const assigned = new Map<string, IAssigned>();
  for (const a of assignments) {
    const def = byName.get(a.name) ?? null;
    if (def === null && options.force !== true) {
      throw unknownFlagError(defs, a.name, options.notebook);
    }
    assigned.delete(a.name);
    assigned.set(a.name, { name: a.name, domain: assignmentDomain(def, a) });
  }
  return [...assigned.values()];
}

function sample(rng: SeededRandom, distribution: Distribution): JSONValue {
  switch (distribution.type) {
    case 'uniform':
      return distribution.low + (distribution.high - distribution.low) * rng.float();
    case 'loguniform': {
      const low = Math.log(distribution.low);
      const high = Math.log(distribution.high);
      return Math.min(distribution.high, Math.exp(low + (high - low) * rng.float()));
    }
    case 'int':
      return distribution.low + rng.below(distribution.high - distribution.low + 1);
    case 'choice':
      return distribution.values[rng.below(distribution.values.length)];
  }
}

function fileBatch(
  defs: readonly IFlagDef[],
  assigned: IAssigned[],
  batchFile: string,
  options: IExpandOptions
): IBatchPlan {
  const fixed: Record<string, JSONValue> = {};
  for (const { name, domain } of assigned) {
    if (domain.kind !== 'value') {
      throw new UserError(
        `flag '${name}' is ${domain.source}, but with --batch-file command-line flags are ` +
          `single values applied to every trial (put the values in ${batchFile})`
      );
    }
    setOwn(fixed, name, domain.value);
  }
  const rows = readBatchFile(batchFile, defs, {
    force: options.force === true,
    notebook: options.notebook,
    cwd: options.cwd
  });
  if (options.maxTrials === undefined && rows.length > MAX_TRIALS) {
    throw new UserError(
      `${batchFile} has ${rows.length} trials, more than the limit of ${MAX_TRIALS}`
    );
  }
  const trials = rows.slice(0, options.maxTrials).map(row => ({ ...row, ...fixed }));
  return { kind: 'file', trials, seed: null, gridSize: null, batchFile, warnings: [] };
}

function randomBatch(assigned: IAssigned[], options: IExpandOptions): IBatchPlan {
  if (options.maxTrials === undefined) {
    for (const { name, domain } of assigned) {
      if (domain.kind === 'distribution') {
        throw new UserError(
          `a random search needs --max-trials N (flag '${name}' is ${domain.source})`
        );
      }
    }
  }
  const maxTrials = options.maxTrials ?? 0;
  const rng = new SeededRandom(options.seed ?? randomSeed());
  const trials = Array.from({ length: maxTrials }, () => {
    const trial: Record<string, JSONValue> = {};
    for (const { name, domain } of assigned) {
      if (domain.kind === 'value') {
        setOwn(trial, name, domain.value);
      } else if (domain.kind === 'values') {
        setOwn(trial, name, domain.values[rng.below(domain.values.length)]);
      } else {
        setOwn(trial, name, sample(rng, domain.distribution));
      }
    }
    return trial;
  });
  return { kind: 'random', trials, seed: rng.seed, gridSize: null, batchFile: null, warnings: [] };
}

function gridBatch(assigned: IAssigned[], options: IExpandOptions): IBatchPlan {
  const dims = assigned.map(({ name, domain }) => ({
    name,
    values:
      domain.kind === 'values' ? domain.values : [domain.kind === 'value' ? domain.value : null]
  }));
  let size = 1;
  for (const dim of dims) {
    size *= dim.values.length;
    if (!Number.isSafeInteger(size)) {
      throw new UserError('the grid is too large; use --max-trials N to sample some of it');
    }
  }
  const trialAt = (index: number): Record<string, JSONValue> => {
    const picks: JSONValue[] = [];
    let rest = index;
    for (let d = dims.length - 1; d >= 0; d--) {
      const count = dims[d].values.length;
      picks[d] = dims[d].values[rest % count];
      rest = Math.floor(rest / count);
    }
    const trial: Record<string, JSONValue> = {};
    dims.forEach((dim, d) => {
      setOwn(trial, dim.name, picks[d]);
    });
    return trial;
  };
  const { maxTrials } = options;
  if (maxTrials !== undefined && maxTrials < size) {
    const rng = new SeededRandom(options.seed ?? randomSeed());
    const trials = rng.sampleIndices(size, maxTrials).map(trialAt);
    return { kind: 'grid', trials, seed: rng.seed, gridSize: size, batchFile: null, warnings: [] };
  }
  if (size > MAX_TRIALS) {
    throw new UserError(
      `the grid has ${size} trials, more than the limit of ${MAX_TRIALS}; ` +
        'use --max-trials N to sample some of them'
    );
  }
  const trials = Array.from({ length: size }, (_, i) => trialAt(i));
  return { kind: 'grid', trials, seed: null, gridSize: size, batchFile: null, warnings: [] };
}

/**
 * The trials of a run or batch. `assignments` are the request's flags, typed or as typed
 * (see flag-input); each trial holds the assigned flags, of the flags' types.
 *
 * Throws a one-line `UserError` before anything starts for: an unknown flag (unless
 * `force`), a value that does not coerce, an empty list, a malformed sequence or
 * distribution, a random search without `maxTrials`, a `maxTrials` that is not a positive
 * integer, a bad seed, a list or distribution together with a batch file, a bad batch
 * file, or more than `MAX_TRIALS` trials.
 */
export function expandTrials(
  defs: readonly IFlagDef[],
  assignments: readonly FlagAssignment[],
  options: IExpandOptions = {}
): IBatchPlan {
  checkOptions(options);
  const assigned = assignedDomains(defs, assignments, options);
  if (options.batchFile !== undefined) {
    return fileBatch(defs, assigned, options.batchFile, options);
  }
  if (assigned.some(a => a.domain.kind === 'distribution')) {
    return randomBatch(assigned, options);
  }
  if (assigned.some(a => a.domain.kind === 'values')) {
    return gridBatch(assigned, options);
  }
  const trial: Record<string, JSONValue> = {};
  for (const { name, domain } of assigned) {
    if (domain.kind === 'value') {
      setOwn(trial, name, domain.value);
    }
  }
  const warnings =
    options.maxTrials === undefined
      ? []
      : ['not a batch (no list of values): --max-trials ignored'];
  return { kind: 'single', trials: [trial], seed: null, gridSize: null, batchFile: null, warnings };
}
