/**
 * The types of the tables handed to notebook code (`nbx.runs()`, `nbx.scalars()`): the
 * parts of an apache-arrow `Table` a notebook uses, declared here without importing Arrow,
 * so that importing nbx does not make tslab type-check all of Arrow's declarations.
 */

/** A value in a table: numbers (times as ms since the epoch), text, booleans, null; a list as a column. */
export type TableCell = number | string | boolean | null | ITableColumn;

/** A row of a table by column name: `row.id`, `row['=lr']`, `row['#loss']`. */
export type TableRow = Readonly<Record<string, TableCell>>;

/** A column of a table (an apache-arrow `Vector`). */
export interface ITableColumn {
  readonly length: number;
  /** The value of row `index`. */
  get(index: number): TableCell;
  /** The values as Arrow stores them (a Float64Array for numbers: nulls read as 0). */
  toArray(): ArrayLike<TableCell>;
  /** The values, nulls kept. */
  toJSON(): TableCell[];
  [Symbol.iterator](): IterableIterator<TableCell>;
}

/**
 * An apache-arrow `Table`, typed by the parts a notebook uses (so that importing nbx does
 * not make tslab type-check all of Arrow's declarations); `import type { Table } from
 * 'apache-arrow'` and a cast give the full type.
 */
export interface INbxTable {
  readonly numRows: number;
  readonly numCols: number;
  /** The columns' names, Arrow types and metadata (`nbx.kind` on runs-index fields). */
  readonly schema: {
    readonly fields: readonly {
      readonly name: string;
      readonly type: object;
      readonly metadata: ReadonlyMap<string, string>;
    }[];
    readonly metadata: ReadonlyMap<string, string>;
  };
  /** The rows, for `console.table(t.toArray())` or `t.toArray().map(r => r['#loss'])`. */
  toArray(): TableRow[];
  /** A column by name (`t.getChild('#loss')`), or null. */
  getChild(name: string): ITableColumn | null;
  [Symbol.iterator](): IterableIterator<TableRow>;
  toString(): string;
}
