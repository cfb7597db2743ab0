/**
 * `nbx compare`: which runs and which columns, and the machine-readable forms of the
 * result (CSV, JSON rows, Arrow). The aligned text table is in compare-text.
 *
 * Column spec (`--columns`): a comma list of `=flag`, `#key` (`#key:min`, `#key:max`,
 * `#key:last`), `.name` (a core column such as `.duration`, or an attribute), bare names
 * (resolved as in `--where`), Guild's `min loss` / `max acc` / `last loss`, and `*`
 * wildcards after a sigil: `=*` (every flag), `#*` (every last value), `#sys/*`, `#*:min`.
 * The run id always comes first.
 */
import { UserError } from '../base/errors';
import type { JSONValue } from '../base/json';
import type { RunsIndex } from './index';
import type { Table } from './index-arrow';
import { parseScalarColumn, type CellValue, type ColumnKind } from './index-columns';
import { resolveIndexRefs } from './index-refs';
import {
  compileWhere,
  filterRows,
  invalidOption,
  parseSort,
  resolveColumn,
  sortRows
} from './query';
import { QuerySyntaxError } from './query-lex';

/** Core columns shown by default after the run id. */
export const DEFAULT_CORE_COLUMNS = ['notebook', 'status', 'label'];

/** What to compare. */
export interface ICompareOptions {
  /** RUN references (ids, prefixes, list positions, `A:B` ranges); all runs when empty. */
  refs?: readonly string[];
  /** A column spec; the default columns when absent. */
  columns?: string;
  where?: string;
  sort?: string;
  /** At most this many rows (after sorting). */
  limit?: number;
  /** Index rows to compare, in order (instead of `refs`; `where` still filters them). */
  rows?: readonly number[];
  /** How errors name the options: `--where` (the CLI's, the default) or `where` (the API's). */
  optionStyle?: 'cli' | 'api';
}

/** One column of a comparison. */
export interface ICompareColumn {
  /** Index column name (`id`, `status`, `=lr`, `#loss:min`). */
  name: string;
  kind: ColumnKind;
}

/** The rows and columns to compare. */
export interface ICompareTable {
  index: RunsIndex;
  /** Index rows, in display order. */
  rows: number[];
  /** Columns, `id` first. */
  columns: ICompareColumn[];
}

function wildcard(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

/** Index columns matching one wildcard item (`=*`, `#sys/*`, `#*:min`, `.*`). */
function expandWildcard(index: RunsIndex, item: string): string[] {
  const sigil = item[0];
  if (sigil === '#') {
    const match = /^#(.*?)(?::(last|min|max|step))?$/.exec(item);
    const key = wildcard(match?.[1] ?? '');
    const stat = match?.[2] ?? 'last';
    return index.names('scalar').filter(name => {
      const scalar = parseScalarColumn(name);
      return scalar !== null && scalar.stat === stat && key.test(scalar.key);
    });
  }
  const family = sigil === '=' ? 'flag' : sigil === '.' ? 'attr' : null;
  if (family === null) {
    return [];
  }
  const re = wildcard(item.slice(1));
  return index.names(family).filter(name => re.test(name.slice(1)));
}

/**
 * The index columns a `--columns` spec names, in order, without duplicates (and without
 * `id`, which always comes first). Throws a one-line UserError naming a bad item.
 */
export function parseColumnSpec(index: RunsIndex, spec: string, option = '--columns'): string[] {
  const columns: string[] = [];
  let pos = 0;
  for (const part of spec.split(',')) {
    const at = pos + (part.length - part.trimStart().length);
    pos += part.length + 1;
    let item = part.trim().replace(/\s+/g, ' ');
    if (item === '') {
      throw invalidOption(option, spec, new QuerySyntaxError('missing column name', at));
    }
    const qualified = /^(last|min|max|step) (\S+)$/.exec(item);
    if (qualified) {
      const key = qualified[2].replace(/^#/, '');
      item = qualified[1] === 'last' ? `#${key}` : `#${key}:${qualified[1]}`;
    }
    let found: string[];
    if (item.includes('*')) {
      found = expandWildcard(index, item);
    } else {
      const column = resolveColumn(index, item);
      if (column === null) {
        throw invalidOption(option, spec, new QuerySyntaxError(`unknown column '${item}'`, at));
      }
      found = [column];
    }
    for (const column of found) {
      if (column !== 'id' && !columns.includes(column)) {
        columns.push(column);
      }
    }
  }
  return columns;
}

/**
 * The default columns for `rows`: notebook, status, label; the flags whose values differ
 * between the rows (every flag a run has when there is only one); the last value of each
 * scalar key any of the rows has, except system metrics (`sys/*`).
 */
export function defaultColumns(index: RunsIndex, rows: readonly number[]): string[] {
  const columns = [...DEFAULT_CORE_COLUMNS];
  for (const name of index.names('flag')) {
    const read = index.reader(name);
    const first = rows.length ? read(rows[0]) : null;
    let present = first !== null;
    let differs = false;
    for (let i = 1; i < rows.length && !differs; i++) {
      const cell = read(rows[i]);
      present ||= cell !== null;
      differs = cell !== first;
    }
    if (present && (differs || rows.length === 1)) {
      columns.push(name);
    }
  }
  for (const name of index.names('scalar')) {
    if (name.includes(':') || name.startsWith('#sys/')) {
      continue;
    }
    const read = index.reader(name);
    if (rows.some(row => read(row) !== null)) {
      columns.push(name);
    }
  }
  return columns;
}

/** Selects the runs and columns to compare (see `ICompareOptions`). */
export function selectCompare(index: RunsIndex, options: ICompareOptions = {}): ICompareTable {
  const option = (name: string): string => (options.optionStyle === 'api' ? name : `--${name}`);
  let rows: number[];
  const given =
    options.rows ?? (options.refs?.length ? resolveIndexRefs(index, options.refs) : null);
  if (given !== null) {
    rows = [...given];
    if (options.where !== undefined) {
      const keep = compileWhere(index, options.where, option('where'));
      rows = rows.filter(row => keep(row));
    }
  } else {
    rows = filterRows(index, { where: options.where });
  }
  if (options.sort !== undefined && index.numRows > 0) {
    rows = sortRows(index, rows, parseSort(index, options.sort, option('sort')));
  }
  if (options.limit !== undefined) {
    if (!Number.isInteger(options.limit) || options.limit < 0) {
      throw new UserError(`invalid ${option('limit')} '${options.limit}' — give a whole number`);
    }
    rows = rows.slice(0, options.limit);
  }
  const names =
    options.columns !== undefined && index.numRows > 0
      ? parseColumnSpec(index, options.columns, option('columns'))
      : defaultColumns(index, rows);
  const columns = ['id', ...names]
    .filter(name => index.column(name))
    .map(name => ({ name, kind: index.column(name)?.kind ?? 'string' }));
  return { index, rows, columns };
}

/** A cell as JSON: times as ISO 8601 text, everything else as it is. */
function jsonCell(cell: CellValue, kind: ColumnKind): JSONValue {
  if (kind === 'time' && typeof cell === 'number') {
    return new Date(cell).toISOString();
  }
  return cell;
}

/** The comparison as JSON rows keyed by column name. */
export function compareRows(t: ICompareTable): Record<string, JSONValue>[] {
  const readers = t.columns.map(c => t.index.reader(c.name));
  return t.rows.map(row => {
    const out: Record<string, JSONValue> = {};
    t.columns.forEach((c, i) => {
      out[c.name] = jsonCell(readers[i](row), c.kind);
    });
    return out;
  });
}

function csvField(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * The comparison as CSV (RFC 4180, `\n` line ends): a header of column names, numbers in
 * full precision, times in ISO 8601, tags joined with `,`, empty fields for nulls.
 */
export function compareCsv(t: ICompareTable): string {
  const readers = t.columns.map(c => t.index.reader(c.name));
  const lines = [t.columns.map(c => csvField(c.name)).join(',')];
  for (const row of t.rows) {
    const fields = t.columns.map((c, i) => {
      const cell = jsonCell(readers[i](row), c.kind);
      if (cell === null) {
        return '';
      }
      return csvField(Array.isArray(cell) ? cell.join(',') : String(cell));
    });
    lines.push(fields.join(','));
  }
  return lines.join('\n') + '\n';
}

/** The comparison as an Arrow table (the index's column types and metadata). */
export function compareArrow(t: ICompareTable): Table {
  return t.index.select(
    t.rows,
    t.columns.map(c => c.name)
  );
}
