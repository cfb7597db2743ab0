/**
 * The Compare grid's model, without DOM: an Arrow table of runs × columns (as `nbx
 * compare --arrow` and the runs index write it) read column by column, with the columns
 * shown (a chooser searched by name, "only columns that differ"), a multi-column sort kept
 * as a row permutation, the sort direction per column, the best value of each metric
 * column, and CSV of what is shown. Filtering rows by `--where` is the service's job (a
 * filtered comparison arrives as a new table); ranges brushed on a chart's axes filter
 * the rows shown here, by the columns' sort keys.
 */
import type { IDisposable } from '@lumino/disposable';
import { Signal, type ISignal } from '@lumino/signaling';
import type { Table } from 'apache-arrow';
import { isMetricColumn } from '../../kernel/lib/base/display';
import { columnReader, type CellValue, type ColumnKind, type IColumnReader } from './columns';
import { csvCell, csvText } from './csv';
import { defaultDirection, type SortDirection } from './direction';
import { sortPermutation } from './sort';

/** One column of the sort. */
export interface ISortKey {
  column: string;
  direction: SortDirection;
}

/**
 * Rows kept by one column: those whose sort key (see `IColumnReader.sortKeys`: the
 * number, time, 0/1, or the rank of a string) lies in one of the ranges, ends included.
 */
export interface IRangeFilter {
  column: string;
  ranges: readonly (readonly [number, number])[];
}

/** A column offered by the chooser. */
export interface IColumnChoice {
  name: string;
  kind: ColumnKind;
  visible: boolean;
}

/** The model of a Compare grid over one Arrow table. */
export class CompareModel implements IDisposable {
  constructor(options: CompareModel.IOptions) {
    this.table = options.table;
    this._columns = this.table.schema.fields.map(f => f.name);
    this._shown = options.columns
      ? options.columns.filter(name => this._columns.includes(name))
      : [...this._columns];
    this._pinned = new Set(options.pinned ?? this._columns.slice(0, 1));
    for (const [name, direction] of Object.entries(options.directions ?? {})) {
      this._directions.set(name, direction);
    }
    this._marked = options.marked ?? null;
    this._order = sortPermutation(this.table.numRows, []);
  }

  /** The table compared (never reordered: the sort is a permutation over it). */
  readonly table: Table;

  /** Emitted when the columns shown (or their best values) or the row order change. */
  get changed(): ISignal<this, CompareModel.Change> {
    return this._changed;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Number of rows shown (those the range filters keep). */
  get rowCount(): number {
    return this._order.length;
  }

  /** Every column of the table, in table order. */
  get columns(): readonly string[] {
    return this._columns;
  }

  /**
   * The columns shown, in order: the chosen ones, less (with `onlyDiffering`) those whose
   * value is the same in every row, pinned columns excepted.
   */
  get visibleColumns(): readonly string[] {
    this._visible ??= this._shown.filter(
      name => !this._onlyDiffering || this._pinned.has(name) || this.differs(name)
    );
    return this._visible;
  }

  /** Whether columns whose value is the same in every row are hidden. */
  get onlyDiffering(): boolean {
    return this._onlyDiffering;
  }

  set onlyDiffering(value: boolean) {
    if (value !== this._onlyDiffering) {
      this._onlyDiffering = value;
      this._columnsChanged();
    }
  }

  /** The current sort, first key first. */
  get sort(): readonly ISortKey[] {
    return this._sort;
  }

  /** The kind of a column. */
  kind(column: string): ColumnKind {
    return this._reader(column).kind;
  }

  /**
   * The columns whose name contains every word of `query` (case-insensitive), in table
   * order, with whether each is chosen: what the column chooser lists.
   */
  choices(query = ''): IColumnChoice[] {
    const words = query.toLowerCase().split(/\s+/).filter(Boolean);
    return this._columns
      .filter(name => words.every(word => name.toLowerCase().includes(word)))
      .map(name => ({ name, kind: this.kind(name), visible: this._shown.includes(name) }));
  }

  /** Chooses the columns to show, in this order (unknown names are ignored). */
  setColumns(names: readonly string[]): void {
    this._shown = names.filter(
      (name, i) => this._columns.includes(name) && names.indexOf(name) === i
    );
    this._columnsChanged();
  }

  /** Shows or hides one column; a column shown again takes its table position. */
  setColumnVisible(column: string, visible: boolean): void {
    if (visible === this._shown.includes(column) || !this._columns.includes(column)) {
      return;
    }
    this._shown = visible
      ? this._columns.filter(name => name === column || this._shown.includes(name))
      : this._shown.filter(name => name !== column);
    this._columnsChanged();
  }

  /** True when the column's value is not the same in every row (null counts as a value). */
  differs(column: string): boolean {
    let differs = this._differs.get(column);
    if (differs === undefined) {
      // Cell by cell, stopping at the first difference: most columns differ within a few
      // rows, so this reads far less than the column's sort keys would.
      const reader = this._reader(column);
      const same = (cell: CellValue): CellValue =>
        Array.isArray(cell) ? JSON.stringify(cell) : cell;
      const n = this.table.numRows;
      const first = n > 0 ? same(reader.cell(0)) : null;
      differs = false;
      for (let row = 1; row < n && !differs; row++) {
        differs = same(reader.cell(row)) !== first;
      }
      this._differs.set(column, differs);
    }
    return differs;
  }

  /** The direction a column sorts in first: the user's choice, else by its name and kind. */
  direction(column: string): SortDirection {
    return this._directions.get(column) ?? defaultDirection(column, this.kind(column));
  }

  /** Overrides the direction of a column (null: back to the default). */
  setDirection(column: string, direction: SortDirection | null): void {
    if (direction === null) {
      this._directions.delete(column);
    } else {
      this._directions.set(column, direction);
    }
    this._best.delete(column);
    this._columnsChanged();
  }

  /** Sorts by `keys` (an empty list: table order). */
  setSort(keys: readonly ISortKey[]): void {
    this._sort = keys.filter(key => this._columns.includes(key.column));
    this._reorder();
  }

  /** The range filters in effect, one per column. */
  get rangeFilters(): readonly IRangeFilter[] {
    return this._filters;
  }

  /** Shows only the rows every filter keeps (a filter without ranges keeps every row). */
  setRangeFilters(filters: readonly IRangeFilter[]): void {
    this._filters = filters.filter(f => this._columns.includes(f.column) && f.ranges.length);
    this._reorder();
  }

  /**
   * The sort keys of a column, one per table row (see `IColumnReader.sortKeys`): what
   * charts plot and range filters compare.
   */
  keys(column: string): Float64Array {
    return this._reader(column).sortKeys();
  }

  /**
   * A click on a column's header: sorts by that column alone in its direction, or the
   * other way when it already sorts alone by it. With `add` (Shift-click) the column is
   * added as the next key, or its direction flipped when it is already a key.
   */
  sortByHeader(column: string, add = false): void {
    const at = this._sort.findIndex(key => key.column === column);
    const flipped = (key: ISortKey): ISortKey => ({
      column: key.column,
      direction: key.direction === 'ascending' ? 'descending' : 'ascending'
    });
    if (add) {
      this.setSort(
        at < 0
          ? [...this._sort, { column, direction: this.direction(column) }]
          : this._sort.map((key, i) => (i === at ? flipped(key) : key))
      );
    } else {
      this.setSort(
        at === 0 && this._sort.length === 1
          ? [flipped(this._sort[0])]
          : [{ column, direction: this.direction(column) }]
      );
    }
  }

  /** The table row shown at `row`. */
  tableRow(row: number): number {
    return this._order[row];
  }

  /** The cell of table row `row` (shown or not) of `column`. */
  tableCell(row: number, column: string): CellValue {
    return this._reader(column).cell(row);
  }

  /** The cell shown at `row` of `column`. */
  cell(row: number, column: string): CellValue {
    return this._reader(column).cell(this._order[row]);
  }

  /**
   * The best value of a metric column (`#key`, `#key:min`, `#key:max`; not a last step,
   * `#key:step`): the first in the column's direction (lowest for a loss). Null for other
   * columns and empty metrics.
   */
  best(column: string): number | null {
    if (!isMetricColumn(column) || this.kind(column) !== 'number') {
      return null;
    }
    let best = this._best.get(column);
    if (best === undefined) {
      const keys = this._reader(column).sortKeys();
      const lowest = this.direction(column) === 'ascending';
      best = null;
      for (let i = 0; i < keys.length; i++) {
        const v = keys[i];
        if (v === v && (best === null || (lowest ? v < best : v > best))) {
          best = v;
        }
      }
      this._best.set(column, best);
    }
    return best;
  }

  /** The run whose row is marked (a sweep's best trial), or null. */
  get marked(): string | null {
    return this._marked;
  }

  set marked(id: string | null) {
    if (id !== this._marked) {
      this._marked = id;
      this._changed.emit('rows');
    }
  }

  /** True when the row shown at `row` is the marked run's. */
  isMarked(row: number): boolean {
    return this._marked !== null && this.cell(row, 'id') === this._marked;
  }

  /** True when the cell shown at `row` of `column` holds the column's best value. */
  isBest(row: number, column: string): boolean {
    const best = this.best(column);
    return best !== null && this.cell(row, column) === best;
  }

  /** The visible columns of the rows, in the order shown, as CSV (see csv.ts). */
  toCsv(): string {
    const columns = this.visibleColumns;
    const readers = columns.map(name => this._reader(name));
    const rows: string[][] = [];
    for (let row = 0; row < this.rowCount; row++) {
      const at = this._order[row];
      rows.push(readers.map(r => csvCell(r.cell(at), r.kind)));
    }
    return csvText(columns, rows);
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    Signal.clearData(this);
  }

  private _reader(column: string): IColumnReader {
    let reader = this._readers.get(column);
    if (!reader) {
      const field = this.table.schema.fields.find(f => f.name === column);
      const vector = this.table.getChild(column);
      if (!field || !vector) {
        throw new Error(`no column '${column}' in the comparison`);
      }
      reader = columnReader(field, vector);
      this._readers.set(column, reader);
    }
    return reader;
  }

  private _reorder(): void {
    const order = sortPermutation(
      this.table.numRows,
      this._sort.map(key => ({
        keys: this._reader(key.column).sortKeys(),
        descending: key.direction === 'descending'
      }))
    );
    const filters = this._filters.map(f => ({ keys: this.keys(f.column), ranges: f.ranges }));
    this._order = filters.length
      ? order.filter(row =>
          filters.every(({ keys, ranges }) =>
            ranges.some(([lo, hi]) => keys[row] >= lo && keys[row] <= hi)
          )
        )
      : order;
    this._changed.emit('rows');
  }

  private _columnsChanged(): void {
    this._visible = null;
    this._changed.emit('columns');
  }

  private readonly _columns: string[];
  private readonly _pinned: Set<string>;
  private readonly _readers = new Map<string, IColumnReader>();
  private readonly _differs = new Map<string, boolean>();
  private readonly _best = new Map<string, number | null>();
  private readonly _directions = new Map<string, SortDirection>();
  private readonly _changed = new Signal<this, CompareModel.Change>(this);
  private _shown: string[];
  private _visible: string[] | null = null;
  private _onlyDiffering = false;
  private _marked: string | null;
  private _sort: ISortKey[] = [];
  private _filters: IRangeFilter[] = [];
  private _order: Uint32Array;
  private _isDisposed = false;
}

/** The statics of CompareModel. */
export namespace CompareModel {
  /** Options of the constructor. */
  export interface IOptions {
    table: Table;
    /** The columns shown, in order; every column of the table when absent. */
    columns?: readonly string[];
    /** Columns "only columns that differ" never hides; the first column when absent. */
    pinned?: readonly string[];
    /** Sort directions chosen by the user, per column. */
    directions?: Readonly<Record<string, SortDirection>>;
    /** A run whose row is marked (a sweep's best trial). */
    marked?: string | null;
  }

  /** What changed: the columns shown (or their best values), or the row order. */
  export type Change = 'columns' | 'rows';
}
