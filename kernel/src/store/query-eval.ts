/**
 * The `--where` and `--sort` languages evaluated over any table of runs: the runs index in
 * the engine (query.ts wraps these for the CLI and the service), and the Runs panel's
 * Arrow table in the browser, which filters and sorts the rows it holds without asking
 * the service. PURE: no `node:` imports and only pure modules (query-lex, query-parse,
 * core-columns; types of index-columns), so the browser bundle may import it at runtime.
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
 *
 * Errors are `QuerySyntaxError`s; `describeQueryError` words them in one line.
 */
import { isCoreColumn } from './core-columns';
import type { CellValue, ColumnKind } from './index-columns';

export type { CellValue, ColumnKind } from './index-columns';
import { QuerySyntaxError } from './query-lex';
import { parseWhereExpr, type CompareOp, type ILiteral, type WhereExpr } from './query-parse';

/** What a query reads of a table: the kind of a column by name, and its cells by row. */
export interface IQueryTable {
  /** The column named `name` (a public name: `status`, `=lr`, `#loss`), or none. */
  column(name: string): { kind: ColumnKind } | null | undefined;
  /** The cells of column `name` (one the table has) by row. */
  reader(name: string): (row: number) => CellValue;
}

/** A row predicate over a table. */
export type RowPredicate = (row: number) => boolean;

/**
 * The column of `table` a name refers to (see the module comment), or null. Scalar names
 * take the qualifiers `:last` (the default), `:min`, `:max`, `:step` (the step of the last).
 */
export function resolveColumn(table: IQueryTable, name: string): string | null {
  const has = (column: string): string | null => (table.column(column) ? column : null);
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

/** Compiles a parsed expression against the columns of `table`. */
function compile(table: IQueryTable, expr: WhereExpr): RowPredicate {
  switch (expr.type) {
    case 'and': {
      const left = compile(table, expr.left);
      const right = compile(table, expr.right);
      return row => left(row) && right(row);
    }
    case 'or': {
      const left = compile(table, expr.left);
      const right = compile(table, expr.right);
      return row => left(row) || right(row);
    }
    case 'not': {
      const inner = compile(table, expr.expr);
      return row => !inner(row);
    }
    default:
      break;
  }
  const column = resolveColumn(table, expr.name.text);
  if (column === null) {
    throw unknownColumn(expr.name.text, expr.name.pos);
  }
  const kind = table.column(column)?.kind ?? 'string';
  const read = table.reader(column);
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

/** Compiles a `--where` expression against `table`; throws a `QuerySyntaxError`. */
export function compileWhereExpr(table: IQueryTable, text: string): RowPredicate {
  return compile(table, parseWhereExpr(text));
}

/**
 * The columns a `--where` expression refers to (names that resolve to nothing are left
 * out); throws a `QuerySyntaxError` for a syntax error.
 */
export function whereColumnsOf(table: IQueryTable, text: string): string[] {
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
        const column = resolveColumn(table, e.name.text);
        if (column !== null && !names.includes(column)) {
          names.push(column);
        }
      }
    }
  };
  visit(parseWhereExpr(text));
  return names;
}

/** `invalid <option> '<text>': <detail>`, the one line a bad query is reported with. */
export function describeQueryError(option: string, text: string, err: unknown): string {
  const detail = err instanceof QuerySyntaxError ? err.describe() : String(err);
  return `invalid ${option} '${text}': ${detail}`;
}

/** One key of a sort spec. */
export interface ISortKey {
  column: string;
  descending: boolean;
}

/**
 * Parses `--sort`: comma-separated column names, each optionally prefixed with `-`
 * (descending) or `+` (ascending, the default). Throws a `QuerySyntaxError`.
 */
export function parseSortSpec(table: IQueryTable, spec: string): ISortKey[] {
  const keys: ISortKey[] = [];
  let pos = 0;
  for (const part of spec.split(',')) {
    const at = pos + (part.length - part.trimStart().length);
    pos += part.length + 1;
    const item = part.trim();
    const descending = item.startsWith('-');
    const name = item.replace(/^[-+]/, '');
    if (name === '') {
      throw new QuerySyntaxError('missing column name', at);
    }
    const column = resolveColumn(table, name);
    if (column === null) {
      throw unknownColumn(name, at + (item.length - name.length));
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
export function sortRows(table: IQueryTable, rows: readonly number[], keys: ISortKey[]): number[] {
  if (keys.length === 0) {
    return [...rows];
  }
  // Values read once, by position in `rows`: the comparisons index arrays.
  const columns = keys.map(key => {
    const read = table.reader(key.column);
    return { values: rows.map(row => sortValue(read(row))), sign: key.descending ? -1 : 1 };
  });
  const positions = Array.from({ length: rows.length }, (_, i) => i);
  positions.sort((a, b) => {
    for (const { values, sign } of columns) {
      const va = values[a];
      const vb = values[b];
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
    return a - b;
  });
  return positions.map(i => rows[i]);
}
