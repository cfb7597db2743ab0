/**
 * Which way a column sorts first, and which value of a metric is best: lower first for
 * keys that look like losses or errors (`#loss`, `#val/loss:min`, `#eval_error_rate`,
 * `#wer`), higher first for other numbers (`#acc`, `#bleu`, `started`: newest first), and
 * A to Z for text. The Compare panel lets the user override it per column.
 */
import type { ColumnKind } from './columns';

/** Sort direction of a column. */
export type SortDirection = 'ascending' | 'descending';

/** Words that mark a quantity to minimise, matched as whole words of the key. */
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
 * True when the column's key looks like a quantity to minimise. The sigil (`#`, `=`,
 * `.`) and the `:min`/`:max`/`:last` statistic are ignored; words are split at anything
 * that is not a letter or digit and at camelCase humps; a word ending in `loss` counts
 * too (`valloss`, `trainLoss`).
 */
export function lowerIsBetter(column: string): boolean {
  const key = column.replace(/^[#=.]/, '').replace(/:(min|max|last)$/, '');
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/);
  return words.some(word => LOWER_IS_BETTER.has(word) || word.endsWith('loss'));
}

/** The direction a first click on the column's header sorts it. */
export function defaultDirection(column: string, kind: ColumnKind): SortDirection {
  if (kind === 'string' || kind === 'list' || kind === 'bool') {
    return 'ascending';
  }
  return lowerIsBetter(column) ? 'ascending' : 'descending';
}
