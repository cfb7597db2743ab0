/**
 * Flag and attribute columns of the runs index: one column per name, typed by the JSON
 * values the runs have (see `mergeKinds`). A column of mixed types holds text; its
 * companion hidden column `_kind<column>` (Int8) keeps what each value was, so the
 * values can be restored exactly and the column retyped when the odd run goes away.
 */
import type { JSONValue } from '../base/json';
import { arrow, type Vector } from './index-arrow';
import { mergeKinds, valueKind, type CellValue, type ColumnKind } from './index-columns';

/** Kind codes of single values, as stored in `_kind` columns (0 is null). */
const KIND_CODES: readonly ColumnKind[] = ['null', 'number', 'string', 'bool', 'json'];

/** Name of the hidden column with the value kinds of mixed column `column`. */
export function kindColumnName(column: string): string {
  return `_kind${column}`;
}

/** One column while it fills: its kind so far, the cells and each cell's own kind code. */
export interface ITypedColumn {
  kind: ColumnKind;
  cells: CellValue[];
  codes: Int8Array;
}

function kindCode(kind: ColumnKind): number {
  switch (kind) {
    case 'number':
      return 1;
    case 'string':
      return 2;
    case 'bool':
      return 3;
    case 'json':
      return 4;
    default:
      return 0;
  }
}

/** The JSON value of a cell of a column of `kind` (`code`: the cell's own kind, if mixed). */
export function restoreValue(cell: CellValue, kind: ColumnKind, code = 0): JSONValue {
  const own = kind === 'mixed' ? (KIND_CODES[code] ?? 'string') : kind;
  if (cell === null || Array.isArray(cell)) {
    return cell;
  }
  switch (own) {
    case 'number':
      return typeof cell === 'number' ? cell : Number(cell);
    case 'bool':
      return typeof cell === 'boolean' ? cell : cell === 'true';
    case 'json':
      try {
        return JSON.parse(String(cell)) as JSONValue;
      } catch {
        return String(cell);
      }
    default:
      return cell;
  }
}

/** The cell a value is kept as while columns fill: lists/objects as JSON text. */
function cellOf(value: JSONValue, kind: ColumnKind): CellValue {
  return kind === 'json' ? JSON.stringify(value) : (value as CellValue);
}

/** Flag (or attribute) columns while they fill, rows by index. */
export class TypedColumns {
  readonly columns = new Map<string, ITypedColumn>();

  constructor(private readonly n: number) {}

  private column(name: string): ITypedColumn {
    let column = this.columns.get(name);
    if (!column) {
      column = {
        kind: 'null',
        cells: new Array<CellValue>(this.n).fill(null),
        codes: new Int8Array(this.n)
      };
      this.columns.set(name, column);
    }
    return column;
  }

  private put(column: ITypedColumn, row: number, cell: CellValue, kind: ColumnKind): void {
    column.cells[row] = cell;
    column.codes[row] = kindCode(kind);
    if (column.kind !== kind) {
      column.kind = mergeKinds(column.kind, kind);
    }
  }

  /** The values of one run, in row `row`. */
  add(row: number, values: Record<string, JSONValue>): void {
    for (const name in values) {
      const value = values[name];
      const kind = valueKind(value);
      if (kind !== 'null') {
        this.put(this.column(name), row, cellOf(value, kind), kind);
      }
    }
  }

  /**
   * Rows 0.. from a stored column: `read(r)` gives the cell of stored row `rows[i]`;
   * `codes(r)` the value kind codes of a mixed column.
   */
  copy(
    name: string,
    kind: ColumnKind,
    rows: readonly number[],
    read: (row: number) => CellValue,
    codes: ((row: number) => number) | null
  ): void {
    const column = this.column(name);
    rows.forEach((r, i) => {
      const cell = read(r);
      if (cell === null) {
        return;
      }
      if (kind !== 'mixed' || !codes) {
        this.put(column, i, cell, kind);
        return;
      }
      const own = KIND_CODES[codes(r)] ?? 'string';
      const value = restoreValue(cell, 'mixed', codes(r));
      this.put(column, i, cellOf(value, own), own);
    });
  }
}

/** The Arrow vector of a typed column's cells, in the order of `rows`. */
export function typedVector(
  column: ITypedColumn,
  rows: Int32Array,
  vectorOf: (kind: ColumnKind, cells: CellValue[]) => Vector
): { vector: Vector; kinds: Vector | null } {
  const mixed = column.kind === 'mixed';
  const cells = new Array<CellValue>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const cell = column.cells[rows[i]];
    cells[i] = mixed && cell !== null ? String(cell) : cell;
  }
  const vector = vectorOf(column.kind, cells);
  if (!mixed) {
    return { vector, kinds: null };
  }
  const codes = new Int8Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    codes[i] = column.codes[rows[i]];
  }
  const kinds = arrow.makeVector(
    arrow.makeData({ type: new arrow.Int8(), length: codes.length, nullCount: 0, data: codes })
  );
  return { vector, kinds };
}
