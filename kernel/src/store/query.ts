/**
 * Queries over the runs index for the CLI and the service: `--where` expressions and
 * `--sort` specs (evaluated by query-eval.ts, whose module comment gives the language's
 * names and semantics), reported as one-line UserErrors, and the listing filters of
 * `nbx runs` (`--status`, `--notebook`, `--label`, `--tag`).
 */
import { UserError } from '../base/errors';
import type { RunsIndex } from './index';
import { QuerySyntaxError } from './query-lex';
import {
  compileWhereExpr,
  describeQueryError,
  parseSortSpec,
  type ISortKey,
  type RowPredicate,
  whereColumnsOf
} from './query-eval';
import { RUN_STATUSES } from './meta';

export { resolveColumn, sortRows, type ISortKey, type RowPredicate } from './query-eval';

/** A UserError for a bad `option` value: `invalid <option> '<text>': <detail>`. */
export function invalidOption(option: string, text: string, err: unknown): UserError {
  return new UserError(describeQueryError(option, text, err));
}

/**
 * Compiles a `--where` expression against `index`. Throws a one-line UserError such as
 * `invalid --where 'lr >> 1': unexpected '>' at column 5 (expected a value)`.
 */
export function compileWhere(index: RunsIndex, text: string, option = '--where'): RowPredicate {
  try {
    return compileWhereExpr(index, text);
  } catch (err) {
    if (err instanceof QuerySyntaxError) {
      throw invalidOption(option, text, err);
    }
    throw err;
  }
}

/**
 * The columns a `--where` expression refers to (names that resolve to nothing are left
 * out). Throws the same one-line UserError as `compileWhere` for a syntax error.
 */
export function whereColumns(index: RunsIndex, text: string, option = '--where'): string[] {
  try {
    return whereColumnsOf(index, text);
  } catch (err) {
    throw invalidOption(option, text, err);
  }
}

/**
 * Parses `--sort`: comma-separated column names, each optionally prefixed with `-`
 * (descending) or `+` (ascending, the default). Throws a one-line UserError.
 */
export function parseSort(index: RunsIndex, spec: string, option = '--sort'): ISortKey[] {
  try {
    return parseSortSpec(index, spec);
  } catch (err) {
    if (err instanceof QuerySyntaxError) {
      throw invalidOption(option, spec, err);
    }
    throw err;
  }
}

/** The listing filters of `nbx runs` (all optional; every given one must hold). */
export interface IRunFilter {
  /** Any of these (effective) statuses. */
  status?: string[];
  /** Notebook name, with or without `.ipynb` (a path is reduced to its name). */
  notebook?: string;
  /** Case-insensitive substring of the label. */
  label?: string;
  /** Every one of these tags. */
  tags?: string[];
  /** A `--where` expression. */
  where?: string;
}

/** Validates `--status` values (comma lists allowed) and returns them. */
export function parseStatuses(values: string[]): string[] {
  const statuses = values
    .flatMap(v => v.split(','))
    .map(s => s.trim().toLowerCase())
    .filter(s => s !== '');
  for (const status of statuses) {
    if (!(RUN_STATUSES as readonly string[]).includes(status)) {
      throw new UserError(`unknown status '${status}' — one of ${RUN_STATUSES.join(', ')}`);
    }
  }
  return statuses;
}

/** The rows of `index` (in index order: latest first) that pass `filter`. */
export function filterRows(index: RunsIndex, filter: IRunFilter): number[] {
  const tests: RowPredicate[] = [];
  if (filter.status && filter.status.length) {
    const wanted = new Set(filter.status);
    const read = index.reader('status');
    tests.push(row => wanted.has(String(read(row))));
  }
  if (filter.notebook !== undefined) {
    const base = filter.notebook.split(/[\\/]/).pop() ?? filter.notebook;
    const names = new Set([base, base.endsWith('.ipynb') ? base : `${base}.ipynb`]);
    const read = index.reader('notebook');
    tests.push(row => names.has(String(read(row))));
  }
  if (filter.label !== undefined) {
    const needle = filter.label.toLowerCase();
    const read = index.reader('label');
    tests.push(row => (read(row) as string | null)?.toLowerCase().includes(needle) ?? false);
  }
  if (filter.tags && filter.tags.length) {
    const wanted = filter.tags;
    const read = index.reader('tags');
    tests.push(row => {
      const tags = read(row);
      return Array.isArray(tags) && wanted.every(t => tags.includes(t));
    });
  }
  if (filter.where !== undefined) {
    if (index.numRows > 0) {
      tests.push(compileWhere(index, filter.where));
    } else {
      // No columns to resolve names against; still report a syntax error.
      whereColumns(index, filter.where);
    }
  }
  const rows: number[] = [];
  for (let row = 0, n = index.numRows; row < n; row++) {
    if (tests.every(test => test(row))) {
      rows.push(row);
    }
  }
  return rows;
}
