/**
 * The Runs panel's filter and sort, evaluated in the browser over the runs it holds, by
 * the engine's own evaluator (kernel/lib/store/query-eval: the names, semantics and error
 * lines of `nbx runs --where/--sort` and of the service's `listRuns`), so that filtering
 * and sorting cost no request and no new table.
 */
import type { IRunsColumn } from '../../kernel/src/contract/service';
import {
  compileWhereExpr,
  describeQueryError,
  parseSortSpec,
  sortRows,
  whereColumnsOf,
  type CellValue,
  type ColumnKind,
  type IQueryTable,
  type ISortKey,
  type RowPredicate
} from '../../kernel/lib/store/query-eval';

/** A cell of the panel's tables by column name and slot (undefined: column not held). */
export type CellOf = (column: string, slot: number) => unknown;

/**
 * The runs the panel holds as the query language reads them: the index's columns (every
 * one, as the listing describes them, so names resolve as in the engine) and the cells of
 * those the panel holds, by slot.
 */
export class SlotTable implements IQueryTable {
  constructor(columns: readonly IRunsColumn[], cellOf: CellOf) {
    this._columns = new Map(
      columns.map(column => [column.name, { kind: Private.kind(column.kind) }])
    );
    this._cellOf = cellOf;
  }

  column(name: string): { kind: ColumnKind } | undefined {
    return this._columns.get(name);
  }

  /** Cells as the engine's index reads them: times in ms, numbers, tags as a list. */
  reader(name: string): (slot: number) => CellValue {
    const kind = this._columns.get(name)?.kind;
    const cellOf = this._cellOf;
    if (kind === 'number' || kind === 'time') {
      return slot => Private.number(cellOf(name, slot));
    }
    if (kind === 'list') {
      return slot => Private.list(cellOf(name, slot));
    }
    return slot => {
      const value = cellOf(name, slot);
      return value === undefined ? null : (value as CellValue);
    };
  }

  private readonly _columns: Map<string, { kind: ColumnKind }>;
  private readonly _cellOf: CellOf;
}

/** A filter and a sort compiled against a `SlotTable`. */
export interface IRunsView {
  /** The filter's predicate over slots, or null for every run. */
  where: RowPredicate | null;
  /** The sort's keys (none: the listing's order, latest first). */
  sort: ISortKey[];
}

/** What compiling a filter and a sort gave. */
export type CompiledView =
  | { view: IRunsView }
  /** Columns they name that the panel does not hold: list them first. */
  | { missing: string[] }
  /** The one-line error of a bad filter or sort (`invalid where 'x >> 1': ...`). */
  | { error: string };

/**
 * Compiles `where` ('' for none) and `sort` (a `--sort` spec, '' for none) against
 * `table`, whose held columns `held` tells.
 */
export function compileView(
  table: SlotTable,
  where: string,
  sort: string,
  held: (column: string) => boolean
): CompiledView {
  let whereColumns: string[] = [];
  let keys: ISortKey[] = [];
  try {
    whereColumns = where === '' ? [] : whereColumnsOf(table, where);
  } catch (err) {
    return { error: describeQueryError('where', where, err) };
  }
  try {
    keys = sort === '' ? [] : parseSortSpec(table, sort);
  } catch (err) {
    return { error: describeQueryError('sort', sort, err) };
  }
  const missing = [...whereColumns, ...keys.map(key => key.column)].filter(name => !held(name));
  if (missing.length > 0) {
    return { missing: [...new Set(missing)] };
  }
  try {
    return { view: { where: where === '' ? null : compileWhereExpr(table, where), sort: keys } };
  } catch (err) {
    return { error: describeQueryError('where', where, err) };
  }
}

/** `slots` (in the listing's order) that pass the view's filter, in its sort's order. */
export function applyView(table: SlotTable, view: IRunsView, slots: readonly number[]): number[] {
  const where = view.where;
  const kept = where ? slots.filter(slot => where(slot)) : [...slots];
  return view.sort.length > 0 ? sortRows(table, kept, view.sort) : kept;
}

namespace Private {
  /** A column kind of the listing (`IRunsColumn.kind`) as the evaluator types it. */
  export function kind(text: string): ColumnKind {
    switch (text) {
      case 'number':
      case 'string':
      case 'bool':
      case 'time':
      case 'list':
      case 'json':
      case 'mixed':
      case 'null':
        return text;
      default:
        // A kind this frontend does not know: compared as text, as the engine does.
        return 'mixed';
    }
  }

  /** A number or time cell (Arrow gives numbers, bigints or, in older versions, Dates). */
  export function number(value: unknown): number | null {
    if (typeof value === 'number') {
      return value;
    }
    if (typeof value === 'bigint') {
      return Number(value);
    }
    return value instanceof Date ? value.getTime() : null;
  }

  /** A list cell (tags): its strings, or null. */
  export function list(value: unknown): string[] | null {
    if (value === null || value === undefined || typeof value !== 'object') {
      return null;
    }
    if (!(Symbol.iterator in value)) {
      return null;
    }
    return Array.from(value as Iterable<unknown>).filter((s): s is string => typeof s === 'string');
  }
}
