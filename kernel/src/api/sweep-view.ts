/**
 * How a sweep looks in a cell's output: a header line, one table row per trial (number,
 * short id, flags, status, elapsed, latest metrics) and a footer, as HTML (plain tags and
 * inline colours, readable on light and dark themes) and as text (the `text/plain`
 * fallback of the same display, and what a plain Node process prints).
 */
import { formatElapsed, formatNumber } from '../base/display';
import type { JSONValue } from '../base/json';
import type { RunStatus } from '../store/meta';
import {
  bestTrial,
  countStatuses,
  type ISweepState,
  type ITrialState
} from '../scheduler/sweep-status';

/** Rows shown at most; a larger sweep shows the running trials first, then the latest. */
export const MAX_ROWS = 40;

/** Metric columns shown at most (the objective's first). */
export const MAX_METRICS = 8;

/** Icon, colour and word per status. */
const STATUS_LOOK: Record<RunStatus, { icon: string; color: string; word: string }> = {
  staged: { icon: '◇', color: '#8a8a8a', word: 'staged' },
  queued: { icon: '○', color: '#8a8a8a', word: 'queued' },
  running: { icon: '▶', color: '#1e88e5', word: 'running' },
  completed: { icon: '✓', color: '#43a047', word: 'completed' },
  error: { icon: '✗', color: '#e53935', word: 'error' },
  terminated: { icon: '■', color: '#fb8c00', word: 'terminated' }
};

/** Words of the header's counts, in the order shown. */
const COUNT_WORDS: [RunStatus, string][] = [
  ['running', 'running'],
  ['queued', 'queued'],
  ['staged', 'staged'],
  ['completed', 'completed'],
  ['error', 'failed'],
  ['terminated', 'stopped']
];

/** A note under the table. */
export interface ISweepNote {
  kind: 'info' | 'warning';
  text: string;
}

/** A flag value in a cell: strings as they are, numbers formatted, lists as JSON. */
export function formatValue(value: JSONValue | undefined): string {
  if (value === undefined) {
    return '';
  }
  if (typeof value === 'number') {
    return formatNumber(value);
  }
  if (typeof value === 'string') {
    return value;
  }
  return JSON.stringify(value);
}

/** The trial's running time so far (or in all, once stopped), or null before it starts. */
export function elapsedMs(trial: ITrialState, now: number): number | null {
  if (trial.started === null) {
    return null;
  }
  const end = trial.stopped ?? (trial.status === 'running' ? now : null);
  return end === null ? null : Math.max(0, end - trial.started);
}

/** Scalar keys to show: not `sys/*`; the objective's first, then by name; at most `max`. */
export function metricKeys(state: ISweepState, max: number = MAX_METRICS): string[] {
  const keys = new Set<string>();
  for (const t of state.trials) {
    for (const k of Object.keys(t.scalars)) {
      if (!k.startsWith('sys/')) {
        keys.add(k);
      }
    }
  }
  const sorted = [...keys].sort();
  const first = state.objective?.key;
  if (first !== undefined && keys.has(first)) {
    sorted.splice(sorted.indexOf(first), 1);
    sorted.unshift(first);
  }
  return sorted.slice(0, max);
}

/** The trial with the best objective value so far, with that value, or null. */
function bestOf(state: ISweepState): { trial: ITrialState; value: number } | null {
  const best = bestTrial(state.trials, state.objective);
  const trial = best === null ? undefined : state.trials.find(t => t.id === best.id);
  return best !== null && trial !== undefined ? { trial, value: best.value } : null;
}

/** `sweep 1a2b3c4d · train.ipynb · 4 trials: 2 running · 1 queued · 1 completed`. */
export function headerLine(state: ISweepState): string {
  const counts = countStatuses(state.trials);
  const parts = COUNT_WORDS.filter(([s]) => counts[s] > 0).map(([s, w]) => `${counts[s]} ${w}`);
  const n = state.trials.length;
  let line =
    `sweep ${state.id.slice(0, 8)} · ${state.notebookName} · ${n} trial${n === 1 ? '' : 's'}: ` +
    parts.join(' · ');
  const best = bestOf(state);
  if (best !== null && state.objective !== null) {
    line += ` · best ${state.objective.text} ${formatNumber(best.value)} (trial ${best.trial.index})`;
  }
  return line;
}

/** The trials to show: all when few, else the running ones, then the latest finished, then queued. */
export function shownTrials(trials: readonly ITrialState[], max: number = MAX_ROWS): ITrialState[] {
  if (trials.length <= max) {
    return [...trials];
  }
  const running = trials.filter(t => t.status === 'running');
  const finished = trials
    .filter(t => t.stopped !== null && t.status !== 'running')
    .sort((a, b) => (b.stopped ?? 0) - (a.stopped ?? 0));
  const rest = trials.filter(t => t.status !== 'running' && t.stopped === null);
  const picked = new Set<ITrialState>();
  for (const t of [...running, ...finished, ...rest]) {
    if (picked.size >= max) {
      break;
    }
    picked.add(t);
  }
  return trials.filter(t => picked.has(t));
}

interface IRow {
  trial: ITrialState;
  cells: string[];
}

function tableRows(
  state: ISweepState,
  keys: string[]
): { head: string[]; rows: IRow[]; best: ITrialState | null } {
  const head = ['#', 'trial', ...state.flagNames, 'status', 'elapsed', ...keys];
  const best = bestOf(state)?.trial ?? null;
  const rows = shownTrials(state.trials).map(trial => {
    const elapsed = elapsedMs(trial, state.now);
    return {
      trial,
      cells: [
        String(trial.index),
        trial.id.slice(0, 8),
        ...state.flagNames.map(name => formatValue(trial.flags[name])),
        STATUS_LOOK[trial.status].word,
        elapsed === null ? '' : formatElapsed(elapsed),
        ...keys.map(k => {
          const v = trial.scalars[k]?.last;
          return typeof v === 'number' ? formatNumber(v) : '';
        })
      ]
    };
  });
  return { head, rows, best };
}

/** Lines about failed trials (their one-line errors), at most three. */
function errorLines(state: ISweepState): string[] {
  const failed = state.trials.filter(t => t.status === 'error' && t.error !== null);
  const lines = failed
    .slice(0, 3)
    .map(t => `trial ${t.index} (${t.id.slice(0, 8)}): ${t.error ?? ''}`);
  if (failed.length > 3) {
    lines.push(`… and ${failed.length - 3} more failed (nbx runs)`);
  }
  return lines;
}

function hiddenLine(state: ISweepState, shown: number): string | null {
  const hidden = state.trials.length - shown;
  return hidden > 0 ? `${hidden} more trials not shown (nbx runs)` : null;
}

/** The display as text: header, aligned table, errors, notes. */
export function renderText(state: ISweepState, notes: readonly ISweepNote[] = []): string {
  const keys = metricKeys(state);
  const { head, rows } = tableRows(state, keys);
  const all = [head, ...rows.map(r => r.cells)];
  const widths = head.map((_, i) => Math.max(...all.map(cells => cells[i].length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === 0 ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  const out = [headerLine(state), line(head), ...rows.map(r => line(r.cells))];
  const hidden = hiddenLine(state, rows.length);
  if (hidden !== null) {
    out.push(hidden);
  }
  out.push(...errorLines(state), ...notes.map(n => n.text));
  return out.join('\n');
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const CELL = 'padding:2px 8px;text-align:left;white-space:nowrap';
const NUM_CELL =
  'padding:2px 8px;text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums';
const MUTED = 'opacity:0.7';

/** The display as HTML: a header line, the table, errors and notes. */
export function renderHtml(state: ISweepState, notes: readonly ISweepNote[] = []): string {
  const keys = metricKeys(state);
  const { head, rows, best } = tableRows(state, keys);
  const flagCount = state.flagNames.length;
  const statusCol = 2 + flagCount;
  const firstMetric = statusCol + 2;
  // The trial number, elapsed time and metrics are right-aligned.
  const numeric = (i: number): boolean => i === 0 || i > statusCol;
  const counts = countStatuses(state.trials);
  const countHtml = COUNT_WORDS.filter(([s]) => counts[s] > 0)
    .map(([s, w]) => `<span style="color:${STATUS_LOOK[s].color}">${counts[s]} ${w}</span>`)
    .join(' · ');
  const bestInfo = bestOf(state);
  const bestHtml =
    bestInfo !== null && state.objective !== null
      ? ` · best <code>${escapeHtml(state.objective.text)}</code> ${escapeHtml(
          formatNumber(bestInfo.value)
        )} (trial ${bestInfo.trial.index})`
      : '';
  const n = state.trials.length;
  const header =
    `<div style="margin-bottom:4px"><b>sweep <code>${escapeHtml(state.id.slice(0, 8))}</code></b>` +
    ` · ${escapeHtml(state.notebookName)} · ${n} trial${n === 1 ? '' : 's'}: ${countHtml}${bestHtml}</div>`;
  const th = head
    .map((h, i) => `<th style="${numeric(i) ? NUM_CELL : CELL}">${escapeHtml(h)}</th>`)
    .join('');
  const body = rows
    .map(({ trial, cells }) => {
      const look = STATUS_LOOK[trial.status];
      const tds = cells.map((c, i) => {
        if (i === statusCol) {
          const title = trial.error !== null ? ` title="${escapeHtml(trial.error)}"` : '';
          return `<td style="${CELL};color:${look.color}"${title}>${look.icon} ${escapeHtml(c)}</td>`;
        }
        if (i === 1) {
          return `<td style="${CELL}"><code>${escapeHtml(c)}</code></td>`;
        }
        const isBest = trial === best && i === firstMetric && keys[0] === state.objective?.key;
        const text = isBest ? `<b>${escapeHtml(c)}</b>` : escapeHtml(c);
        return `<td style="${numeric(i) ? NUM_CELL : CELL}">${text}</td>`;
      });
      return `<tr>${tds.join('')}</tr>`;
    })
    .join('');
  const extra: string[] = [];
  const hidden = hiddenLine(state, rows.length);
  if (hidden !== null) {
    extra.push(`<div style="${MUTED}">${escapeHtml(hidden)}</div>`);
  }
  for (const line of errorLines(state)) {
    extra.push(`<div style="color:${STATUS_LOOK.error.color}">${escapeHtml(line)}</div>`);
  }
  for (const note of notes) {
    const style = note.kind === 'warning' ? `color:${STATUS_LOOK.terminated.color}` : MUTED;
    extra.push(`<div style="${style};margin-top:4px">${escapeHtml(note.text)}</div>`);
  }
  return (
    `<div class="nbx-sweep">${header}` +
    `<table style="border-collapse:collapse;font-size:0.95em"><thead><tr>${th}</tr></thead>` +
    `<tbody>${body}</tbody></table>${extra.join('')}</div>`
  );
}

/**
 * Lines for a plain Node process (no rich display): the header when it changed, and one
 * line per trial whose status changed since `prev` (null: the first report).
 */
export function changeLines(prev: ISweepState | null, next: ISweepState): string[] {
  const lines: string[] = [];
  const before = new Map(prev?.trials.map(t => [t.id, t.status]) ?? []);
  const keys = metricKeys(next);
  for (const t of next.trials) {
    if (before.get(t.id) === t.status || (prev === null && t.status === 'queued')) {
      continue;
    }
    const flags = next.flagNames.map(n => `${n}=${formatValue(t.flags[n])}`).join(' ');
    const elapsed = elapsedMs(t, next.now);
    const metrics = keys
      .filter(k => typeof t.scalars[k]?.last === 'number')
      .map(k => `${k}=${formatNumber(t.scalars[k].last)}`)
      .join(' ');
    const took = t.status === 'running' || elapsed === null ? '' : ` in ${formatElapsed(elapsed)}`;
    const error = t.status === 'error' && t.error !== null ? ` — ${t.error}` : '';
    lines.push(
      `  trial ${t.index} (${t.id.slice(0, 8)}) ${flags}: ${STATUS_LOOK[t.status].word}${took}` +
        `${metrics ? `  ${metrics}` : ''}${error}`
    );
  }
  const header = headerLine(next);
  if (prev === null || headerLine(prev) !== header) {
    lines.unshift(header);
  }
  return lines;
}
