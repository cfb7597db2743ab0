/**
 * The virtualised runs list: a Lumino DataGrid over a `DataModel` that reads the Arrow
 * vectors of the `RunsModel` directly (only the cells on screen are ever read), a status
 * renderer drawing the status icons on the canvas, and mouse and key handlers for
 * sorting, multi-selection and opening runs. Colours and fonts come from the theme's
 * `--jp-*` CSS variables (`readGridTheme`), read again when the theme changes.
 *
 * Loaded on demand by the Runs panel (like the CSV viewer loads the DataGrid).
 */
import type { TranslationBundle } from '@jupyterlab/translation';
// This module is itself loaded with import() by the Runs panel, when it is first shown.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import {
  BasicMouseHandler,
  CellRenderer,
  DataGrid,
  DataModel,
  GraphicsContext,
  RendererMap,
  TextRenderer
} from '@lumino/datagrid';
import { batchBlits } from '../grid-blit';
import { Platform } from '@lumino/domutils';
import { type Message, MessageLoop } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import { formatDuration, formatFlagValue, formatNumber, formatWhen } from '../format';
import type { RunsModel, SelectMode } from './model';
import type { RunStatus } from '../../kernel/src/contract/run';
import type { ColumnKind } from '../compare/columns';

/**
 * The columns of the grid, in order: what a sidebar-wide panel must show first (status,
 * the run's name: its label, else its notebook; elapsed time; the key metric), then the
 * start time and the notebook beyond the right edge. The run id is in the name's tooltip.
 */
export const GRID_COLUMNS = ['status', 'name', 'elapsed', 'metric', 'started', 'notebook'] as const;

/** The columns kept in view at the panel's width (the name column takes what is left). */
export const FITTED_COLUMNS: readonly GridColumn[] = ['status', 'name', 'elapsed', 'metric'];

/** A column of the grid. */
export type GridColumn = (typeof GRID_COLUMNS)[number];

/** The index column a grid column sorts by (the metric column's own name for `metric`). */
export function sortColumnOf(column: GridColumn, model: RunsModel): string | null {
  switch (column) {
    case 'name':
      return 'label';
    case 'elapsed':
      return 'duration';
    case 'metric':
      return model.metricColumn;
    default:
      return column;
  }
}

/** What a grid column holds, for the direction its header sorts first. */
export function kindOf(column: GridColumn): ColumnKind {
  switch (column) {
    case 'elapsed':
    case 'metric':
      return 'number';
    case 'started':
      return 'time';
    default:
      return 'string';
  }
}

/** The indent of a trial's name under its batch. */
const NAME_INDENT = '\u2003\u2002';

/**
 * The width at the left of a batch's name cell where a click opens or closes it (the
 * disclosure triangle and its padding), px.
 */
export const DISCLOSURE_WIDTH = 20;

/** Colours and fonts of the grid, from the theme. */
export interface IGridTheme {
  background: string;
  alternateBackground: string;
  headerBackground: string;
  gridLine: string;
  headerGridLine: string;
  text: string;
  secondaryText: string;
  headerText: string;
  selectedBackground: string;
  selectedText: string;
  cursorBorder: string;
  font: string;
  headerFont: string;
  running: string;
  completed: string;
  error: string;
  terminated: string;
  waiting: string;
  shadow: string;
  shadowFaint: string;
}

/** The grid theme from the `--jp-*` CSS variables in effect at `node`. */
export function readGridTheme(node: HTMLElement): IGridTheme {
  const style = getComputedStyle(node);
  const value = (name: string, fallback: string): string =>
    style.getPropertyValue(name).trim() || fallback;
  const size = value('--jp-ui-font-size1', '13px');
  // A generic family last, so a missing font falls back to its kind, not to serif.
  const family = `${value('--jp-ui-font-family', 'system-ui')}, sans-serif`;
  return {
    background: value('--jp-layout-color1', '#fff'),
    alternateBackground: value('--jp-layout-color2', '#eee'),
    headerBackground: value('--jp-layout-color2', '#eee'),
    gridLine: value('--jp-border-color3', '#eee'),
    headerGridLine: value('--jp-border-color2', '#ccc'),
    text: value('--jp-ui-font-color1', '#000'),
    secondaryText: value('--jp-ui-font-color2', '#666'),
    headerText: value('--jp-ui-font-color1', '#000'),
    selectedBackground: value('--jp-brand-color1', '#1976d2'),
    selectedText: value('--jp-ui-inverse-font-color1', '#fff'),
    cursorBorder: value('--jp-brand-color2', '#64b5f6'),
    font: `${size} ${family}`,
    headerFont: `600 ${size} ${family}`,
    running: value('--jp-brand-color1', '#1976d2'),
    completed: value('--jp-success-color1', '#388e3c'),
    error: value('--jp-error-color1', '#d32f2f'),
    terminated: value('--jp-warn-color1', '#f57c00'),
    waiting: value('--jp-ui-font-color2', '#666'),
    shadow: value('--jp-shadow-umbra-color', 'rgba(0, 0, 0, 0.2)'),
    shadowFaint: value('--jp-shadow-ambient-color', 'rgba(0, 0, 0, 0.12)')
  };
}

/**
 * The grid's data model: one row per run of the `RunsModel`, in its order. Reads the
 * Arrow vectors on demand, so 10,000 runs cost nothing until they scroll into view. The
 * panel calls `reset` when a new table arrived, `rowsChanged` when rows were patched and
 * `headersChanged` when the sort did.
 */
export class RunsDataModel extends DataModel {
  constructor(options: RunsDataModel.IOptions) {
    super();
    this._model = options.model;
    this._trans = options.trans;
  }

  /** The runs model read. */
  get model(): RunsModel {
    return this._model;
  }

  rowCount(region: DataModel.RowRegion): number {
    return region === 'body' ? this._model.rowCount : 1;
  }

  columnCount(region: DataModel.ColumnRegion): number {
    return region === 'body' ? GRID_COLUMNS.length : 0;
  }

  /** The grid column at `index`. */
  column(index: number): GridColumn {
    return GRID_COLUMNS[index];
  }

  data(region: DataModel.CellRegion, row: number, column: number): string | null {
    const name = GRID_COLUMNS[column];
    if (region === 'column-header') {
      return this._header(name);
    }
    if (region !== 'body') {
      return null;
    }
    const model = this._model;
    switch (name) {
      case 'status':
        return model.status(row);
      case 'name':
        return this._name(row);
      case 'notebook':
        return model.notebook(row);
      case 'started':
        return formatWhen(model.started(row));
      case 'elapsed':
        return formatDuration(model.elapsed(row));
      case 'metric':
        return this._metric(row);
    }
  }

  /** Tells the grid that every row changed (a new table arrived). */
  reset(): void {
    this.emitChanged({ type: 'model-reset' });
  }

  /** Tells the grid that the values of `rows` (ascending) changed, and no row moved. */
  rowsChanged(rows: number[]): void {
    if (rows.length === 0) {
      return;
    }
    const first = rows[0];
    this.emitChanged({
      type: 'cells-changed',
      region: 'body',
      row: first,
      column: 0,
      rowSpan: rows[rows.length - 1] - first + 1,
      columnSpan: GRID_COLUMNS.length
    });
  }

  /** Tells the grid that the headers changed (the sort indicator, the metric's name). */
  headersChanged(): void {
    this.emitChanged({
      type: 'cells-changed',
      region: 'column-header',
      row: 0,
      column: 0,
      rowSpan: 1,
      columnSpan: GRID_COLUMNS.length
    });
  }

  /**
   * A run's name: its label, else its notebook. A batch's starts with its disclosure
   * triangle and its progress, a pipeline's with its triangle; a trial under its batch is
   * indented and named by its number and the values of the flags the sweep varies, a step
   * under its pipeline indented.
   */
  private _name(row: number): string {
    const model = this._model;
    const trans = this._trans;
    const name = model.label(row) || model.notebook(row);
    if (model.depth(row) > 0) {
      const trial = model.trial(row);
      if (trial === null) {
        return `${NAME_INDENT}${name}`;
      }
      const flags = trial.sweep.flagNames
        .map(flag => `${flag}=${formatFlagValue(trial.trial.flags[flag])}`)
        .join(' ');
      return `${NAME_INDENT}#${trial.trial.index} ${flags}`.trimEnd();
    }
    if (!model.isGroup(row)) {
      return name;
    }
    const id = model.id(row);
    const triangle = model.isExpanded(id) ? '▾' : '▸';
    const sweep = model.sweep(id);
    if (sweep === null) {
      return `${triangle} ${name}`;
    }
    const running = sweep.counts.running;
    const progress = running
      ? trans.__('%1/%2, %3 running', sweep.done, sweep.total, running)
      : trans.__('%1/%2', sweep.done, sweep.total);
    // Progress first: the name may be cut at the sidebar's width (the tooltip has it).
    return `${triangle} ${progress} · ${name}`;
  }

  /**
   * The metric; a batch shows its best objective value (named when the objective is not
   * the column's metric), its best trial a star.
   */
  private _metric(row: number): string {
    const model = this._model;
    if (model.isBatch(row)) {
      const sweep = model.sweep(model.id(row));
      if (!sweep?.best || !sweep.objective) {
        return '';
      }
      const value = formatNumber(sweep.best.value);
      return model.metricColumn === `#${sweep.objective.key}`
        ? `★ ${value}`
        : `★ ${sweep.objective.key} ${value}`;
    }
    const value = formatNumber(model.metric(row));
    const trial = model.trial(row);
    return trial && trial.sweep.best?.id === trial.trial.id ? `★ ${value}` : value;
  }

  private _header(name: GridColumn): string {
    const trans = this._trans;
    let text: string;
    switch (name) {
      case 'status':
        text = '';
        break;
      case 'name':
        text = trans.__('Run');
        break;
      case 'notebook':
        text = trans.__('Notebook');
        break;
      case 'started':
        text = trans.__('Started');
        break;
      case 'elapsed':
        text = trans.__('Elapsed');
        break;
      case 'metric': {
        const metric = this._model.metricColumn;
        text = metric ? metric.replace(/^#/, '') : trans.__('Metric');
        break;
      }
    }
    const sort = this._model.sort;
    if (sort && sort.column === sortColumnOf(name, this._model)) {
      text = `${text} ${sort.descending ? '▼' : '▲'}`;
    }
    return text;
  }

  private _model: RunsModel;
  private _trans: TranslationBundle;
}

/** The statics of `RunsDataModel`. */
export namespace RunsDataModel {
  export interface IOptions {
    model: RunsModel;
    trans: TranslationBundle;
  }
}

/**
 * Paints a run's status as an icon: a spinning arc while running, a check, a cross, a
 * stop square, an hourglass-like ring for queued and staged runs.
 */
export class StatusRenderer extends CellRenderer {
  constructor(
    private readonly _theme: IGridTheme,
    private readonly _selected: (row: number) => boolean
  ) {
    super();
  }

  paint(gc: GraphicsContext, config: CellRenderer.CellConfig): void {
    const status = config.value as RunStatus | null;
    if (status === null) {
      return;
    }
    // On a selected row, every icon takes the selection's text colour (contrast).
    const selected = this._selected(config.row) ? this._theme.selectedText : null;
    const theme = this._theme;
    const r = Math.min(6, Math.floor((Math.min(config.width, config.height) - 6) / 2));
    const cx = config.x + config.width / 2;
    const cy = config.y + config.height / 2;
    gc.save();
    gc.lineWidth = 2;
    gc.lineCap = 'round';
    gc.lineJoin = 'round';
    switch (status) {
      case 'running': {
        // A quarter turn a second: the panel repaints running rows once a second.
        const turn = (Math.floor(Date.now() / 1000) % 4) * (Math.PI / 2);
        gc.strokeStyle = selected ?? theme.running;
        gc.beginPath();
        gc.arc(cx, cy, r, turn, turn + 1.5 * Math.PI);
        gc.stroke();
        break;
      }
      case 'completed':
        gc.strokeStyle = selected ?? theme.completed;
        gc.beginPath();
        gc.moveTo(cx - r, cy);
        gc.lineTo(cx - r / 3, cy + (2 * r) / 3);
        gc.lineTo(cx + r, cy - (2 * r) / 3);
        gc.stroke();
        break;
      case 'error':
        gc.strokeStyle = selected ?? theme.error;
        gc.beginPath();
        gc.moveTo(cx - r * 0.8, cy - r * 0.8);
        gc.lineTo(cx + r * 0.8, cy + r * 0.8);
        gc.moveTo(cx + r * 0.8, cy - r * 0.8);
        gc.lineTo(cx - r * 0.8, cy + r * 0.8);
        gc.stroke();
        break;
      case 'terminated':
        gc.fillStyle = selected ?? theme.terminated;
        gc.fillRect(cx - r * 0.75, cy - r * 0.75, r * 1.5, r * 1.5);
        break;
      case 'queued':
      case 'staged':
        gc.strokeStyle = selected ?? theme.waiting;
        gc.setLineDash(status === 'staged' ? [2, 2] : []);
        gc.beginPath();
        gc.arc(cx, cy, r, 0, 2 * Math.PI);
        if (status === 'queued') {
          gc.moveTo(cx, cy - r / 2);
          gc.lineTo(cx, cy);
          gc.lineTo(cx + r / 2, cy);
        }
        gc.stroke();
        break;
    }
    gc.restore();
  }
}

/** What the mouse handler tells the panel. */
export interface IGridActions {
  /** A body row was clicked. */
  select(row: number, mode: SelectMode): void;
  /** A body row was double-clicked (or Enter pressed on it). */
  open(row: number): void;
  /** A column header was clicked (not on a resize handle). */
  sortBy(column: number): void;
  /** A batch's (a pipeline's) disclosure triangle was clicked. */
  toggle(row: number): void;
  /** The tooltip of a body cell ('' for none). */
  tooltip(row: number, column: number): string;
  /** True when `row` is a batch or a pipeline (it expands to its trials or steps). */
  isGroup(row: number): boolean;
}

/**
 * Clicks on rows select (ctrl/cmd toggles, shift extends), a double click opens, a click
 * on a header sorts; dragging a header border still resizes the column.
 */
export class RunsMouseHandler extends BasicMouseHandler {
  constructor(private readonly _actions: IGridActions) {
    super();
  }

  onMouseDown(grid: DataGrid, event: MouseEvent): void {
    const hit = grid.hitTest(event.clientX, event.clientY);
    if (
      hit.region === 'body' &&
      GRID_COLUMNS[hit.column] === 'name' &&
      hit.x < DISCLOSURE_WIDTH &&
      this._actions.isGroup(hit.row)
    ) {
      this._actions.toggle(hit.row);
      return;
    }
    if (hit.region === 'body') {
      const accel = Platform.accelKey(event);
      const mode: SelectMode = event.shiftKey
        ? accel
          ? 'add-range'
          : 'range'
        : accel
          ? 'toggle'
          : 'replace';
      this._actions.select(hit.row, mode);
      return;
    }
    if (hit.region === 'column-header' && !Private.onResizeHandle(hit)) {
      this._actions.sortBy(hit.column);
      return;
    }
    super.onMouseDown(grid, event);
  }

  onMouseHover(grid: DataGrid, event: MouseEvent): void {
    super.onMouseHover(grid, event);
    const hit = grid.hitTest(event.clientX, event.clientY);
    const title = hit.region === 'body' ? this._actions.tooltip(hit.row, hit.column) : '';
    if (grid.viewport.node.title !== title) {
      grid.viewport.node.title = title;
    }
  }

  onMouseDoubleClick(grid: DataGrid, event: MouseEvent): void {
    const hit = grid.hitTest(event.clientX, event.clientY);
    if (hit.region === 'body') {
      this._actions.open(hit.row);
      return;
    }
    super.onMouseDoubleClick(grid, event);
  }
}

/**
 * Keys on the focused grid: arrows, Page Up/Down, Home/End move the cursor (with shift,
 * extend the selection), right and left open and close a batch (left on a trial goes to
 * its batch), ctrl/cmd+A selects all, ctrl/cmd+C copies the selected run ids,
 * Escape clears, Enter opens.
 */
export class RunsKeyHandler implements DataGrid.IKeyHandler {
  constructor(
    private readonly _model: RunsModel,
    private readonly _actions: IGridActions
  ) {}

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    this._isDisposed = true;
  }

  onKeyDown(grid: DataGrid, event: KeyboardEvent): void {
    const model = this._model;
    const count = model.rowCount;
    const cursor = model.cursorRow;
    const page = Math.max(1, Math.floor(grid.pageHeight / grid.defaultSizes.rowHeight) - 1);
    let target: number | null = null;
    switch (event.key) {
      case 'ArrowDown':
        target = cursor < 0 ? 0 : cursor + 1;
        break;
      case 'ArrowUp':
        target = cursor < 0 ? 0 : cursor - 1;
        break;
      case 'PageDown':
        target = cursor + page;
        break;
      case 'PageUp':
        target = cursor - page;
        break;
      case 'Home':
        target = 0;
        break;
      case 'ArrowRight':
      case 'ArrowLeft': {
        // A batch (a pipeline) opens (right) and closes (left); left on a trial goes to its batch.
        if (cursor < 0) {
          return;
        }
        if (model.isGroup(cursor)) {
          model.setExpanded(model.id(cursor), event.key === 'ArrowRight');
          grid.scrollToRow(model.cursorRow);
        } else if (event.key === 'ArrowLeft' && model.depth(cursor) > 0) {
          const parent = model.parent(cursor);
          target = parent === null ? null : model.rowOf(parent);
        } else {
          return;
        }
        break;
      }
      case 'End':
        target = count - 1;
        break;
      case 'Enter':
        if (cursor >= 0) {
          this._actions.open(cursor);
        }
        break;
      case 'Escape':
        model.clearSelection();
        break;
      case 'a':
      case 'A':
        if (Platform.accelKey(event)) {
          model.selectAll();
        } else {
          return;
        }
        break;
      case 'c':
      case 'C':
        // The full ids of the selected runs, one a line (what `nbx show` and others take).
        if (Platform.accelKey(event) && model.selectedIds.length > 0) {
          void navigator.clipboard?.writeText(model.selectedIds.join('\n'));
        } else {
          return;
        }
        break;
      default:
        return;
    }
    event.preventDefault();
    event.stopPropagation();
    if (target !== null && count > 0) {
      const row = Math.max(0, Math.min(count - 1, target));
      this._actions.select(row, event.shiftKey ? 'range' : 'replace');
      grid.scrollToRow(row);
    }
  }

  private _isDisposed = false;
}

/** The runs grid: a DataGrid that can repaint single columns (for ticking cells). */
export class RunsGrid extends DataGrid {
  constructor(options: RunsGrid.IOptions) {
    super({
      headerVisibility: 'column',
      defaultSizes: {
        rowHeight: RunsGrid.ROW_HEIGHT,
        columnWidth: 90,
        rowHeaderWidth: 0,
        columnHeaderHeight: RunsGrid.HEADER_HEIGHT
      },
      minimumSizes: { rowHeight: 20, columnWidth: 20, rowHeaderWidth: 0, columnHeaderHeight: 20 },
      stretchLastColumn: true
    });
    this.addClass('nbx-RunsGrid');
    batchBlits(this);
    this._runs = options.model;
    this.dataModel = options.dataModel;
    this.mouseHandler = new RunsMouseHandler(options.actions);
    this.keyHandler = new RunsKeyHandler(options.model, options.actions);
    // The grid listens for keys on its viewport (which a click focuses): Tab stops there.
    const viewport = this.viewport.node;
    viewport.tabIndex = 0;
    viewport.setAttribute('role', 'grid');
    viewport.setAttribute('aria-label', options.trans.__('Runs'));
    viewport.setAttribute('aria-multiselectable', 'true');
    for (const [column, width] of Object.entries(RunsGrid.COLUMN_WIDTHS)) {
      this.resizeColumn('body', GRID_COLUMNS.indexOf(column as GridColumn), width);
    }
    this.applyTheme(options.theme);
    // The viewport narrows without the grid resizing when the vertical scroll bar
    // appears (rows arrived): fit the columns to the viewport's own size.
    MessageLoop.installMessageHook(this.viewport, (_handler, msg) => {
      if (msg instanceof Widget.ResizeMessage) {
        this.fitColumns(msg.width >= 0 ? msg.width : undefined);
      }
      return true;
    });
  }

  /** Sets colours, fonts and renderers from a theme. */
  applyTheme(theme: IGridTheme): void {
    const runs = this._runs;
    this.style = {
      voidColor: theme.background,
      backgroundColor: theme.background,
      rowBackgroundColor: (row: number) =>
        runs.isSelected(row)
          ? theme.selectedBackground
          : row % 2 === 1
            ? theme.alternateBackground
            : theme.background,
      gridLineColor: theme.gridLine,
      verticalGridLineColor: 'transparent',
      headerBackgroundColor: theme.headerBackground,
      headerGridLineColor: theme.headerGridLine,
      cursorBorderColor: theme.cursorBorder,
      selectionFillColor: 'transparent',
      selectionBorderColor: 'transparent',
      scrollShadow: {
        size: 6,
        color1: theme.shadow,
        color2: theme.shadowFaint,
        color3: 'transparent'
      }
    };
    const color = (fallback: string) => (config: CellRenderer.CellConfig) =>
      runs.isSelected(config.row) ? theme.selectedText : fallback;
    const text = new TextRenderer({
      font: theme.font,
      textColor: color(theme.text),
      horizontalPadding: 6
    });
    const numbers = new TextRenderer({
      font: theme.font,
      textColor: color(theme.text),
      horizontalAlignment: 'right',
      horizontalPadding: 6
    });
    // Measured now (each costs a forced layout of the page), not in the first paint of rows.
    for (const font of [theme.font, theme.headerFont]) {
      TextRenderer.measureFontHeight(font);
    }
    const status = new StatusRenderer(theme, row => runs.isSelected(row));
    const header = new TextRenderer({
      font: theme.headerFont,
      textColor: theme.headerText,
      horizontalPadding: 6
    });
    this.cellRenderers = new RendererMap({
      'column-header': header,
      body: (config: CellRenderer.CellConfig) => {
        switch (GRID_COLUMNS[config.column]) {
          case 'status':
            return status;
          case 'elapsed':
          case 'metric':
            return numbers;
          default:
            return text;
        }
      }
    });
  }

  /**
   * Makes the name column take the width the other fitted columns (status, elapsed,
   * metric) leave in the viewport, so that they show without scrolling; the columns
   * after them stay reachable by the horizontal scroll bar.
   */
  fitColumns(width = this.viewport.node.clientWidth): void {
    if (width <= 0) {
      return;
    }
    const others = FITTED_COLUMNS.filter(column => column !== 'name').reduce(
      (sum, column) => sum + this.columnSize('body', GRID_COLUMNS.indexOf(column)),
      0
    );
    const name = Math.max(RunsGrid.MIN_NAME_WIDTH, Math.floor(width - others));
    const index = GRID_COLUMNS.indexOf('name');
    if (this.columnSize('body', index) !== name) {
      this.resizeColumn('body', index, name);
    }
  }

  /** The first and last body rows on screen ([0, -1] when none). */
  visibleRows(): [number, number] {
    const count = this._runs.rowCount;
    if (count === 0) {
      return [0, -1];
    }
    const first = Math.max(0, this.rowAt('body', this.scrollY));
    let last = this.rowAt('body', this.scrollY + Math.max(0, this.pageHeight - 1));
    if (last < 0) {
      last = count - 1;
    }
    return [first, last];
  }

  /** Repaints the cells of rows `from` to `to`, columns `first` to `last`. */
  repaintCells(from: number, to: number, first: GridColumn, last: GridColumn): void {
    this.repaintRegion('body', from, GRID_COLUMNS.indexOf(first), to, GRID_COLUMNS.indexOf(last));
  }

  /** Repaints every cell on screen (selection changes). */
  repaintAll(): void {
    this.repaintContent();
  }

  dispose(): void {
    this._resizeObserver.disconnect();
    super.dispose();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this._resizeObserver.observe(this.node);
  }

  protected onBeforeDetach(msg: Message): void {
    this._resizeObserver.unobserve(this.node);
    super.onBeforeDetach(msg);
  }

  private _runs: RunsModel;
  /**
   * The panel resizes the grid by CSS (its footer and error line come and go, the
   * sidebar first lays it out) without sending it resize messages, and the grid lays out
   * its scroll bars and syncs them only on one: send one whenever its box changes, so
   * the horizontal scroll bar is drawn, in place, from the first paint.
   */
  private _resizeObserver = new ResizeObserver(() => {
    if (!this.isDisposed && this.isVisible) {
      MessageLoop.sendMessage(this, Widget.ResizeMessage.UnknownSize);
    }
  });
}

/** The statics of `RunsGrid`. */
export namespace RunsGrid {
  export interface IOptions {
    model: RunsModel;
    dataModel: RunsDataModel;
    actions: IGridActions;
    theme: IGridTheme;
    trans: TranslationBundle;
  }

  /** Height of a row, px. */
  export const ROW_HEIGHT = 24;

  /** Height of the header, px. */
  export const HEADER_HEIGHT = 26;

  /** Initial column widths, px (the name column's is the space the others leave). */
  export const COLUMN_WIDTHS: Readonly<Record<GridColumn, number>> = {
    status: 26,
    name: 120,
    elapsed: 58,
    metric: 68,
    started: 110,
    notebook: 140
  };

  /** The narrowest the name column is made to fit the panel, px. */
  export const MIN_NAME_WIDTH = 72;
}

namespace Private {
  /** True when a header hit is on a column's resize border (as BasicMouseHandler decides). */
  export function onResizeHandle(hit: DataGrid.HitTestResult): boolean {
    return (hit.column > 0 && hit.x <= 5) || hit.width - hit.x <= 6;
  }
}
