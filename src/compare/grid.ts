/**
 * The Compare grid: a Lumino DataGrid over a `CompareDataModel` (cells read from the
 * Arrow columns only when on screen). A click on a header sorts by its column in the
 * model's direction (Shift-click adds it to the sort), the header shows the sort's arrows
 * and order; dragging a header border resizes; long text is elided, the full text is the
 * viewport's tooltip; the best value of each metric column has the theme's success
 * background; the marked row (a sweep's best trial) leads with a star; a double-click on
 * a row opens the run's view, when the panel can. Colours and fonts come from the theme's `--jp-*` variables.
 *
 * Loaded on demand by the Compare panel (like the CSV viewer loads the DataGrid).
 */
// This module is itself loaded with import() by the Compare panel.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import {
  BasicMouseHandler,
  CellRenderer,
  DataGrid,
  RendererMap,
  TextRenderer
} from '@lumino/datagrid';
import { formatDuration, formatNumber, formatWhen } from '../format';
import { readGridTheme } from '../runs/grid';
import { batchBlits } from '../grid-blit';
import type { CellValue } from './columns';
import { CompareDataModel } from './datamodel';
import type { CompareModel } from './model';

/** The text of a cell of `column` (a kind from the model) as the grid shows it. */
export function cellText(value: CellValue, column: string, kind: string): string {
  if (value === null) {
    return '';
  }
  if (column === 'duration' && typeof value === 'number') {
    return formatDuration(value);
  }
  if (kind === 'time' && typeof value === 'number') {
    return formatWhen(value);
  }
  if (typeof value === 'number') {
    return formatNumber(value);
  }
  return Array.isArray(value) ? value.join(', ') : String(value);
}

/** The header text of a column: its name, then its sort arrow and place in a multi-sort. */
export function headerText(
  name: string,
  sortIndex: number,
  direction: string | null,
  keys: number
): string {
  if (sortIndex < 0 || direction === null) {
    return name;
  }
  const arrow = direction === 'descending' ? '▼' : '▲';
  return keys > 1 ? `${name} ${arrow}${sortIndex + 1}` : `${name} ${arrow}`;
}

/** The Compare grid over a model. */
export class CompareGrid extends DataGrid {
  constructor(model: CompareModel, options: CompareGrid.IOptions = {}) {
    super({
      headerVisibility: 'column',
      defaultSizes: { rowHeight: 24, columnWidth: 110, rowHeaderWidth: 0, columnHeaderHeight: 26 },
      minimumSizes: { rowHeight: 20, columnWidth: 30, rowHeaderWidth: 0, columnHeaderHeight: 20 }
    });
    this.addClass('nbx-CompareGrid');
    batchBlits(this);
    this.compareModel = model;
    this._data = new CompareDataModel(model);
    this.dataModel = this._data;
    this.mouseHandler = new CompareMouseHandler(model, options.openRun ?? null);
    this.node.tabIndex = 0;
    this.node.setAttribute('role', 'grid');
  }

  /** The model drawn. */
  readonly compareModel: CompareModel;

  /** Sets colours, fonts and renderers from the theme in effect at this grid's node. */
  applyTheme(): void {
    const theme = readGridTheme(this.node);
    const style = getComputedStyle(this.node);
    const best = style.getPropertyValue('--jp-success-color3').trim() || '#c8e6c9';
    const bestText = style.getPropertyValue('--jp-ui-font-color0').trim() || theme.text;
    this.style = {
      voidColor: theme.background,
      backgroundColor: theme.background,
      rowBackgroundColor: (row: number) =>
        row % 2 === 1 ? theme.alternateBackground : theme.background,
      gridLineColor: theme.gridLine,
      headerBackgroundColor: theme.headerBackground,
      headerGridLineColor: theme.headerGridLine,
      selectionFillColor: 'transparent',
      selectionBorderColor: 'transparent',
      cursorBorderColor: theme.cursorBorder,
      scrollShadow: {
        size: 6,
        color1: theme.shadow,
        color2: theme.shadowFaint,
        color3: 'transparent'
      }
    };
    const isBest = (config: CellRenderer.CellConfig): boolean => config.metadata.best === true;
    const isMarked = (config: CellRenderer.CellConfig): boolean => config.metadata.marked === true;
    const format = (config: CellRenderer.CellConfig): string => {
      const text = cellText(
        config.value as CellValue,
        String(config.metadata.name),
        String(config.metadata.kind)
      );
      return isMarked(config) ? `★ ${text}` : text;
    };
    const body = (align: 'left' | 'right'): TextRenderer =>
      new TextRenderer({
        font: config => (isBest(config) || isMarked(config) ? theme.headerFont : theme.font),
        textColor: config => (isBest(config) ? bestText : theme.text),
        backgroundColor: config => (isBest(config) ? best : ''),
        horizontalAlignment: align,
        horizontalPadding: 6,
        elideDirection: 'right',
        format
      });
    const numbers = body('right');
    const text = body('left');
    const model = this.compareModel;
    const header = new TextRenderer({
      font: theme.headerFont,
      textColor: theme.headerText,
      horizontalPadding: 6,
      elideDirection: 'right',
      format: config =>
        headerText(
          String(config.value),
          Number(config.metadata.sortIndex ?? -1),
          (config.metadata.sortDirection as string | null) ?? null,
          model.sort.length
        )
    });
    this.cellRenderers = new RendererMap({
      'column-header': header,
      body: (config: CellRenderer.CellConfig) =>
        config.metadata.kind === 'number' ? numbers : text
    });
  }

  /** Applies the theme in effect again and repaints. */
  updateTheme(): void {
    this.applyTheme();
    this.repaintContent();
  }

  dispose(): void {
    this._data.dispose();
    super.dispose();
  }

  private readonly _data: CompareDataModel;
}

/** The statics of CompareGrid. */
export namespace CompareGrid {
  export interface IOptions {
    /** Opens a run's view (a double-click on its row); rows open nothing without it. */
    openRun?: (id: string) => void;
  }
}

/**
 * A click on a header sorts (Shift-click: adds to the sort); dragging near a header's
 * border resizes the column; hovering a cell shows its full text as the tooltip.
 */
class CompareMouseHandler extends BasicMouseHandler {
  constructor(
    private readonly _model: CompareModel,
    private readonly _openRun: ((id: string) => void) | null
  ) {
    super();
  }

  onMouseDoubleClick(grid: DataGrid, event: MouseEvent): void {
    const hit = grid.hitTest(event.clientX, event.clientY);
    const id = hit.region === 'body' ? this._model.cell(hit.row, 'id') : null;
    if (this._openRun && typeof id === 'string') {
      this._openRun(id);
      return;
    }
    super.onMouseDoubleClick(grid, event);
  }

  onMouseDown(grid: DataGrid, event: MouseEvent): void {
    const hit = grid.hitTest(event.clientX, event.clientY);
    const onBorder = (hit.column > 0 && hit.x <= 5) || hit.width - hit.x <= 6;
    if (hit.region === 'column-header' && !onBorder) {
      const column = this._model.visibleColumns[hit.column];
      if (column !== undefined) {
        this._model.sortByHeader(column, event.shiftKey);
      }
      return;
    }
    super.onMouseDown(grid, event);
  }

  onMouseHover(grid: DataGrid, event: MouseEvent): void {
    super.onMouseHover(grid, event);
    const hit = grid.hitTest(event.clientX, event.clientY);
    const column = this._model.visibleColumns[hit.column];
    let title = '';
    if (hit.region === 'body' && column !== undefined) {
      const value = this._model.cell(hit.row, column);
      title = value === null ? '' : Array.isArray(value) ? value.join(', ') : String(value);
    } else if (hit.region === 'column-header' && column !== undefined) {
      title = column;
    }
    if (grid.viewport.node.title !== title) {
      grid.viewport.node.title = title;
    }
  }
}
