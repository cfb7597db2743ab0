/**
 * Which way a column sorts first, and which value of a metric is best: lower first for
 * keys that look like losses or errors (`#loss`, `#val/loss:min`, `#eval_error_rate`,
 * `#wer`), higher first for other numbers (`#acc`, `#bleu`, `started`: newest first), and
 * A to Z for text. The Compare panel lets the user override it per column.
 */
import { lowerIsBetter } from '../../kernel/lib/base/display';
import type { ColumnKind } from './columns';

// One rule, in base/display: nbx.compare marks a notebook's best values by it too.
export { lowerIsBetter };

/** Sort direction of a column. */
export type SortDirection = 'ascending' | 'descending';

/** The direction a first click on the column's header sorts it. */
export function defaultDirection(column: string, kind: ColumnKind): SortDirection {
  if (kind === 'string' || kind === 'list' || kind === 'bool') {
    return 'ascending';
  }
  return lowerIsBetter(column) ? 'ascending' : 'descending';
}
