/**
 * The Compare grid's `DataModel`: the `@lumino/datagrid` face of a `CompareModel`. Body
 * cells are the model's cells (read from the Arrow columns only when on screen), column
 * headers the visible column names; each cell's metadata tells renderers its column, kind,
 * whether it holds the column's best value, whether it leads the marked row (a sweep's
 * best trial), and for headers the column's place and
 * direction in the sort.
 *
 * Loaded on demand by the Compare panel, as the CSV viewer loads the DataGrid.
 */
// This module is itself loaded with import() by the Compare panel, when it is first shown.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { DataModel } from '@lumino/datagrid';
import type { CellValue } from './columns';
import type { CompareModel } from './model';

/** The grid's data model over a CompareModel. */
export class CompareDataModel extends DataModel {
  constructor(model: CompareModel) {
    super();
    this._model = model;
    this._rows = model.rowCount;
    model.changed.connect(this._onChanged, this);
  }

  /** The model read. */
  get model(): CompareModel {
    return this._model;
  }

  rowCount(region: DataModel.RowRegion): number {
    return region === 'body' ? this._model.rowCount : 1;
  }

  columnCount(region: DataModel.ColumnRegion): number {
    return region === 'body' ? this._model.visibleColumns.length : 0;
  }

  data(region: DataModel.CellRegion, row: number, column: number): CellValue {
    const name = this._model.visibleColumns[column];
    switch (region) {
      case 'body':
        return this._model.cell(row, name);
      case 'column-header':
        return name;
      default:
        return null;
    }
  }

  metadata(region: DataModel.CellRegion, row: number, column: number): DataModel.Metadata {
    const name = this._model.visibleColumns[column];
    if (name === undefined) {
      return DataModel.emptyMetadata;
    }
    if (region === 'body') {
      return {
        name,
        kind: this._model.kind(name),
        best: this._model.isBest(row, name),
        marked: column === 0 && this._model.isMarked(row)
      };
    }
    if (region === 'column-header') {
      const at = this._model.sort.findIndex(key => key.column === name);
      return {
        name,
        kind: this._model.kind(name),
        sortIndex: at,
        sortDirection: at < 0 ? null : this._model.sort[at].direction
      };
    }
    return DataModel.emptyMetadata;
  }

  /** Disconnects from the model (which the creator of both disposes). */
  dispose(): void {
    this._model.changed.disconnect(this._onChanged, this);
  }

  private _onChanged(_sender: CompareModel, change: CompareModel.Change): void {
    if (change === 'columns') {
      this._rows = this._model.rowCount;
      this.emitChanged({ type: 'model-reset' });
      return;
    }
    // A new row order (or rows filtered out by a brushed range): the row count follows,
    // every body cell and the headers' sort marks change; column widths the user set are
    // kept (a model reset would drop them).
    const rows = this._model.rowCount;
    if (rows !== this._rows) {
      const more = rows > this._rows;
      this.emitChanged({
        type: more ? 'rows-inserted' : 'rows-removed',
        region: 'body',
        index: Math.min(rows, this._rows),
        span: Math.abs(rows - this._rows)
      });
      this._rows = rows;
    }
    const columnSpan = this.columnCount('body');
    this.emitChanged({
      type: 'cells-changed',
      region: 'body',
      row: 0,
      column: 0,
      rowSpan: this._model.rowCount,
      columnSpan
    });
    this.emitChanged({
      type: 'cells-changed',
      region: 'column-header',
      row: 0,
      column: 0,
      rowSpan: 1,
      columnSpan
    });
  }

  private readonly _model: CompareModel;
  private _rows: number;
}
