/**
 * Queries over the runs index: `--where` expressions, `--sort` specs and the listing
 * filters of `nbx runs` (`--status`, `--notebook`, `--label`, `--tag`).
 *
 * Names resolve like Guild's: `=flag`, `#key` (`#key:min`, `#key:max`, `#key:last`,
 * `#key:step`) and
 * `.name` (a core column, else an `nbx.attr` attribute) say what they are; a bare name is
 * a core column, else a flag, else a scalar key, else an attribute.
 *
 * Semantics: a comparison with a missing (null) cell is false, except `!=` and `not in`,
 * which are true. Numbers compare as numbers; `started`/`created`/`stopped` take a date
 * (`2025-11-01`, `2025-11-01T14:00`); `tags = x` and `tags contains x` test membership;
 * `contains` on text is a case-insensitive substring test; text that holds a number
 * (mixed-type flags) compares numerically with a number.
 */
import { UserError } from '../base/errors';
import type { RunsIndex } from './index';
import { isCoreColumn, type CellValue, type ColumnKind } from './index-columns';
import { QuerySyntaxError } from './query-lex';
import { parseWhereExpr, type CompareOp, type ILiteral, type WhereExpr } from './query-parse';
import { RUN_STATUSES } from './meta';

/** A row predicate over the index. */
export type RowPredicate = (row: number) => boolean;

/**
 * The column of `index` a name refers to (see the module comment), or null. Scalar names
 * take the qualifiers `:last` (the default), `:min`, `:max`, `:step` (the step of the last).
 */
export function resolveColumn(index: RunsIndex, name: string): string | null {
  const has = (column: string): string | null => (index.column(column) ? column : null);
  const scalar = (key: string): string | null => {
    const match = /^(.*):(last|min|max|step)$/.exec(key);
    if (match) {
      return has(match[2] === 'last' ? `#${match[1]}` : `#${match[1]}:${match[2]}`);
    }
    return has(`#${key}`);
  };
  if (name.length < 2 && !/^[A-Za-z_]$/.test(name)) {
    return null;
  }
  switch (name[0]) {
    case '=':
      return has(name);
    case '#':
      return scalar(name.slice(1));
    case '.':
      return isCoreColumn(name.slice(1)) ? has(name.slice(1)) : has(name);
    default:
      if (isCoreColumn(name)) {
        return has(name);
      }
      return has(`=${name}`) ?? scalar(name) ?? has(`.${name}`);
  }
}

function unknownColumn(name: string, pos: number): QuerySyntaxError {
  return new QuerySyntaxError(`unknown column '${name}'`, pos);
}

/** A UserError for a bad `option` value: `invalid <option> '<text>': <detail>`. */
export function invalidOption(option: string, text: string, err: unknown): UserError {
  const detail = err instanceof QuerySyntaxError ? err.describe() : String(err);
  return new UserError(`invalid ${option} '${text}': ${detail}`);
}

/** A comparable form of a literal for a column of `kind`. */
type Operand = { num: number | null; text: string; bool: boolean | null };

function operand(literal: ILiteral, kind: ColumnKind): Operand {
  const text = literal.text;
  const asNumber = literal.type === 'number' ? Number(text) : null;
  const lower = text.toLowerCase();
  const bool = literal.type !== 'string' && (lower === 'true' || lower === 'false');
  switch (kind) {
    case 'number':
      if (asNumber === null) {
        throw new QuerySyntaxError(`'${text}' is not a number`, literal.pos);
      }
      return { num: asNumber, text, bool: null };
    case 'time': {
      const ms = asNumber ?? Date.parse(text);
      if (!Number.isFinite(ms)) {
        throw new QuerySyntaxError(`'${text}' is not a date`, literal.pos, 'e.g. 2025-11-01');
      }
      return { num: ms, text, bool: null };
    }
    case 'bool':
      if (!bool && !['true', 'false'].includes(lower)) {
        throw new QuerySyntaxError(`'${text}' is not true or false`, literal.pos);
      }
      return { num: null, text, bool: lower === 'true' };
    default: {
      const n = asNumber ?? (literal.type === 'word' && text !== '' ? Number(text) : NaN);
      return { num: Number.isFinite(n) ? n : null, text, bool: null };
    }
  }
}

function order(a: number | string | boolean, b: number | string | boolean): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function applyOp(op: CompareOp, c: number): boolean {
  switch (op) {
    case '=':
      return c === 0;
    case '!=':
      return c !== 0;
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    case '>=':
      return c >= 0;
  }
}

/** `cell op value` for a non-null cell of `kind`. */
function compareCell(cell: CellValue, op: CompareOp, value: Operand, kind: ColumnKind): boolean {
  if (kind === 'number' || kind === 'time') {
    return applyOp(op, order(cell as number, value.num as number));
  }
  if (kind === 'bool') {
    return applyOp(op, order(cell as boolean, value.bool as boolean));
  }
  if (Array.isArray(cell)) {
    const member = cell.includes(value.text);
    return op === '!=' ? !member : member;
  }
  const text = String(cell);
  if (value.num !== null && text.trim() !== '') {
    const n = Number(text);
    if (Number.isFinite(n)) {
      return applyOp(op, order(n, value.num));
    }
  }
  return applyOp(op, order(text, value.text));
}

/** Compiles a parsed expression against the columns of `index`. */
function compile(index: RunsIndex, expr: WhereExpr): RowPredicate {
  switch (expr.type) {
    case 'and': {
      const left = compile(index, expr.left);
      const right = compile(index, expr.right);
      return row => left(row) && right(row);
    }
    case 'or': {
      const left = compile(index, expr.left);
      const right = compile(index, expr.right);
      return row => left(row) || right(row);
    }
    case 'not': {
      const inner = compile(index, expr.expr);
      return row => !inner(row);
    }
    default:
      break;
  }
  const column = resolveColumn(index, expr.name.text);
  if (column === null) {
    throw unknownColumn(expr.name.text, expr.name.pos);
  }
  const kind = index.column(column)?.kind ?? 'string';
  const read = index.reader(column);
  const isNull = (cell: CellValue): boolean =>
    cell === null || (Array.isArray(cell) && cell.length === 0);
  switch (expr.type) {
    case 'null':
      return row => isNull(read(row)) !== expr.negate;
    case 'compare': {
      if (kind === 'list' && expr.op !== '=' && expr.op !== '!=') {
        throw new QuerySyntaxError(
          `'${expr.op}' does not apply to ${column}`,
          expr.name.pos,
          "'=', '!=', 'contains' or 'in'"
        );
      }
      const value = operand(expr.value, kind);
      return row => {
        const cell = read(row);
        return cell === null ? expr.op === '!=' : compareCell(cell, expr.op, value, kind);
      };
    }
    case 'contains': {
      if (kind === 'number' || kind === 'time' || kind === 'bool') {
        throw new QuerySyntaxError(
          `'contains' needs a text column, ${column} is not one`,
          expr.name.pos
        );
      }
      const needle = expr.value.text.toLowerCase();
      return row => {
        const cell = read(row);
        if (cell === null) {
          return expr.negate;
        }
        const found = Array.isArray(cell)
          ? cell.includes(expr.value.text)
          : String(cell).toLowerCase().includes(needle);
        return found !== expr.negate;
      };
    }
    case 'in': {
      const values = expr.values.map(v => operand(v, kind));
      return row => {
        const cell = read(row);
        const found = cell !== null && values.some(v => compareCell(cell, '=', v, kind));
        return found !== expr.negate;
      };
    }
  }
}

/**
 * Compiles a `--where` expression against `index`. Throws a one-line UserError such as
 * `invalid --where 'lr >> 1': unexpected '>' at column 5 (expected a value)`.
 */
export function compileWhere(index: RunsIndex, text: string, option = '--where'): RowPredicate {
  try {
    return compile(index, parseWhereExpr(text));
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
  let expr: WhereExpr;
  try {
    expr = parseWhereExpr(text);
  } catch (err) {
    throw invalidOption(option, text, err);
  }
  const names: string[] = [];
  const visit = (e: WhereExpr): void => {
    switch (e.type) {
      case 'and':
      case 'or':
        visit(e.left);
        visit(e.right);
        return;
      case 'not':
        visit(e.expr);
        return;
      default: {
        const column = resolveColumn(index, e.name.text);
        if (column !== null && !names.includes(column)) {
          names.push(column);
        }
      }
    }
  };
  visit(expr);
  return names;
}

/** One key of a sort spec. */
export interface ISortKey {
  column: string;
  descending: boolean;
}

/**
 * Parses `--sort`: comma-separated column names, each optionally prefixed with `-`
 * (descending) or `+` (ascending, the default). Throws a one-line UserError.
 */
export function parseSort(index: RunsIndex, spec: string, option = '--sort'): ISortKey[] {
  const keys: ISortKey[] = [];
  let pos = 0;
  for (const part of spec.split(',')) {
    const at = pos + (part.length - part.trimStart().length);
    pos += part.length + 1;
    const item = part.trim();
    const descending = item.startsWith('-');
    const name = item.replace(/^[-+]/, '');
    if (name === '') {
      throw invalidOption(option, spec, new QuerySyntaxError('missing column name', at));
    }
    const column = resolveColumn(index, name);
    if (column === null) {
      throw invalidOption(option, spec, unknownColumn(name, at + (item.length - name.length)));
    }
    keys.push({ column, descending });
  }
  return keys;
}

function sortValue(cell: CellValue): number | string | boolean | null {
  if (Array.isArray(cell)) {
    return cell.length ? cell.join(',') : null;
  }
  return cell;
}

/**
 * `rows` sorted by `keys` (stable: ties keep their order). Nulls sort last whatever the
 * direction.
 */
export function sortRows(index: RunsIndex, rows: readonly number[], keys: ISortKey[]): number[] {
  if (keys.length === 0) {
    return [...rows];
  }
  const columns = keys.map(key => {
    const read = index.reader(key.column);
    const values = new Map<number, number | string | boolean | null>();
    for (const row of rows) {
      values.set(row, sortValue(read(row)));
    }
    return { values, sign: key.descending ? -1 : 1 };
  });
  const position = new Map(rows.map((row, i) => [row, i]));
  return [...rows].sort((a, b) => {
    for (const { values, sign } of columns) {
      const va = values.get(a) ?? null;
      const vb = values.get(b) ?? null;
      if (va === vb) {
        continue;
      }
      if (va === null) {
        return 1;
      }
      if (vb === null) {
        return -1;
      }
      const c = order(va, vb);
      if (c !== 0) {
        return c * sign;
      }
    }
    return (position.get(a) ?? 0) - (position.get(b) ?? 0);
  });
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
