/**
 * The Runs panel (left sidebar): a toolbar, a filter box in the `--where` language with
 * its error underneath, the virtualised runs grid, and a count line.
 *
 * Nothing is fetched until the panel is first shown; then the grid module and Apache
 * Arrow load while the service answers. Runs that change are patched in (see the model);
 * updates keep the selection (by run id) and the scroll position (the run at the top
 * stays at the top). While runs are live, their status spinners turn and their elapsed
 * times tick, from their start times, without any request.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { CommandToolbarButton, Toolbar } from '@jupyterlab/ui-components';
import type { CommandRegistry } from '@lumino/commands';
import type { Message } from '@lumino/messaging';
import { Panel, Widget } from '@lumino/widgets';
import type { GridColumn, RunsDataModel, RunsGrid } from './grid';
import type { RunsModel, SelectMode } from './model';
import type { IRunsChanged } from '../tokens';
import { defaultDirection } from '../compare/direction';
import { runsIcon, statusLabel } from '../status-icons';
import { errorMessage } from '../errors';
import { formatNumber } from '../format';

/** The panel's id in the shell (its sidebar tab). */
export const RUNS_PANEL_ID = 'nbx-runs';

/** Performance marks the panel leaves (the lab benchmark reads them). */
export const RUNS_MARKS = {
  /** The service connection and the panel's modules were made ready while idle. */
  preloaded: 'nbx-runs-preloaded',
  /** The panel was shown for the first time. */
  opened: 'nbx-runs-opened',
  /** The grid module was loaded. */
  gridLoaded: 'nbx-runs-grid-loaded',
  /** The first rows were painted. */
  firstRows: 'nbx-runs-first-rows'
};

/** The Runs panel. */
export class RunsPanel extends Panel {
  constructor(options: RunsPanel.IOptions) {
    super();
    this._model = options.model;
    this._trans = options.trans;
    this._onOpen = options.onOpen;
    const trans = this._trans;
    this.id = RUNS_PANEL_ID;
    this.addClass('nbx-RunsPanel');
    this.title.icon = runsIcon;
    this.title.caption = trans.__('Runs');
    this.node.setAttribute('aria-label', trans.__('Runs'));

    this._toolbar = new Toolbar();
    this._toolbar.addClass('nbx-RunsPanel-toolbar');
    const heading = new Widget();
    heading.addClass('nbx-RunsPanel-heading');
    heading.node.textContent = trans.__('Runs');
    this._toolbar.addItem('heading', heading);
    this._toolbar.addItem('spacer', Toolbar.createSpacerItem());
    for (const id of options.toolbarCommands) {
      this._toolbar.addItem(
        id,
        new CommandToolbarButton({
          commands: options.commands,
          id,
          label: '',
          noFocusOnClick: true
        })
      );
    }
    this.addWidget(this._toolbar);

    this._filter = new Widget({ node: Private.filterNode(trans) });
    this._filter.addClass('nbx-RunsPanel-filter');
    this.addWidget(this._filter);
    this._input = this._filter.node.querySelector('input') as HTMLInputElement;
    this._error = this._filter.node.querySelector('.nbx-RunsPanel-error') as HTMLElement;

    this._body = new Panel();
    this._body.addClass('nbx-RunsPanel-body');
    this._message = document.createElement('div');
    this._message.className = 'nbx-RunsPanel-message';
    this._body.node.appendChild(this._message);
    this.addWidget(this._body);

    this._footer = new Widget();
    this._footer.addClass('nbx-RunsPanel-footer');
    this._footer.node.setAttribute('aria-live', 'polite');
    this.addWidget(this._footer);

    this._model.changed.connect(this._onModelChanged, this);
    this._model.aboutToChange.connect(this._rememberTop, this);
    this._model.rowsPatched.connect(this._onRowsPatched, this);
    this._model.selectionChanged.connect(this._onSelectionChanged, this);
    this._model.stateChanged.connect(this._onStateChanged, this);
    this._render();
  }

  /** The panel's model. */
  get model(): RunsModel {
    return this._model;
  }

  /** The grid, once loaded. */
  get grid(): RunsGrid | null {
    return this._grid;
  }

  /** Re-fetches now when visible, else on the next show. */
  refresh(): void {
    if (this.isVisible && this._started) {
      void this._model.refresh();
    } else {
      this._stale = true;
    }
  }

  /**
   * Runs changed (a push of the service): patched in now when visible, else the table
   * is listed again on the next show. Pushes about other runs roots are ignored.
   */
  runsChanged(change: IRunsChanged): void {
    if (!this._model.concerns(change)) {
      return;
    }
    if (this.isVisible && this._started) {
      void this._model.update(change);
    } else {
      this._stale = true;
    }
  }

  /** Reads the theme again (after a theme change). */
  updateTheme(): void {
    const grid = this._grid;
    if (grid && this._gridModule) {
      grid.applyTheme(this._gridModule.readGridTheme(this.node));
    }
  }

  /** Moves the keyboard focus to the filter box. */
  focusFilter(): void {
    this._input.focus();
    this._input.select();
  }

  handleEvent(event: Event): void {
    switch (event.type) {
      case 'input':
        this._scheduleFilter();
        break;
      case 'keydown':
        this._onFilterKey(event as KeyboardEvent);
        break;
      case 'click':
        if ((event.target as HTMLElement).closest('.nbx-RunsPanel-clear')) {
          this._input.value = '';
          this._applyFilter();
          this._input.focus();
        }
        break;
    }
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._stopTicker();
    window.clearTimeout(this._filterTimer);
    this._model.changed.disconnect(this._onModelChanged, this);
    this._model.aboutToChange.disconnect(this._rememberTop, this);
    this._model.rowsPatched.disconnect(this._onRowsPatched, this);
    this._model.selectionChanged.disconnect(this._onSelectionChanged, this);
    this._model.stateChanged.disconnect(this._onStateChanged, this);
    super.dispose();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this._input.addEventListener('input', this);
    this._input.addEventListener('keydown', this);
    this._filter.node.addEventListener('click', this);
  }

  protected onBeforeDetach(msg: Message): void {
    this._input.removeEventListener('input', this);
    this._input.removeEventListener('keydown', this);
    this._filter.node.removeEventListener('click', this);
    super.onBeforeDetach(msg);
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    if (!this._started) {
      this._started = true;
      performance.mark(RUNS_MARKS.opened);
      void this._model.refresh();
      void this._loadGrid();
    } else if (this._stale) {
      this._stale = false;
      void this._model.refresh();
    }
    this._updateTicker();
  }

  protected onBeforeHide(msg: Message): void {
    this._stopTicker();
    super.onBeforeHide(msg);
  }

  /** Loads the grid module and puts the grid in place. */
  private async _loadGrid(): Promise<void> {
    let module: typeof import('./grid');
    try {
      module = await Private.loadGridModule();
    } catch (err) {
      this._message.textContent = this._trans.__(
        'The runs list could not load: %1',
        errorMessage(err)
      );
      return;
    }
    if (this.isDisposed) {
      return;
    }
    performance.mark(RUNS_MARKS.gridLoaded);
    this._gridModule = module;
    const dataModel = new module.RunsDataModel({ model: this._model, trans: this._trans });
    const grid = new module.RunsGrid({
      model: this._model,
      dataModel,
      theme: module.readGridTheme(this.node),
      trans: this._trans,
      actions: {
        select: (row: number, mode: SelectMode) => this._model.select(row, mode),
        open: (row: number) => this._open(row),
        sortBy: (column: number) => this._sortBy(dataModel.column(column)),
        toggle: (row: number) => this._toggle(row),
        isGroup: (row: number) => this._model.isGroup(row),
        tooltip: (row: number, column: number) => this._tooltip(row, dataModel.column(column))
      }
    });
    this._dataModel = dataModel;
    this._grid = grid;
    this._body.addWidget(grid);
    this._render();
    this._markFirstRows();
  }

  /** Opens or closes a batch or pipeline row (its runs listed under it); the cursor goes to it. */
  private _toggle(row: number): void {
    const model = this._model;
    const id = model.id(row);
    model.select(row, 'replace');
    model.setExpanded(id, !model.isExpanded(id));
  }

  private _open(row: number): void {
    const id = this._model.id(row);
    if (id) {
      this._onOpen(id);
    }
  }

  /**
   * Header clicks: first in the column's natural direction (the display rules: lower
   * first for losses, errors and durations, higher first for other metrics, newest first
   * for times, A to Z for text), then the other way, then back to latest first.
   */
  private _sortBy(column: GridColumn): void {
    const module = this._gridModule;
    const name = module ? module.sortColumnOf(column, this._model) : null;
    if (module === null || name === null) {
      return;
    }
    const current = this._model.sort;
    const firstDescending = defaultDirection(name, module.kindOf(column)) === 'descending';
    if (!current || current.column !== name) {
      this._model.sort = { column: name, descending: firstDescending };
    } else if (current.descending === firstDescending) {
      this._model.sort = { column: name, descending: !firstDescending };
    } else {
      this._model.sort = null;
    }
  }

  private _tooltip(row: number, column: GridColumn): string {
    const model = this._model;
    const trans = this._trans;
    switch (column) {
      case 'status': {
        const status = model.status(row);
        const slurm = model.slurm(row);
        const label = status ? statusLabel(trans, status) : '';
        return slurm ? `${label}\n${trans.__('Slurm job %1', slurm)}` : label;
      }
      case 'name': {
        const lines = [trans.__('Run %1 (double-click or Enter to open)', model.id(row))];
        const label = model.label(row);
        if (label) {
          lines.push(trans.__('Label: %1', label));
        }
        lines.push(trans.__('Notebook: %1', model.notebook(row)));
        const tags = model.tags(row);
        if (tags.length) {
          lines.push(trans.__('Tags: %1', tags.join(', ')));
        }
        const sweep = model.isBatch(row) ? model.sweep(model.id(row)) : null;
        if (sweep) {
          lines.push(
            trans.__(
              'Sweep: %1 of %2 trials done, %3 running (right arrow or the triangle lists them)',
              sweep.done,
              sweep.total,
              sweep.counts.running
            )
          );
        }
        return lines.join('\n');
      }
      case 'metric': {
        const sweep = model.isBatch(row) ? model.sweep(model.id(row)) : model.trial(row)?.sweep;
        const best = sweep?.best;
        if (!sweep?.objective || !best) {
          return '';
        }
        const index = sweep.trials.find(trial => trial.id === best.id)?.index ?? 0;
        return trans.__(
          'Best %1 of the sweep: %2 (trial #%3)',
          sweep.objective.text,
          formatNumber(best.value),
          index
        );
      }
      case 'started': {
        const ms = model.started(row);
        return ms === null ? '' : new Date(ms).toLocaleString();
      }
      default:
        return '';
    }
  }

  private _scheduleFilter(): void {
    window.clearTimeout(this._filterTimer);
    this._filterTimer = window.setTimeout(() => this._applyFilter(), 400);
  }

  private _applyFilter(): void {
    window.clearTimeout(this._filterTimer);
    this._model.filter = this._input.value;
  }

  private _onFilterKey(event: KeyboardEvent): void {
    if (event.key === 'Enter') {
      event.preventDefault();
      this._applyFilter();
    } else if (event.key === 'Escape' && this._input.value !== '') {
      event.preventDefault();
      event.stopPropagation();
      this._input.value = '';
      this._applyFilter();
    } else if (event.key === 'ArrowDown' && this._grid) {
      event.preventDefault();
      this._grid.activate();
      if (this._model.cursorRow < 0 && this._model.rowCount > 0) {
        this._model.select(0, 'replace');
      }
    }
  }

  private _onModelChanged(): void {
    const grid = this._grid;
    this._dataModel?.reset();
    if (grid && this._topRun !== null) {
      // Keep the run that was at the top at the top.
      const row = this._model.rowOf(this._topRun.id);
      if (row >= 0) {
        grid.scrollTo(grid.scrollX, row * grid.defaultSizes.rowHeight + this._topRun.offset);
      }
    }
    this._render();
    this._updateTicker();
    this._markFirstRows();
  }

  private _onRowsPatched(_sender: RunsModel, rows: number[]): void {
    this._dataModel?.rowsChanged(rows);
    this._updateTicker();
  }

  private _onSelectionChanged(): void {
    this._grid?.repaintAll();
    this._renderFooter();
  }

  private _onStateChanged(): void {
    this._dataModel?.headersChanged();
    this._render();
  }

  /** Remembers the run at the top of the view before the rows change. */
  private _rememberTop(): void {
    const grid = this._grid;
    if (!grid || grid.scrollY <= 0 || this._model.rowCount === 0) {
      this._topRun = null;
      return;
    }
    const row = Math.max(0, grid.rowAt('body', grid.scrollY));
    this._topRun = {
      id: this._model.id(row),
      offset: grid.scrollY - row * grid.defaultSizes.rowHeight
    };
  }

  private _render(): void {
    const model = this._model;
    const trans = this._trans;
    const error = model.error;
    this._error.textContent = error ?? '';
    this._error.hidden = error === null;
    this._input.classList.toggle('nbx-mod-invalid', error !== null && model.filter !== '');
    this._input.setAttribute('aria-invalid', String(error !== null && model.filter !== ''));
    let message = '';
    if (!model.loaded) {
      message = error === null ? trans.__('Loading runs…') : '';
    } else if (model.totalCount === 0) {
      message = trans.__(
        'No runs yet. Run a notebook as an experiment, or from a terminal: nbx run NOTEBOOK'
      );
    } else if (model.rowCount === 0) {
      message = trans.__('No runs match the filter.');
    }
    this._message.textContent = message;
    this._message.hidden = message === '';
    this.node.dataset.nbxRowCount = String(model.rowCount);
    this.node.classList.toggle('nbx-mod-loading', model.loading);
    this._renderFooter();
  }

  private _renderFooter(): void {
    const model = this._model;
    const trans = this._trans;
    if (!model.loaded) {
      this._footer.node.textContent = '';
      return;
    }
    const shown =
      model.rowCount === model.totalCount
        ? trans._n('%2 run', '%2 runs', model.totalCount, model.totalCount.toLocaleString())
        : trans.__(
            '%1 of %2 runs',
            model.rowCount.toLocaleString(),
            model.totalCount.toLocaleString()
          );
    const selected = model.selectedIds.length;
    this._footer.node.textContent = selected
      ? trans.__('%1 · %2 selected', shown, selected)
      : shown;
  }

  /** Marks (once) the frame in which the first rows were painted. */
  private _markFirstRows(): void {
    if (this._marked || !this._grid || this._model.rowCount === 0) {
      return;
    }
    this._marked = true;
    // The grid paints in the next animation frame; this callback runs right after it.
    requestAnimationFrame(() => {
      performance.mark(RUNS_MARKS.firstRows);
      this.node.dataset.nbxFirstRows = 'painted';
    });
  }

  /** Runs the ticker while visible runs are live. */
  private _updateTicker(): void {
    if (this.isVisible && this._grid && this._model.hasLiveRows) {
      if (this._ticker === undefined) {
        this._ticker = window.setInterval(() => this._tick(), RunsPanel.TICK_MS);
      }
    } else {
      this._stopTicker();
    }
  }

  private _stopTicker(): void {
    if (this._ticker !== undefined) {
      window.clearInterval(this._ticker);
      this._ticker = undefined;
    }
  }

  /**
   * Once a second: the status and elapsed cells of the running rows on screen, and only
   * those. Each repaint of the canvas costs the browser a raster of the grid, so the
   * spinner steps with the seconds rather than turning smoothly.
   */
  private _tick(): void {
    const grid = this._grid;
    if (!grid) {
      return;
    }
    const [first, last] = grid.visibleRows();
    let from = -1;
    let to = -1;
    for (let row = first; row <= last; row++) {
      if (this._model.status(row) === 'running') {
        from = from < 0 ? row : from;
        to = row;
      }
    }
    if (from >= 0) {
      grid.repaintCells(from, to, 'status', 'elapsed');
    }
  }

  /** Loads the grid module ahead of the first show (e.g. when the browser is idle). */
  static preload(): Promise<void> {
    return Private.loadGridModule().then(() => undefined);
  }

  /** Interval of the spinner and elapsed-time ticks, ms. */
  static TICK_MS = 1000;

  private _model: RunsModel;
  private _trans: TranslationBundle;
  private _onOpen: (id: string) => void;
  private _toolbar: Toolbar;
  private _filter: Widget;
  private _input: HTMLInputElement;
  private _error: HTMLElement;
  private _body: Panel;
  private _message: HTMLElement;
  private _footer: Widget;
  private _grid: RunsGrid | null = null;
  private _dataModel: RunsDataModel | null = null;
  private _gridModule: typeof import('./grid') | null = null;
  private _started = false;
  private _stale = false;
  private _marked = false;
  private _filterTimer = 0;
  private _ticker: number | undefined = undefined;
  private _topRun: { id: string; offset: number } | null = null;
}

/** The statics of `RunsPanel`. */
export namespace RunsPanel {
  export interface IOptions {
    model: RunsModel;
    commands: CommandRegistry;
    trans: TranslationBundle;
    /** Commands shown as toolbar buttons (icon only; their captions are the tooltips). */
    toolbarCommands: string[];
    /** Opens the run view of a run. */
    onOpen: (id: string) => void;
  }
}

namespace Private {
  let gridModule: Promise<typeof import('./grid')> | null = null;

  /** The grid module, loaded once. */
  export function loadGridModule(): Promise<typeof import('./grid')> {
    if (!gridModule) {
      gridModule = import('./grid');
    }
    return gridModule;
  }

  /** The filter box: the input, a clear button, and the error line. */
  export function filterNode(trans: TranslationBundle): HTMLElement {
    const node = document.createElement('div');
    const row = document.createElement('div');
    row.className = 'nbx-RunsPanel-filterRow';
    const input = document.createElement('input');
    input.type = 'search';
    input.className = 'jp-mod-styled nbx-RunsPanel-filterInput';
    input.placeholder = trans.__('Filter, e.g. status = running and lr > 0.01');
    input.spellcheck = false;
    input.setAttribute('aria-label', trans.__('Filter runs'));
    input.title = trans.__(
      'Comparisons (= != < <= > >=, contains, in [a, b], is null) joined with and, or, not. Names: =flag, #scalar, .attr, or id, notebook, status, label, tags, started, duration. Enter applies, Escape clears.'
    );
    const clear = document.createElement('button');
    clear.type = 'button';
    clear.className = 'jp-Button jp-mod-minimal nbx-RunsPanel-clear';
    clear.title = trans.__('Clear the filter');
    clear.setAttribute('aria-label', trans.__('Clear the filter'));
    clear.textContent = '×';
    row.append(input, clear);
    const error = document.createElement('div');
    error.className = 'nbx-RunsPanel-error';
    error.setAttribute('role', 'alert');
    error.hidden = true;
    node.append(row, error);
    return node;
  }
}
