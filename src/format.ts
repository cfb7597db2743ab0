/**
 * How the Runs panel and the run view write ids, times, durations and numbers.
 */

/** Characters of a run id shown in lists (as `nbx runs` does). */
export const SHORT_ID_LENGTH = 8;

/** The first characters of a run id. */
export function shortId(id: string): string {
  return id.slice(0, SHORT_ID_LENGTH);
}

const TIME_OF_DAY = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit'
});
const DAY_AND_TIME = new Intl.DateTimeFormat(undefined, {
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit'
});
const FULL_DATE = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: 'numeric'
});
const DATE_AND_TIME = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit'
});

/**
 * A start time in a list: the time of day for today, day and time for this year, the date
 * before that.
 */
export function formatWhen(ms: number | null, now = Date.now()): string {
  if (ms === null) {
    return '';
  }
  const date = new Date(ms);
  const today = new Date(now);
  if (date.toDateString() === today.toDateString()) {
    return TIME_OF_DAY.format(date);
  }
  if (date.getFullYear() === today.getFullYear()) {
    return DAY_AND_TIME.format(date);
  }
  return FULL_DATE.format(date);
}

/** A full local date and time, for the run view; '' for none. */
export function formatDateTime(iso: string | null): string {
  if (!iso) {
    return '';
  }
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? DATE_AND_TIME.format(new Date(ms)) : iso;
}

/** A duration in seconds: `42s`, `12m 03s`, `1h 02m`, `3d 4h`; '' for none. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) {
    return '';
  }
  const s = Math.max(0, Math.floor(seconds));
  const two = (n: number): string => String(n).padStart(2, '0');
  if (s < 60) {
    return `${s}s`;
  }
  if (s < 3600) {
    return `${Math.floor(s / 60)}m ${two(s % 60)}s`;
  }
  if (s < 86400) {
    return `${Math.floor(s / 3600)}h ${two(Math.floor((s % 3600) / 60))}m`;
  }
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

/** A metric value: 4 significant digits, exponents for very small or large values. */
export function formatNumber(value: number | null): string {
  if (value === null || Number.isNaN(value)) {
    return '';
  }
  if (!Number.isFinite(value)) {
    return value > 0 ? '∞' : '-∞';
  }
  if (value === 0 || Number.isInteger(value)) {
    return String(value);
  }
  const abs = Math.abs(value);
  if (abs < 1e-3 || abs >= 1e6) {
    return value.toExponential(2);
  }
  return String(Number(value.toPrecision(4)));
}

/** A size in bytes: `512 B`, `64 KiB`, `1.5 MiB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) {
    return `${bytes} B`;
  }
  if (bytes < 1024 * 1024) {
    return `${Math.round(bytes / 1024)} KiB`;
  }
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}
