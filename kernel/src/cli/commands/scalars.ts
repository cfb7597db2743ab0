/**
 * `nbx scalars RUN [--json] [--points]`: a run's scalars, summarized per key.
 */
import type { Command } from 'commander';
import type { IScalarSummary } from '../../store/meta';
import { resolveRunRef } from '../../store/runs';
import { readScalarColumns, summarize, type IScalarColumns } from '../../tracking/scalars';
import { runsRootHere } from '../root';
import { printJson, shortId } from '../format';

/** Every point of one key, as columns (`null` stands for NaN and infinities in JSON). */
export interface IKeyPoints {
  step: number[];
  /** Wall time, ms since the epoch. */
  time: number[];
  value: number[];
}

/** Registers `nbx scalars`. */
export function addScalarsCommand(program: Command): void {
  program
    .command('scalars')
    .description("show a run's scalars: last, min, max, count and last step per key")
    .argument('<run>', 'run id, id prefix, or index from nbx runs')
    .option('--json', 'print { summary } as JSON (non-finite values print as null)')
    .option('--points', 'with --json, add every point: { points: { KEY: { step, time, value } } }')
    .action((ref: string, opts: { json?: boolean; points?: boolean }) => {
      const run = resolveRunRef(runsRootHere(), ref);
      const columns = readScalarColumns(run.path, { onWarning: warn });
      const summary = summarize(columns);
      if (opts.json) {
        if (opts.points) {
          // Compact: a million points would print millions of lines indented.
          process.stdout.write(`${JSON.stringify({ summary, points: pointsByKey(columns) })}\n`);
        } else {
          printJson({ summary });
        }
        return;
      }
      if (Object.keys(summary).length === 0) {
        process.stderr.write(`run ${shortId(run.id)} has no scalars\n`);
        return;
      }
      process.stdout.write(`${summaryTable(summary)}\n`);
    });
}

function warn(message: string): void {
  process.stderr.write(`nbx: warning: ${message}\n`);
}

/** The points grouped by key, keys sorted, each key's points in time order. */
export function pointsByKey(c: IScalarColumns): Record<string, IKeyPoints> {
  const byIndex: IKeyPoints[] = c.keys.map(() => ({ step: [], time: [], value: [] }));
  for (let i = 0; i < c.length; i++) {
    const p = byIndex[c.key[i]];
    p.step.push(c.step[i]);
    p.time.push(c.time[i]);
    p.value.push(c.value[i]);
  }
  const out: Record<string, IKeyPoints> = {};
  for (const k of c.keys.map((key, i) => ({ key, i })).sort((a, b) => (a.key < b.key ? -1 : 1))) {
    out[k.key] = byIndex[k.i];
  }
  return out;
}

/** A value for the table: integers in full, others to 6 significant digits. */
export function formatScalar(v: number): string {
  if (Number.isNaN(v)) {
    return 'nan';
  }
  if (!Number.isFinite(v)) {
    return v > 0 ? 'inf' : '-inf';
  }
  if (Number.isInteger(v) && Math.abs(v) < 1e15) {
    return String(v);
  }
  const s = v.toPrecision(6);
  const e = s.indexOf('e');
  const mantissa = e < 0 ? s : s.slice(0, e);
  const trimmed = mantissa.includes('.') ? mantissa.replace(/\.?0+$/, '') : mantissa;
  return e < 0 ? trimmed : `${trimmed}${s.slice(e)}`;
}

/** The summary as a table: keys left-aligned, numbers right-aligned, a header row. */
export function summaryTable(summary: Record<string, IScalarSummary>): string {
  const rows = [['key', 'last', 'min', 'max', 'count', 'step']];
  for (const [key, s] of Object.entries(summary)) {
    rows.push([
      key,
      formatScalar(s.last),
      formatScalar(s.min),
      formatScalar(s.max),
      String(s.count),
      s.lastStep === null ? '-' : formatScalar(s.lastStep)
    ]);
  }
  const widths = rows[0].map((_, col) => Math.max(...rows.map(r => r[col].length)));
  return rows
    .map(r =>
      r
        .map((cell, col) => (col === 0 ? cell.padEnd(widths[0]) : cell.padStart(widths[col])))
        .join('  ')
    )
    .join('\n');
}
