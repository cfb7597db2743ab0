/**
 * Writes scalar points into run directories, as a run's logs hold them, for the Scalars
 * panel's tests and benchmarks: a noisy decaying `loss`, a rising `acc`, `lr` and two
 * system metrics, one point per step, in `scalars/output.nbxs`; the run's `meta.json`
 * gets the matching per-key summary.
 *
 *   node kernel/lib/bench/gen-scalars.js ROOT COUNT [POINTS]
 *
 * generates COUNT runs (gen-runs) with POINTS steps each (default 1000).
 */
import * as fs from 'fs';
import * as path from 'path';
import { runsDir } from '../store/root';
import { RunDir } from '../store/run-dir';
import { summarize } from '../tracking/scalars';
import { OUTPUT_SCALAR_LOG, scalarsDir, ScalarLogWriter } from '../tracking/scalars-format';
import { readScalarColumns } from '../tracking/scalars';
import { generateRuns } from './gen-runs';

/** The keys `writeScalarPoints` writes. */
export const GENERATED_KEYS = ['acc', 'loss', 'lr', 'sys/cpu', 'sys/gpu/0/util'] as const;

/** Options of `writeScalarPoints`. */
export interface IWriteScalarsOptions {
  /** Steps (default 1000); each step has a point of every key. */
  points?: number;
  /** Seed of the noise (default 1). */
  seed?: number;
  /** Wall time of the first point (default now minus one second per step). */
  start?: number;
}

/**
 * Writes the points of `GENERATED_KEYS` into the run at `runPath` and its summary into
 * its `meta.json`.
 */
export function writeScalarPoints(
  root: string,
  id: string,
  options: IWriteScalarsOptions = {}
): void {
  const run = new RunDir(root, id);
  const points = options.points ?? 1000;
  let seed = (options.seed ?? 1) >>> 0;
  const rand = (): number => {
    // xorshift32: the same seed gives the same curves.
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 4294967296;
  };
  const start = options.start ?? Date.now() - points * 1000;
  const scale = 0.5 + rand();
  fs.mkdirSync(scalarsDir(run.path), { recursive: true });
  const writer = new ScalarLogWriter(path.join(scalarsDir(run.path), OUTPUT_SCALAR_LOG));
  for (let step = 0; step < points; step++) {
    const time = start + step * 1000;
    const progress = step / Math.max(1, points - 1);
    // Multiplicative noise: a loss stays positive (log scale), noisier as it falls.
    const loss = scale * 2.3 * Math.exp(-3 * progress) * (1 + 0.3 * (rand() - 0.5));
    writer.point('loss', step, time, loss);
    writer.point('acc', step, time, 1 - Math.exp(-4 * progress) * 0.9 + 0.05 * (rand() - 0.5));
    writer.point('lr', step, time, 0.001 * scale * (1 - progress));
    writer.point('sys/cpu', step, time, 40 + 20 * rand());
    writer.point('sys/gpu/0/util', step, time, 80 + 15 * rand());
  }
  writer.close();
  run.updateMeta({ scalars: summarize(readScalarColumns(run.path)) });
}

/** Generates `count` runs (see gen-runs) with `points` steps of scalars each; their ids. */
export function generateRunsWithScalars(root: string, count: number, points = 1000): string[] {
  const ids = generateRuns(root, { count });
  ids.forEach((id, i) => writeScalarPoints(root, id, { points, seed: i + 1 }));
  return ids;
}

if (require.main === module) {
  const [root, count, points] = process.argv.slice(2);
  if (!root || !count) {
    process.stderr.write('usage: gen-scalars ROOT COUNT [POINTS]\n');
    process.exit(2);
  }
  const ids = generateRunsWithScalars(root, Number(count), points ? Number(points) : undefined);
  process.stdout.write(`${ids.length} runs with scalars in ${runsDir(root)}\n`);
}
