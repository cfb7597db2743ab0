/**
 * `npm run bench -- sweep`: 20 trials of a trivial tslab notebook (a flags cell
 * `const x = 0;`, a cell printing x) as one sweep, `nbx run NB x=[0,1,...,19] --parallel 2`,
 * against the same 20 run one after another, `nbx run NB x=<i>` each a fresh CLI process,
 * in the same benchmark run (after one untimed warm-up run).
 *
 * Targets: the sweep's wall time ≤ 0.6× the sequential wall time, and the scheduler's
 * per-trial overhead ≤ 100 ms, where the overhead is the DISPATCH GAP, taken from the
 * trials' records: a trial's `started` is when its runner begins (before its kernel starts),
 * `stopped` when its kernel has shut down. With P slots, sort the starts s(1..n) and the
 * stops e(1..n); the k-th start (k > P) took the slot freed by the (k−P)-th stop, so its
 * gap is s(k) − e(k−P): how long a free slot waited for the scheduler. The overhead is the
 * mean gap. Printed for information: the largest gap, the time from the command's start to
 * the first trial's start, from the last stop to the command's exit, and the amortised
 * overhead (sweep wall − Σ trial durations / P) / n, which also counts those fixed costs.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { RunMeta } from '../store/meta';
import { listRuns } from '../store/runs';
import { code, notebook } from '../testing/fixtures';
import { intOption, ms, timeCommand } from './measure';
import { NBX_CLI } from '../base/paths';

const TARGET_RATIO = 0.6;
const TARGET_OVERHEAD_MS = 100;

/** The benchmark's notebook: a flags cell and a cell printing the flag. */
export const SWEEP_BENCH_NOTEBOOK = notebook('tslab', [
  code('const x = 0;', ['parameters']),
  code('console.log(x);')
]);

/** What the trials' records say about the scheduler. */
export interface ISchedulerFigures {
  /** Mean of s(k) − e(k−P) over k > P (ms). */
  meanGap: number;
  maxGap: number;
  /** Σ (stopped − started) over the trials (ms). */
  totalDuration: number;
  /** Earliest start and latest stop (ms since the epoch). */
  firstStart: number;
  lastStop: number;
}

/** The dispatch gaps and durations of finished trials run `parallel` at a time. */
export function schedulerFigures(trials: readonly RunMeta[], parallel: number): ISchedulerFigures {
  const starts: number[] = [];
  const stops: number[] = [];
  for (const t of trials) {
    if (t.started === null || t.stopped === null) {
      throw new Error(`trial ${t.id} has no start or stop time (status ${t.status})`);
    }
    starts.push(Date.parse(t.started));
    stops.push(Date.parse(t.stopped));
  }
  const totalDuration = starts.reduce((sum, s, i) => sum + (stops[i] - s), 0);
  starts.sort((a, b) => a - b);
  stops.sort((a, b) => a - b);
  const gaps: number[] = [];
  for (let k = parallel; k < starts.length; k++) {
    gaps.push(starts[k] - stops[k - parallel]);
  }
  return {
    meanGap: gaps.length ? gaps.reduce((a, b) => a + b, 0) / gaps.length : 0,
    maxGap: gaps.length ? Math.max(...gaps) : 0,
    totalDuration,
    firstStart: starts[0] ?? 0,
    lastStop: stops[stops.length - 1] ?? 0
  };
}

/** Runs the benchmark; resolves with whether both targets were met. */
export async function benchSweep(args: string[]): Promise<boolean> {
  const trials = intOption(args, '--trials', 20);
  const parallel = intOption(args, '--parallel', 2);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nbx-bench-sweep-'));
  const home = path.join(dir, 'home');
  const env: NodeJS.ProcessEnv = { ...process.env, NBX_HOME: home };
  delete env.NBX_RUN_ID;
  delete env.NBX_RUN_DIR;
  const nbPath = path.join(dir, 'trivial.ipynb');
  fs.writeFileSync(nbPath, JSON.stringify(SWEEP_BENCH_NOTEBOOK));
  const nbx = (...rest: string[]): string[] => [process.execPath, NBX_CLI, 'run', nbPath, ...rest];
  try {
    process.stdout.write(
      `sweep: ${trials} trials of a trivial tslab notebook, --parallel ${parallel} vs one after ` +
        `another (${os.cpus().length} CPUs)\n`
    );
    // Warms the OS caches and the flags cache for both sides.
    await timeCommand(nbx('x=0', '-q'), { env, cwd: dir });
    process.stdout.write('  warm-up run done\n');

    const values = Array.from({ length: trials }, (_, i) => i);
    const sweepStart = Date.now();
    const sweepWall = await timeCommand(
      nbx(`x=[${values.join(',')}]`, '--parallel', String(parallel), '-q'),
      { env, cwd: dir }
    );
    const sweepEnd = sweepStart + sweepWall;
    const runs = listRuns(home);
    const batch = runs.find(r => r.kind === 'batch');
    const trialMetas = runs.filter(r => batch !== undefined && r.parent === batch.id);
    if (batch === undefined || trialMetas.length !== trials) {
      throw new Error(`expected a batch of ${trials} trials, found ${trialMetas.length}`);
    }
    const failed = trialMetas.filter(r => r.status !== 'completed');
    if (failed.length > 0) {
      throw new Error(`${failed.length} trials did not complete: ${failed[0].error ?? ''}`);
    }
    process.stdout.write(`  sweep done: ${ms(sweepWall)}\n`);

    const seqStart = process.hrtime.bigint();
    for (const i of values) {
      await timeCommand(nbx(`x=${i}`, '-q'), { env, cwd: dir });
    }
    const seqWall = Number(process.hrtime.bigint() - seqStart) / 1e6;
    process.stdout.write(`  sequential done: ${ms(seqWall)}\n`);

    const f = schedulerFigures(trialMetas, parallel);
    const ratio = sweepWall / seqWall;
    const amortised = (sweepWall - f.totalDuration / parallel) / trials;
    const ratioOk = ratio <= TARGET_RATIO;
    const overheadOk = f.meanGap <= TARGET_OVERHEAD_MS;
    const row = (label: string, value: string, note = ''): string =>
      `  ${label.padEnd(28)}${value.padStart(10)}${note ? `   ${note}` : ''}\n`;
    process.stdout.write(
      '\n' +
        row(`sweep, --parallel ${parallel}`, ms(sweepWall)) +
        row(`${trials}× nbx run, one by one`, ms(seqWall)) +
        row(
          'ratio',
          `${ratio.toFixed(2)}x`,
          `target <= ${TARGET_RATIO}: ${ratioOk ? 'met' : 'MISSED'}`
        ) +
        "\nscheduler, from the trials' started/stopped:\n" +
        row(
          'dispatch gap, mean',
          ms(f.meanGap),
          `target <= ${TARGET_OVERHEAD_MS} ms: ${overheadOk ? 'met' : 'MISSED'}`
        ) +
        row('dispatch gap, max', ms(f.maxGap)) +
        row('command start -> 1st trial', ms(f.firstStart - sweepStart)) +
        row('last trial -> command exit', ms(sweepEnd - f.lastStop)) +
        row('mean trial duration', ms(f.totalDuration / trials)) +
        row(
          'amortised overhead',
          ms(amortised),
          `(sweep wall − Σ durations / ${parallel}) / ${trials}`
        ) +
        '\ndispatch gap: with P slots, the k-th trial start (k > P) took the slot freed by the\n' +
        '(k−P)-th trial stop; the gap is the time between the two (a trial starts when its\n' +
        'runner begins, before its kernel; it stops once its kernel has shut down).\n'
    );
    return ratioOk && overheadOk;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
