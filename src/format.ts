/**
 * How the Runs panel and the run view write ids, times, durations and numbers. Numbers
 * and durations follow the rules the terminal and the notebook display use
 * (kernel/src/base/display.ts, the one engine module the browser bundle includes).
 */
import * as display from '../kernel/lib/base/display';

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

/** A duration in seconds, as the CLI writes it (`0.4s`, `12s`, `3m05s`, `2h04m`); '' for none. */
export function formatDuration(seconds: number | null): string {
  return seconds === null || !Number.isFinite(seconds)
    ? ''
    : display.formatDuration(seconds * 1000);
}

/** A metric value, as the CLI writes it (4 significant digits); '' for none. */
export function formatNumber(value: number | null): string {
  return value === null || Number.isNaN(value) ? '' : display.formatNumber(value);
}

/** A flag value in a cell or a trial's name: strings as they are, other values as JSON. */
export function formatFlagValue(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value ?? null);
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
