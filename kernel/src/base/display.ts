/**
 * The rules for what users read, shared by the CLI, the notebook display and the
 * JupyterLab panels: how a number, a duration and a ticking clock are written, and what
 * an objective (`#loss`, `-#acc`) means. PURE: no `node:` imports and no other kernel
 * imports, so the browser bundle may import it at runtime.
 */

/**
 * A number for people: integers as they are (below 1e9), others with 4 significant
 * digits and no trailing zeros, exponents below 1e-4 and from 1e6 on
 * (`0.001`, `0.3333`, `12350`, `1.234e-5`, `1.5e+9`).
 */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n) || (Number.isInteger(n) && Math.abs(n) < 1e9)) {
    return String(n);
  }
  const abs = Math.abs(n);
  if (abs !== 0 && (abs >= 1e6 || abs < 1e-4)) {
    return n.toExponential(3).replace(/\.?0+e/, 'e');
  }
  return String(Number(n.toPrecision(4)));
}

/** How long something took (ms): `0.4s` (tenths below 10 s), `12s`, `3m05s`, `2h04m`. */
export function formatDuration(ms: number): string {
  if (ms < 10_000) {
    return `${(Math.max(0, ms) / 1000).toFixed(1)}s`;
  }
  const s = Math.round(ms / 1000);
  if (s < 3600) {
    return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${two(s % 60)}s`;
  }
  return `${Math.floor(s / 3600)}h${two(Math.floor((s % 3600) / 60))}m`;
}

/** A ticking clock (ms): `0:07`, `1:23`, `1:02:03`, for progress lines redrawn in place. */
export function formatClock(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const mmss = `${h ? two(m) : m}:${two(total % 60)}`;
  return h ? `${h}:${mmss}` : mmss;
}

/** A clock in a table cell: whole seconds below a minute (`5s`), then as `formatClock`. */
export function formatElapsed(ms: number): string {
  return ms < 60_000 ? `${Math.max(0, Math.floor(ms / 1000))}s` : formatClock(ms);
}

/** `2026-11-22 14:03:07` in local time, or `-`. */
export function formatTime(iso: string | null): string {
  if (!iso) {
    return '-';
  }
  const d = new Date(iso);
  return (
    `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ` +
    `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`
  );
}

function two(n: number): string {
  return String(n).padStart(2, '0');
}

/**
 * An objective: the scalar whose last value ranks runs, read as a sort key is by
 * `nbx runs --sort` — `#loss` (or `+#loss`) ascending, lowest best; `-#acc` descending,
 * highest best. The best run is the one that sorts first.
 */
export interface IObjective {
  /** The scalar key, without `#`. */
  key: string;
  /** True when higher is better (`-` prefix, descending). */
  descending: boolean;
  /** As written canonically: `#loss`, `-#acc`. */
  text: string;
}

/** Reads an objective (`#loss`, `+#loss`, `-#acc`, `loss`); null when it names no single key. */
export function parseObjective(text: string): IObjective | null {
  const match = /^\s*([+-]?)\s*#?\s*([^\s#+-]\S*)\s*$/.exec(text);
  if (match === null) {
    return null;
  }
  const descending = match[1] === '-';
  return { key: match[2], descending, text: `${descending ? '-' : ''}#${match[2]}` };
}

/** True when `value` ranks before `than` under the objective (a NaN never does). */
export function isBetter(objective: IObjective, value: number, than: number): boolean {
  if (Number.isNaN(value)) {
    return false;
  }
  return Number.isNaN(than) || (objective.descending ? value > than : value < than);
}

/**
 * The best of `items` under the objective, by the number `valueOf` reads (undefined or
 * NaN for none), with that number; null when no item has one. Ties keep the first.
 */
export function bestBy<T>(
  items: Iterable<T>,
  objective: IObjective,
  valueOf: (item: T) => number | undefined
): { item: T; value: number } | null {
  let best: { item: T; value: number } | null = null;
  for (const item of items) {
    const value = valueOf(item);
    if (value === undefined || Number.isNaN(value)) {
      continue;
    }
    if (best === null || isBetter(objective, value, best.value)) {
      best = { item, value };
    }
  }
  return best;
}

/** Words that mark a quantity to minimise, matched as whole words of a metric's key. */
const LOWER_IS_BETTER = new Set([
  'loss',
  'error',
  'err',
  'errors',
  'mse',
  'mae',
  'rmse',
  'mape',
  'nll',
  'perplexity',
  'ppl',
  'cost',
  'regret',
  'wer',
  'cer',
  'fid',
  'latency',
  'duration',
  'elapsed'
]);

/**
 * True for a column of metric values, which has a best value: `#key`, `#key:min`,
 * `#key:max`; not `#key:step` (the step of the last value, a count).
 */
export function isMetricColumn(column: string): boolean {
  return column.startsWith('#') && !column.endsWith(':step');
}

/**
 * True when a column's key looks like a quantity to minimise (`#loss`, `#val/loss:min`,
 * `#eval_error_rate`, `#wer`): its best value is the lowest; for other metrics the highest.
 * The sigil (`#`, `=`, `.`) and the `:min`/`:max`/`:last` statistic are ignored; words are
 * split at anything that is not a letter or digit and at camelCase humps; a word ending in
 * `loss` counts too (`valloss`, `trainLoss`). A step column (`#loss:step`) counts up:
 * highest first.
 */
export function lowerIsBetter(column: string): boolean {
  if (column.startsWith('#') && !isMetricColumn(column)) {
    return false;
  }
  const key = column.replace(/^[#=.]/, '').replace(/:(min|max|last)$/, '');
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/);
  return words.some(word => LOWER_IS_BETTER.has(word) || word.endsWith('loss'));
}
