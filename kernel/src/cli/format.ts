/**
 * How the CLI prints runs: aligned tables, short ids, local times (numbers, durations and
 * times follow base/display).
 */
import * as path from 'path';
import { formatDuration } from '../base/display';

export { formatTime } from '../base/display';
import type { RunMeta } from '../store/meta';

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A run's record as the commands print it with `--json`: meta.json and `dir`, its directory. */
export function runJson(meta: RunMeta, dir: string): RunMeta & { dir: string } {
  return { ...meta, dir };
}

export function shortId(id: string): string {
  return id.slice(0, 8);
}

/** How long the run ran (so far, if it still runs). */
export function runDuration(meta: RunMeta): number | null {
  if (!meta.started) {
    return null;
  }
  const end = meta.stopped ? Date.parse(meta.stopped) : Date.now();
  return end - Date.parse(meta.started);
}

/** Left-aligned columns separated by two spaces; no trailing blanks. */
export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows
    .map(row =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i])))
        .join('  ')
        .trimEnd()
    )
    .join('\n');
}

/** The line printed when a foreground run ends. */
export function runSummary(meta: RunMeta, runPath: string): string {
  const took = runDuration(meta);
  const where = path.relative(process.cwd(), runPath) || runPath;
  const what = meta.kind === 'pipeline' ? 'pipeline' : 'run';
  const head = `${what} ${shortId(meta.id)} ${meta.status}${took === null ? '' : ` in ${formatDuration(took)}`}`;
  const why = meta.error ? `: ${meta.error}` : '';
  return `${head}${why}\n  ${where.startsWith('..') ? runPath : where}`;
}
