/**
 * The Compare panel (main area): a toolbar (the `--where` filter, the column chooser with
 * search, "only columns that differ", CSV copy and export, saved views, charts), the
 * grid over the session's model (grid.ts, loaded on first show) and, when asked for, the
 * charts of the comparison (charts.ts, plotly loaded then). What it shows comes from its
 * `CompareSession`.
 *
 * For tests and scripts the panel's node carries `data-nbx-state` (`loading`, `ready`,
 * `error`) and `data-nbx-row-count` (rows shown); `session.model` is public.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { MessageLoop, type Message } from '@lumino/messaging';
import { Panel, Widget } from '@lumino/widgets';
import type { CompareCharts } from './charts';
import type { CompareGrid } from './grid';
import type { CompareModel } from './model';
import type { CompareSession } from './session';
import type { ICompareView } from './views';

/** Where saved views are kept (the state database, per runs root). */
export interface IViewStore {
  load(): Promise<ICompareView[]>;
  save(views: ICompareView[]): Promise<void>;
}

/** The Compare panel. */
export class ComparePanel extends Panel {
  constructor(options: ComparePanel.IOptions) {
    super();
    this.session = options.session;
    this._trans = options.trans;
    this._views = options.views ?? null;
    this._chartMetric = options.chartMetric ?? null;
    this._openRun = options.openRun ?? null;
    this.addClass('nbx-Compare');
    this.id = options.id;
    this.title.label = options.label;
    this.title.closable = true;
    this.node.dataset.nbxState = 'loading';

    this._toolbar = new Widget({ node: this._buildToolbar() });
    this._toolbar.addClass('nbx-Compare-toolbar');
    this.addWidget(this._toolbar);
    this._gridHost = new Panel();
    this._gridHost.addClass('nbx-Compare-gridHost');
    this.addWidget(this._gridHost);
    this._chartsHost = new Panel();
    this._chartsHost.addClass('nbx-Compare-chartsHost');
    this._chartsHost.hide();
    this.addWidget(this._chartsHost);
    // The grid's host is sized by CSS (flex), which Lumino does not see: tell the grid
    // when its space changes (charts shown, the toolbar wrapping, the tab resized).
    this._resizeObserver = new ResizeObserver(() => {
      if (this._grid) {
        MessageLoop.sendMessage(this._grid, Widget.ResizeMessage.UnknownSize);
      }
    });
    this._resizeObserver.observe(this._gridHost.node);

    this._filter.value = this.session.where;
    this.session.changed.connect(this._onSession, this);
    if (this._views) {
      void this._loadViews();
    } else {
      this._viewSelect.hidden = true;
      this._saveViewButton.hidden = true;
    }
    if (options.showCharts) {
      void this.toggleCharts(true);
    }
  }

  /** The comparison shown. */
  readonly session: CompareSession;

  /** The grid, once loaded. */
  get grid(): CompareGrid | null {
    return this._grid;
  }

  /** The charts, once shown. */
  get charts(): CompareCharts | null {
    return this._charts;
  }

  /** Reads the theme again (colours of the grid and charts). */
  updateTheme(): void {
    this._grid?.updateTheme();
    void this._charts?.update();
  }

  /** Shows or hides the charts (loading plotly the first time). */
  async toggleCharts(show = this._chartsHost.isHidden): Promise<void> {
    this._chartsButton.setAttribute('aria-pressed', String(show));
    if (!show) {
      this._chartsHost.hide();
      return;
    }
    this._chartsHost.show();
    if (!this._charts) {
      const { CompareCharts } = await import('./charts');
      this._charts = new CompareCharts({ trans: this._trans, metric: this._chartMetric });
      this._chartsHost.addWidget(this._charts);
    }
    this._charts.setModel(this.session.model);
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._resizeObserver.disconnect();
    this.session.dispose();
    super.dispose();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this.updateTheme();
  }

  private _buildToolbar(): HTMLElement {
    const trans = this._trans;
    const node = document.createElement('div');

    const filter = document.createElement('input');
    filter.type = 'search';
    filter.className = 'nbx-Compare-filter jp-mod-styled';
    filter.placeholder = trans.__('Filter: lr > 0.001 and #acc >= 0.9');
    filter.title = trans.__('An expression in the --where language of nbx runs; Enter applies it');
    filter.setAttribute('aria-label', trans.__('Filter runs'));
    filter.addEventListener('keydown', event => {
      if (event.key === 'Enter') {
        void this.session.load(filter.value);
      }
    });
    filter.addEventListener('search', () => {
      if (filter.value === '') {
        void this.session.load('');
      }
    });
    this._filter = filter;

    const chooser = this._button(trans.__('Columns'), trans.__('Choose the columns shown'), () =>
      this._toggleChooser()
    );
    chooser.classList.add('nbx-Compare-columnsButton');

    const differ = document.createElement('label');
    differ.className = 'nbx-Compare-differ';
    this._differ = document.createElement('input');
    this._differ.type = 'checkbox';
    this._differ.addEventListener('change', () => {
      const model = this.session.model;
      if (model) {
        model.onlyDiffering = this._differ.checked;
      }
    });
    differ.append(this._differ, trans.__('Only columns that differ'));

    const copy = this._button(trans.__('Copy CSV'), trans.__('Copy the rows shown as CSV'), () => {
      const model = this.session.model;
      if (model) {
        void navigator.clipboard.writeText(model.toCsv());
      }
    });
    copy.classList.add('nbx-Compare-copy');
    const exportCsv = this._button(
      trans.__('Export CSV'),
      trans.__('Download the rows shown as a CSV file'),
      () => this._exportCsv()
    );

    this._viewSelect = document.createElement('select');
    this._viewSelect.className = 'nbx-Compare-views jp-mod-styled';
    this._viewSelect.setAttribute('aria-label', trans.__('Saved views'));
    this._viewSelect.addEventListener('change', () => {
      const view = this._savedViews.find(v => v.name === this._viewSelect.value);
      if (view) {
        this._filter.value = view.where;
        void this.session.applyView(view);
      }
    });
    const save = this._button(
      trans.__('Save View'),
      trans.__('Save the columns, sort and filter under a name'),
      () => void this._saveView()
    );
    save.classList.add('nbx-Compare-saveView');
    this._saveViewButton = save;

    this._chartsButton = this._button(
      trans.__('Charts'),
      trans.__('Parallel coordinates and a scatter of the runs'),
      () => void this.toggleCharts()
    );
    this._chartsButton.classList.add('nbx-Compare-chartsButton');

    this._status = document.createElement('span');
    this._status.className = 'nbx-Compare-status';
    this._error = document.createElement('div');
    this._error.className = 'nbx-Compare-error';
    this._error.setAttribute('role', 'alert');

    this._chooser = document.createElement('div');
    this._chooser.className = 'nbx-Compare-chooser';
    this._chooser.hidden = true;
    const search = document.createElement('input');
    search.type = 'search';
    search.className = 'nbx-Compare-chooserSearch jp-mod-styled';
    search.placeholder = trans.__('Search columns');
    search.addEventListener('input', () => this._renderChoices());
    this._chooserSearch = search;
    this._choiceList = document.createElement('ul');
    this._choiceList.className = 'nbx-Compare-choices';
    this._choiceList.addEventListener('change', event => {
      const box = event.target as HTMLInputElement;
      const name = box.dataset.column;
      if (name !== undefined) {
        this.session.model?.setColumnVisible(name, box.checked);
      }
    });
    this._chooser.append(search, this._choiceList);

    const row = document.createElement('div');
    row.className = 'nbx-Compare-toolbarRow';
    row.append(
      filter,
      chooser,
      differ,
      copy,
      exportCsv,
      this._viewSelect,
      save,
      this._chartsButton,
      this._status
    );
    node.append(row, this._error, this._chooser);
    return node;
  }

  private _button(label: string, title: string, onClick: () => void): HTMLButtonElement {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'jp-Button jp-mod-styled jp-mod-reject nbx-Compare-button';
    button.textContent = label;
    button.title = title;
    button.addEventListener('click', onClick);
    return button;
  }

  private _toggleChooser(): void {
    this._chooser.hidden = !this._chooser.hidden;
    if (!this._chooser.hidden) {
      this._renderChoices();
      this._chooserSearch.focus();
    }
  }

  private _renderChoices(): void {
    const model = this.session.model;
    this._choiceList.replaceChildren();
    if (!model || this._chooser.hidden) {
      return;
    }
    for (const choice of model.choices(this._chooserSearch.value)) {
      const item = document.createElement('li');
      const label = document.createElement('label');
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.checked = choice.visible;
      box.dataset.column = choice.name;
      label.append(box, choice.name);
      item.append(label);
      this._choiceList.append(item);
    }
  }

  private _exportCsv(): void {
    const model = this.session.model;
    if (!model) {
      return;
    }
    const url = URL.createObjectURL(new Blob([model.toCsv()], { type: 'text/csv' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = 'nbx-compare.csv';
    link.click();
    URL.revokeObjectURL(url);
  }

  private async _loadViews(): Promise<void> {
    this._savedViews = (await this._views?.load().catch(() => [])) ?? [];
    this._renderViews();
  }

  private async _saveView(): Promise<void> {
    const { InputDialog } = await import('@jupyterlab/apputils');
    const trans = this._trans;
    const answer = await InputDialog.getText({
      title: trans.__('Save View'),
      label: trans.__('Name'),
      text: this._viewSelect.value
    });
    const name = answer.value?.trim();
    if (!answer.button.accept || !name) {
      return;
    }
    const { withView } = await import('./views');
    this._savedViews = withView(this._savedViews, this.session.view(name));
    await this._views?.save(this._savedViews);
    this._renderViews(name);
  }

  private _renderViews(selected = this._viewSelect.value): void {
    const none = document.createElement('option');
    none.value = '';
    none.textContent = this._trans.__('Saved views…');
    this._viewSelect.replaceChildren(
      none,
      ...this._savedViews.map(view => {
        const option = document.createElement('option');
        option.value = view.name;
        option.textContent = view.name;
        return option;
      })
    );
    this._viewSelect.value = this._savedViews.some(v => v.name === selected) ? selected : '';
  }

  private _onSession(): void {
    const session = this.session;
    const model = session.model;
    this._error.textContent = session.error;
    this._error.hidden = session.error === '';
    this.node.dataset.nbxState = session.loading ? 'loading' : session.error ? 'error' : 'ready';
    if (model !== this._shownModel) {
      this._shownModel?.changed.disconnect(this._onModel, this);
      this._shownModel = model;
      model?.changed.connect(this._onModel, this);
      void this._showGrid(model);
      this._charts?.setModel(model);
      this._onModel();
    }
  }

  private async _showGrid(model: CompareModel | null): Promise<void> {
    if (!model) {
      return;
    }
    const { CompareGrid } = await import('./grid');
    if (model !== this.session.model || this.isDisposed) {
      return;
    }
    this._grid?.dispose();
    this._grid = new CompareGrid(model, { openRun: this._openRun ?? undefined });
    this._gridHost.addWidget(this._grid);
    this._grid.applyTheme();
  }

  private _onModel(): void {
    const model = this.session.model;
    if (!model) {
      return;
    }
    this._differ.checked = model.onlyDiffering;
    this.node.dataset.nbxRowCount = String(model.rowCount);
    const total = model.table.numRows;
    const missing = this.session.missing;
    this._status.textContent =
      (model.rowCount === total
        ? this._trans._n('%1 run', '%1 runs', total)
        : this._trans.__('%1 of %2 runs', model.rowCount, total)) +
      (missing > 0
        ? ` · ${this._trans._n('%1 run no longer exists', '%1 runs no longer exist', missing)}`
        : '');
    this._renderChoices();
  }

  private readonly _trans: TranslationBundle;
  private readonly _views: IViewStore | null;
  private readonly _chartMetric: string | null;
  private readonly _openRun: ((id: string) => void) | null;
  private _saveViewButton!: HTMLButtonElement;
  private readonly _toolbar: Widget;
  private readonly _gridHost: Panel;
  private readonly _chartsHost: Panel;
  private readonly _resizeObserver: ResizeObserver;
  private _filter!: HTMLInputElement;
  private _differ!: HTMLInputElement;
  private _status!: HTMLSpanElement;
  private _error!: HTMLDivElement;
  private _chooser!: HTMLDivElement;
  private _chooserSearch!: HTMLInputElement;
  private _choiceList!: HTMLUListElement;
  private _viewSelect!: HTMLSelectElement;
  private _chartsButton!: HTMLButtonElement;
  private _savedViews: ICompareView[] = [];
  private _shownModel: CompareModel | null = null;
  private _grid: CompareGrid | null = null;
  private _charts: CompareCharts | null = null;
}

/** The statics of ComparePanel. */
export namespace ComparePanel {
  export interface IOptions {
    session: CompareSession;
    trans: TranslationBundle;
    /** Where saved views are kept; without it the panel offers none. */
    views?: IViewStore | null;
    /** Show the charts from the start. */
    showCharts?: boolean;
    /** The metric the charts colour by first (e.g. a sweep's objective column). */
    chartMetric?: string | null;
    /** Opens a run's view: a double-click on its row. */
    openRun?: (id: string) => void;
    /** The widget's id (one panel per comparison). */
    id: string;
    /** The tab's label. */
    label: string;
  }
}
