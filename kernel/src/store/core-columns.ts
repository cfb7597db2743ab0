/**
 * The core columns of the runs index (see index-columns.ts). PURE, like query-eval.ts,
 * which resolves names against them in the browser too.
 */
import type { ColumnKind } from './index-columns';

/** The core columns, in table order, with their kinds. */
export const CORE_COLUMNS: Readonly<Record<string, ColumnKind>> = {
  id: 'string',
  notebook: 'string',
  status: 'string',
  label: 'string',
  tags: 'list',
  created: 'time',
  started: 'time',
  stopped: 'time',
  duration: 'number',
  kind: 'string',
  parent: 'string',
  slurm: 'string'
};

/** True for the name of a core column. */
export function isCoreColumn(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(CORE_COLUMNS, name);
}
