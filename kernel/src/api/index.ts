/**
 * The in-notebook API: what a notebook gets from `import * as nbx from "nbx"`.
 *
 * ```ts
 * import * as nbx from 'nbx';
 * for (let step = 0; step < 100; step++) {
 *   nbx.log({ loss: 1 / (step + 1), acc: step / 100 }, step);
 * }
 * nbx.attr('best_epoch', 42);
 * ```
 *
 * Inside a run (the runner sets `NBX_RUN_DIR`), points go to the run's scalar log
 * `scalars/api-<pid>.nbxs`: buffered in memory and written when 1 MiB is buffered, at the
 * latest a second after they were logged (from a timer, or from `log` itself while a long
 * synchronous loop keeps timers from running), on `flush()`, and when the process exits. The
 * runner reads them into `meta.json` (`scalars` summaries, `attrs`) while the run runs.
 * Outside a run, `log` and `attr` do nothing and the first call prints one warning.
 *
 * `nbx.sweep(notebook, flags, options)` starts a batch of headless trials from a cell and
 * shows their progress in the cell's output (see `sweep.ts`).
 *
 * `nbx.runs(where?)` returns the runs index as an Arrow table, `nbx.scalars(run, key?)` a
 * run's points, and `nbx.compare(runs?, options?)` shows runs side by side in the cell's
 * output (see `runs.ts`, `compare.ts`). The API is TypeScript/JavaScript only (tslab); a
 * Python notebook uses the CLI (`!nbx runs --json`, `!nbx compare --csv`).
 *
 * Loads only node:fs, node:path and the scalar log format: importing it costs nothing
 * (`sweep`, `runs`, `scalars` and `compare` load their modules on first call).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { JSONValue } from '../base/json';
import type { ISweepOptions, SweepFlagValue } from './sweep-args';
import type { Sweep } from './sweep';
import type { CompareRuns, ICompareOptions } from './compare-options';
import type { INbxTable } from './notebook-table';
import { apiScalarLogName, scalarsDir, ScalarLogWriter } from '../tracking/scalars-format';

export type { JSONValue } from '../base/json';
export type { ISweepOptions, SweepFlagValue } from './sweep-args';
export type { ISweepStatus, ISweepTrialStatus, Sweep } from './sweep';
export type { ISweepColumn, ISweepTable, SweepCell, SweepRow } from './sweep-table';
export type { CompareRuns, ICompareOptions, IRunsTableLike } from './compare-options';
export type { INbxTable, ITableColumn, TableCell, TableRow } from './notebook-table';

/** Unwritten points are written at most this long after the first of them (ms). */
const FLUSH_INTERVAL_MS = 1000;

interface IApiState {
  dir: string;
  writer: ScalarLogWriter;
  /** Step of the next `log` without a step. */
  nextStep: number;
  timer: NodeJS.Timeout | null;
  /** When the buffer was last written (ms since the epoch). */
  flushed: number;
}

/** undefined: not looked up yet; null: not in a run. */
let state: IApiState | null | undefined;
const warned = new Set<string>();

function warnOnce(id: string, message: string): void {
  if (!warned.has(id)) {
    warned.add(id);
    process.stderr.write(`nbx: warning: ${message}\n`);
  }
}

function currentState(): IApiState | null {
  if (state === undefined) {
    state = openState();
  }
  return state;
}

function openState(): IApiState | null {
  const dir = runDir();
  if (dir === null) {
    warnOnce(
      'no-run',
      'not running as an nbx run (NBX_RUN_DIR is not set): nbx.log and nbx.attr record nothing'
    );
    return null;
  }
  let isDir = false;
  try {
    isDir = fs.statSync(dir).isDirectory();
  } catch {
    // reported below
  }
  if (!isDir) {
    warnOnce(
      'no-run',
      `the run directory ${dir} (NBX_RUN_DIR) does not exist: nbx.log and nbx.attr record nothing`
    );
    return null;
  }
  const writer = new ScalarLogWriter(path.join(scalarsDir(dir), apiScalarLogName(process.pid)), {
    onError: err => warnOnce('write', `could not write scalars to ${dir}: ${err.message}`)
  });
  const s: IApiState = { dir, writer, nextStep: 0, timer: null, flushed: Date.now() };
  process.on('beforeExit', flush);
  process.on('exit', flush);
  return s;
}

function flushState(s: IApiState, now: number): void {
  s.flushed = now;
  s.writer.flush();
}

function scheduleFlush(s: IApiState): void {
  s.timer = setTimeout(() => {
    s.timer = null;
    flushState(s, Date.now());
  }, FLUSH_INTERVAL_MS);
  s.timer.unref();
}

/**
 * Records scalar values at a step: `nbx.log({ loss, acc }, step)`. Without a step, the
 * values go to the step after the previous `log`'s (0 for the first). Values that are not
 * numbers are skipped with a warning (booleans count as 0 and 1, bigints are converted).
 */
export function log(values: Record<string, number>, step?: number): void {
  const s = state === undefined ? currentState() : state;
  if (s === null) {
    return;
  }
  let at = s.nextStep;
  if (step !== undefined) {
    if (typeof step === 'number' && step === step) {
      at = step;
    } else {
      warnOnce('step', `nbx.log: the step must be a number, got ${String(step)}; using ${at}`);
    }
  }
  s.nextStep = at + 1;
  const time = Date.now();
  const writer = s.writer;
  try {
    for (const key in values) {
      const value: unknown = values[key];
      if (typeof value === 'number') {
        writer.point(key, at, time, value);
      } else {
        logOther(writer, key, value, at, time);
      }
    }
  } catch (err) {
    // A key too long to store.
    warnOnce(`log:${(err as Error).message}`, `nbx.log: ${(err as Error).message}; skipped`);
  }
  if (time - s.flushed >= FLUSH_INTERVAL_MS) {
    // A long synchronous loop never lets the timer run: write from here instead.
    flushState(s, time);
  } else if (s.timer === null && writer.pendingBytes > 0) {
    scheduleFlush(s);
  }
}

function logOther(
  writer: ScalarLogWriter,
  key: string,
  value: unknown,
  step: number,
  time: number
): void {
  let n: number;
  if (typeof value === 'boolean') {
    n = value ? 1 : 0;
  } else if (typeof value === 'bigint') {
    n = Number(value);
  } else {
    warnOnce(`value:${key}`, `nbx.log: '${key}' is not a number (${typeof value}); skipped`);
    return;
  }
  writer.point(key, step, time, n);
}

/**
 * Records an attribute of the run, any JSON value: `nbx.attr('best_epoch', 42)`. The runner
 * puts it in `meta.json` under `attrs`; a later value of the same name replaces it.
 */
export function attr(name: string, value: JSONValue): void {
  const s = currentState();
  if (s === null) {
    return;
  }
  if (typeof name !== 'string' || name === '') {
    warnOnce('attr-name', 'nbx.attr: the name must be a non-empty string; skipped');
    return;
  }
  try {
    s.writer.attr(name, value === undefined ? null : value);
  } catch (err) {
    warnOnce(
      `attr:${name}`,
      `nbx.attr: '${name}' is not JSON (${(err as Error).message}); skipped`
    );
    return;
  }
  s.writer.flush();
}

/** Writes the points recorded so far now (they are also written every second and at exit). */
export function flush(): void {
  if (state) {
    flushState(state, Date.now());
  }
}

/** The directory of the run this notebook runs as, or null outside a run. */
export function runDir(): string | null {
  const dir = process.env.NBX_RUN_DIR;
  return dir ? path.resolve(dir) : null;
}

/** The id of the run this notebook runs as, or null outside a run. */
export function runId(): string | null {
  const id = process.env.NBX_RUN_ID;
  if (id) {
    return id;
  }
  const dir = runDir();
  return dir === null ? null : path.basename(dir);
}

/**
 * Starts a sweep: the trials of `notebook` (relative to the kernel's working directory) over
 * `flags`, as detached runs of one batch (`nbx run NB lr=[...] --parallel N --detach`),
 * and shows one live table of them in the cell's output, updated in place.
 *
 * ```ts
 * const sweep = await nbx.sweep('train.ipynb', { lr: [1e-3, 1e-2], layers: [2, 4] }, { parallel: 2 });
 * const table = await sweep.done(); // an apache-arrow Table: trial, id, status, duration, lr, layers, #loss
 * ```
 *
 * An array is always a sweep over its items; a list flag's values are arrays, so sweep
 * over them with an array of arrays (`{ layers: [[64, 32], [128]] }`). A string such as
 * `'loguniform[1e-4:1e-1]'` is a distribution (with `maxTrials`). Interrupting the kernel
 * stops waiting, not the trials; `sweep.stop()` stops them.
 */
export function sweep(
  notebook: string,
  flags: Record<string, SweepFlagValue>,
  options?: ISweepOptions
): Promise<Sweep> {
  // Loaded on first use: importing nbx must stay cheap.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const impl = require('./sweep') as typeof import('./sweep');
  return impl.sweep(notebook, flags, options);
}

/* eslint-disable @typescript-eslint/no-require-imports -- loaded on first use: importing nbx must stay cheap */

/**
 * The runs index as an Arrow table (the `apache-arrow` the notebook imports, else nbx's),
 * latest first; only the runs matching `where` (the `nbx runs --where` language) when given:
 *
 * ```ts
 * const t = nbx.runs('status = completed and #acc > 0.9');
 * console.table(t.toArray().map(r => ({ id: r.id, lr: r['=lr'], acc: r['#acc'] })));
 * ```
 *
 * Columns: `id`, `notebook`, `status`, `label`, `tags`, `created`/`started`/`stopped`
 * (ms since the epoch), `duration` (s), `kind`, `parent`, `=flag`, `.attr`, `#key` (last
 * value), `#key:min`, `#key:max`, `#key:step` (the step of the last value). The runs
 * root is the CLI's from the kernel's working directory (`$NBX_HOME`, else the project's
 * `.nbx/`); inside a run, the run's own.
 */
export function runs(where?: string): INbxTable {
  return (require('./runs') as typeof import('./runs')).runs(where);
}

/**
 * Every point of a run (an id, id prefix or position from `nbx runs`) as an Arrow table:
 * `key`, `step`, `time` (ms since the epoch), `value`; only `key`'s points when given
 * (`nbx.scalars(id, 'loss').getChild('value').toArray()`).
 */
export function scalars(run: string, key?: string): INbxTable {
  return (require('./runs') as typeof import('./runs')).scalars(run, key);
}

/**
 * Shows runs side by side in the cell's output, as `nbx compare` does, the best value of
 * each metric marked: `nbx.compare()` (the latest 20), `nbx.compare(['3f2a', '9c1b'])`,
 * `nbx.compare(nbx.runs('lr > 0.001'), { objective: '-#acc' })` (sorted best first,
 * highest acc best). Options: `where`, `columns`, `sort`, `objective`, `limit` (rows shown).
 */
export function compare(runs?: CompareRuns | null, options?: ICompareOptions): void {
  (require('./compare') as typeof import('./compare')).compare(runs, options);
}
