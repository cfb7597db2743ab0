/**
 * `nbx run ... --preview`: the trials a batch would run, as a table of trial number ×
 * flags, under a line saying what kind of batch it is.
 */

import type { JSONValue } from '../base/json';
import type { IBatchPlan } from './batch';

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** The line above the table, e.g. `grid: 4 trials` or `random search: 5 trials (seed 7)`. */
export function describeBatch(plan: IBatchPlan): string {
  const count = plural(plan.trials.length, 'trial');
  switch (plan.kind) {
    case 'single':
      return '1 trial (a single run, no batch)';
    case 'grid':
      if (plan.seed !== null && plan.gridSize !== null) {
        return `grid: ${count} sampled from ${plan.gridSize} (seed ${plan.seed})`;
      }
      return `grid: ${count}`;
    case 'random':
      return `random search: ${count} (seed ${plan.seed})`;
    case 'file':
      return `batch file ${plan.batchFile}: ${count}`;
  }
}

/** A value as shown in a preview cell: short numbers, strings bare unless ambiguous. */
export function formatPreviewValue(value: JSONValue | undefined): string {
  if (value === undefined) {
    return '';
  }
  if (typeof value === 'number') {
    return Number.isInteger(value) || !Number.isFinite(value)
      ? String(value)
      : String(Number(value.toPrecision(6)));
  }
  if (typeof value === 'string') {
    return value === '' || /[\s'"]/.test(value) ? JSON.stringify(value) : value;
  }
  return JSON.stringify(value);
}

/**
 * The preview of a batch: `describeBatch`'s line, then one row per trial with its
 * number (from 1) and its assigned flags, columns in the order the flags first appear.
 * Number columns are right-aligned; a flag a trial leaves at its default is blank. For
 * example:
 *
 * ```
 * grid: 4 trials
 * #     lr  layers
 * 1  0.001  2
 * ```
 */
export function previewTrials(plan: IBatchPlan): string {
  const names: string[] = [];
  for (const trial of plan.trials) {
    for (const name of Object.keys(trial)) {
      if (!names.includes(name)) {
        names.push(name);
      }
    }
  }
  const header = ['#', ...names];
  const rows = plan.trials.map((trial, i) => [
    String(i + 1),
    ...names.map(name => formatPreviewValue(trial[name]))
  ]);
  const numeric = header.map(
    (_, c) =>
      c === 0 ||
      plan.trials.every(trial => {
        const value = trial[names[c - 1]];
        return value === undefined || typeof value === 'number';
      })
  );
  const widths = header.map((title, c) =>
    Math.max(title.length, ...rows.map(row => row[c].length))
  );
  const line = (cells: string[]): string =>
    cells
      .map((cell, c) => (numeric[c] ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
      .join('  ')
      .trimEnd();
  return [describeBatch(plan), line(header), ...rows.map(line)].join('\n');
}
