/**
 * How the CLI prints runs: aligned tables, short ids, local times, durations.
 */
import * as path from 'path';
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

/** `2026-11-22 14:03:07` in local time, or `-`. */
export function formatTime(iso: string | null): string {
  if (!iso) {
    return '-';
  }
  const d = new Date(iso);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}

/** Seconds between two instants as `0.4s`, `12s`, `3m05s`, `2h04m`. */
export function formatDuration(ms: number): string {
  if (ms < 10_000) {
    return `${(ms / 1000).toFixed(1)}s`;
  }
  const s = Math.round(ms / 1000);
  if (s < 3600) {
    return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  }
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
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
  const head = `run ${shortId(meta.id)} ${meta.status}${took === null ? '' : ` in ${formatDuration(took)}`}`;
  const why = meta.error ? `: ${meta.error}` : '';
  return `${head}${why}\n  ${where.startsWith('..') ? runPath : where}`;
}
