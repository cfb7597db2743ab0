/**
 * The core columns of the runs index (see index-columns.ts). PURE, like query-eval.ts,
 * which resolves names against them in the browser too.
 */

/**
 * What a column holds. `time` is milliseconds since the epoch (Arrow timestamp[ms]),
 * `list` a list of strings (tags), `json` lists/objects as JSON text, `mixed` values of
 * several JSON types as text, `null` only nulls.
 */
export type ColumnKind = 'number' | 'string' | 'bool' | 'time' | 'list' | 'json' | 'mixed' | 'null';

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
