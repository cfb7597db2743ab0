/**
 * What `nbx show` prints below a run's record: its scalars (last, min, max, count per
 * key), comments, earlier attempts, the files it wrote, and the traceback of the cell
 * that failed.
 */
import type { IRunAttempt, IScalarSummary, RunMeta } from '../store/meta';
import type { IRunFile } from '../store/run-files';
import { formatDuration, formatNumber } from '../base/display';
import { formatTime, table } from './format';
import { dependenciesText } from './show-pipeline';

/** Output files listed by name; past this many, a count. */
const MAX_FILES_SHOWN = 50;

const indent = (text: string): string =>
  text
    .split('\n')
    .map(line => (line === '' ? line : `  ${line}`))
    .join('\n');

/** `1.5 KB`, `23 B`, `4.2 MB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) {
    return `${bytes} B`;
  }
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** A summary value; JSON keeps non-finite numbers as null. */
function summaryValue(value: unknown): string {
  return typeof value === 'number' ? formatNumber(value) : value === null ? 'nan' : '-';
}

/** The table of scalar summaries, one key a row. */
export function scalarsTable(scalars: Record<string, IScalarSummary>): string {
  const rows = Object.entries(scalars).map(([key, s]) => [
    key,
    summaryValue(s.last),
    summaryValue(s.min),
    summaryValue(s.max),
    String(s.count)
  ]);
  return table([['key', 'last', 'min', 'max', 'count'], ...rows]);
}

function attemptRow(a: IRunAttempt): string[] {
  const took =
    a.started && a.stopped ? formatDuration(Date.parse(a.stopped) - Date.parse(a.started)) : '-';
  return [
    String(a.attempt),
    formatTime(a.started),
    took,
    a.error ? `${a.status} (${a.error})` : a.status,
    `attempts/${a.attempt}/`
  ];
}

/** The files the run wrote with their sizes, and a line counting the others. */
export function filesText(files: IRunFile[]): string {
  const outputs = files.filter(f => f.kind === 'output');
  const shown = outputs.slice(0, MAX_FILES_SHOWN).map(f => [f.path, formatBytes(f.size)]);
  const lines = shown.length ? [table(shown)] : ['(none written by the notebook)'];
  if (outputs.length > shown.length) {
    lines.push(`… ${outputs.length - shown.length} more (nbx show --json lists them all)`);
  }
  const count = (kind: IRunFile['kind']): number => files.filter(f => f.kind === kind).length;
  const others: [number, string, string][] = [
    [count('source'), 'source file', 'copied at launch'],
    [count('nbx'), 'file', "of nbx's own records"]
  ];
  const also = others
    .filter(([n]) => n !== 0)
    .map(([n, noun, what]) => `${n} ${noun}${n === 1 ? '' : 's'} ${what}`);
  if (also.length) {
    lines.push(`(also: ${also.join(', ')})`);
  }
  return lines.join('\n');
}

/** The sections below a run's record: each a heading and an indented body, when there is one. */
export function runSections(meta: RunMeta, files: IRunFile[]): string {
  const sections: [string, string][] = [];
  if (meta.deps?.length) {
    sections.push(['dependencies', dependenciesText(meta)]);
  }
  if (Object.keys(meta.scalars).length) {
    sections.push(['scalars', scalarsTable(meta.scalars)]);
  }
  if (meta.comments.length) {
    sections.push([
      'comments',
      meta.comments.map(c => `${formatTime(c.time)}  ${c.user}: ${c.text}`).join('\n')
    ]);
  }
  const attempts = meta.attempts ?? [];
  if (attempts.length) {
    sections.push(['earlier attempts', table(attempts.map(attemptRow))]);
  }
  if (meta.kind === 'run') {
    sections.push(['files', filesText(files)]);
  }
  if (meta.traceback) {
    sections.push(['traceback', meta.traceback.trimEnd()]);
  }
  return sections.map(([title, body]) => `${title}:\n${indent(body)}`).join('\n\n');
}
