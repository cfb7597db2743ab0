/**
 * Executing prepared runs and batches from the CLI (`nbx run`, `nbx start`,
 * `nbx restart`, `nbx rerun`): in the foreground with progress, or detached.
 */
import * as path from 'path';
import { stripVTControlCharacters } from 'util';
import { UserError } from '../base/errors';
import type { KernelManager } from '../protocol/manager';
import { startDetached } from '../scheduler/control';
import { startRun } from '../scheduler/launch';
import type { IRunPlan } from '../scheduler/prepare';
import { runBatch } from '../scheduler/queue';
import { bestTrial, readTrials } from '../scheduler/sweep-status';
import { executeRun } from '../scheduler/runner';
import type { RunMeta } from '../store/meta';
import { RunDir } from '../store/run-dir';
import { parseGpuList, resolveGpus } from '../scheduler/gpu-list';
import { formatDuration, formatNumber, parseObjective } from '../base/display';
import { printJson, runDuration, runJson, runSummary, shortId } from './format';
import { TerminalProgress } from './progress';
import { SweepProgress } from './sweep-progress';

/** How the foreground commands report. */
export interface IOutputOptions {
  json?: boolean;
  quiet?: boolean;
}

export function printWarnings(warnings: Iterable<string>): void {
  for (const w of warnings) {
    process.stderr.write(`nbx: warning: ${w}\n`);
  }
}

/**
 * `--gpus 0,2` → '0,2'; `--no-gpus` → ''; neither → undefined (inherit). A GPU that
 * nvidia-smi does not list (when it lists any) is a one-line `UserError`.
 */
export async function gpusOption(value: string | boolean | undefined): Promise<string | undefined> {
  const text = gpusText(value);
  if (!text) {
    return text;
  }
  const gpus = parseGpuList(text);
  await resolveGpus(gpus, process.env);
  return gpus;
}

/** `--gpus 0,2` → '0,2' as given; `--no-gpus` → ''; neither → undefined (inherit). */
export function gpusText(value: string | boolean | undefined): string | undefined {
  return value === false ? '' : typeof value === 'string' ? value : undefined;
}

/** A whole number option (`--parallel 2`), or undefined when not given. */
export function countOption(option: string, value: string | undefined): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  if (!/^\s*\d+\s*$/.test(value)) {
    throw new UserError(`invalid ${option} '${value}': give a whole number`);
  }
  return Number(value);
}

export function parseTimeout(value: string): number {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new UserError(`invalid --timeout '${value}': give a number of seconds above 0`);
  }
  return seconds;
}

/**
 * Executes a prepared run here, echoing its output (unless `quiet` or `json`) under a
 * one-line progress; returns the exit status (0 when it completed). A failing cell's
 * traceback is printed in any case but `json` (where it is in the record), with its ANSI
 * colours only on a terminal.
 */
export async function runInForeground(
  run: RunDir,
  opts: IOutputOptions,
  kernel?: Promise<KernelManager>
): Promise<number> {
  const echo = !opts.json && !opts.quiet;
  const progress = new TerminalProgress(process.stderr, run.readMeta().notebookName);
  const colours = process.stderr.isTTY === true;
  const final = await executeRun(run, {
    kernel,
    onGpuWait: line => progress.write(process.stderr, `nbx: ${line}\n`),
    onStream: echo
      ? (name, text) => progress.write(name === 'stderr' ? process.stderr : process.stdout, text)
      : undefined,
    onError: echo
      ? tb => progress.write(process.stderr, `${colours ? tb : stripVTControlCharacters(tb)}\n`)
      : undefined,
    onProgress: p => progress.update(p)
  });
  progress.done();
  if (opts.json) {
    printJson(runJson(final, run.path));
  } else {
    if (!echo && final.traceback !== undefined) {
      process.stderr.write(`${final.traceback}\n`);
    }
    process.stderr.write(`${runSummary(final, run.path)}\n`);
  }
  return final.status === 'completed' ? 0 : 1;
}

/** Creates the run of `plan` and executes it here (see `runInForeground`, `startRun`). */
export async function planInForeground(plan: IRunPlan, opts: IOutputOptions): Promise<number> {
  const launched = await startRun(plan, 'foreground', []);
  printWarnings(launched.warnings);
  return runInForeground(launched.run, opts, launched.kernel);
}

/** Creates the run of `plan` and starts it in the background (see `startRun`); prints its id. */
export async function planDetached(plan: IRunPlan, opts: IOutputOptions): Promise<number> {
  const launched = await startRun(plan, 'detach', []);
  printWarnings(launched.warnings);
  return reportDetached(launched.run, opts);
}

/** The line that ends a sweep: outcome, counts, best trial, and where it is. */
export function batchSummary(batch: RunMeta, trials: RunMeta[], runPath: string): string {
  const took = runDuration(batch);
  const count = (status: string): number => trials.filter(t => t.status === status).length;
  const failed = count('error');
  const stopped = count('terminated');
  const parts = [`${count('completed')} completed`];
  if (failed) {
    parts.push(`${failed} failed`);
  }
  if (stopped) {
    parts.push(`${stopped} stopped`);
  }
  const objective = parseObjective(batch.batch?.objective ?? '');
  const best = bestTrial(trials, objective);
  if (objective && best) {
    parts.push(`best ${objective.text} ${formatNumber(best.value)} (${shortId(best.id)})`);
  }
  const head =
    `sweep ${shortId(batch.id)} ${batch.status}` +
    `${took === null ? '' : ` in ${formatDuration(took)}`}: ${parts.join(', ')}`;
  const where = path.relative(process.cwd(), runPath) || runPath;
  return `${head}\n  ${where.startsWith('..') ? runPath : where}`;
}

/**
 * Runs a batch's queue here with its progress on stderr; returns the exit status (0 only
 * when every trial completed).
 */
export async function batchInForeground(batch: RunDir, opts: IOutputOptions): Promise<number> {
  const meta = batch.readMeta();
  const progress = new SweepProgress(process.stderr, batch.root, meta, { quiet: opts.quiet });
  progress.start(meta, readTrials(batch.root, meta));
  const final = await runBatch(batch, { onTrial: event => progress.update(event) });
  const trials = readTrials(batch.root, final);
  progress.done(batchSummary(final, trials, batch.path));
  if (opts.json) {
    printJson(runJson(final, batch.path));
  }
  return final.status === 'completed' ? 0 : 1;
}

/** Starts a run or batch in the background and prints its id (or record with `json`). */
export function detach(run: RunDir, opts: IOutputOptions): number {
  startDetached(run);
  return reportDetached(run, opts);
}

/** Prints the id (or record with `json`) of a run or batch started in the background. */
export function reportDetached(run: RunDir, opts: IOutputOptions): number {
  if (opts.json) {
    printJson(runJson(run.readMeta(), run.path));
  } else {
    process.stdout.write(`${run.id}\n`);
  }
  return 0;
}
