/**
 * The run view (main area): a run's header (header.ts), then tabs with its executed
 * notebook rendered read-only by JupyterLab's own notebook widget, the tail of its console
 * output, and the summary of its scalars; what it shows comes from its model (model.ts).
 * While the run is live, what the service pushes is applied as it comes: the running cell's
 * outputs grow in place, its prompt reads `[*]`, and the view follows it unless scrolled
 * away; the output tab follows its end (with "Jump to end" when scrolled up). The record is
 * fetched again when the service says the run changed; nothing is polled.
 */
import type { IEditorServices } from '@jupyterlab/codeeditor';
import type * as nbformat from '@jupyterlab/nbformat';
import type { ICodeCellModel } from '@jupyterlab/cells';
import { NotebookModel, NotebookPanel, StaticNotebook } from '@jupyterlab/notebook';
import type { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import type { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import { refreshIcon, stopIcon, ToolbarButton } from '@jupyterlab/ui-components';
import type { Message } from '@lumino/messaging';
import { Panel, TabPanel, Widget } from '@lumino/widgets';
import { formatBytes, formatNumber, shortId } from '../format';
import { statusIcon, statusLabel } from '../status-icons';
import type { RunMeta } from '../../kernel/src/contract/run';
import type { ILogTail } from '../../kernel/src/contract/service';
import { RunHeader } from './header';
import type { IRunGraph } from './graph';
import { RunGraphView } from './pipeline';
import { SweepTrials } from './trials';
import { mergeCellChanges, type ILiveCellChange } from './live-output';
import { LiveStream } from './live-stream';
import type { IRunOutputChange, RunNotebook, RunViewModel } from './model';

/** What the view asks of the rest of the extension. */
export interface IRunViewActions {
  /** Opens the same run's snapshot notebook in its own view. */
  openSnapshot(id: string): void;
  /** Opens another run's view (a trial of the sweep, a step, a dependency shown). */
  openRun(id: string): void;
  /** True when "Run as experiment" exists (`nbx:run-experiment`). */
  canRerun(): boolean;
  /** Opens "Run as experiment" prefilled with the run's notebook and flags. */
  rerun(record: RunMeta): Promise<void>;
  /** Shows an error to the person. */
  error(message: string): void;
  /** True when the Scalars panel exists (`nbx:scalars`). */
  canShowScalars(): boolean;
  /** Charts the run's scalars in the Scalars panel. */
  showScalars(id: string): void;
}

/** The content of a run's main-area widget. */
export class RunView extends Panel {
  constructor(options: RunView.IOptions) {
    super();
    const { model } = options;
    this.model = model;
    this._live = options.live ?? true;
    model.live = this._live;
    this._actions = options.actions;
    this._trans = options.trans;
    const trans = this._trans;
    this.addClass('nbx-RunView');
    this.id = `${RunView.widgetId(model.runId, model.which)}-content`;
    this.title.label =
      model.which === 'snapshot'
        ? trans.__('Snapshot %1', shortId(model.runId))
        : trans.__('Run %1', shortId(model.runId));
    this.title.closable = true;

    this._header = new RunHeader({ model, trans });
    this.addWidget(this._header);

    this._tabs = new TabPanel();
    this._tabs.addClass('nbx-RunView-tabs');
    this._notebookHost = new Panel();
    this._notebookHost.addClass('nbx-RunView-notebookHost');
    this._notebookHost.title.label =
      model.which === 'snapshot' ? trans.__('Snapshot notebook') : trans.__('Notebook');
    this._notebookMessage = document.createElement('div');
    this._notebookMessage.className = 'nbx-RunView-message';
    this._notebookMessage.textContent = trans.__('Loading the notebook…');
    this._notebookHost.node.appendChild(this._notebookMessage);
    this._notebook = new StaticNotebook({
      rendermime: options.rendermime,
      contentFactory: new NotebookPanel.ContentFactory({
        editorFactory: options.editorServices.factoryService.newInlineEditor
      }),
      mimeTypeService: options.editorServices.mimeTypeService,
      editorConfig: Private.READ_ONLY_EDITORS,
      notebookConfig: { ...StaticNotebook.defaultNotebookConfig, windowingMode: 'none' },
      translator: options.translator
    });
    this._notebook.addClass('nbx-RunView-notebook');
    this._notebook.hide();
    this._notebookHost.addWidget(this._notebook);

    this._log = new Widget();
    this._log.addClass('nbx-RunView-log');
    this._log.title.label = trans.__('Output');
    this._logNote = document.createElement('div');
    this._logNote.className = 'nbx-RunView-logNote';
    this._logText = document.createElement('pre');
    this._logText.className = 'nbx-RunView-logText';
    this._jumpToEnd = document.createElement('button');
    this._jumpToEnd.className = 'jp-mod-styled nbx-RunView-jumpToEnd';
    this._jumpToEnd.textContent = trans.__('Jump to end');
    this._jumpToEnd.title = trans.__('Show the latest output, and follow it');
    this._jumpToEnd.hidden = true;
    this._jumpToEnd.addEventListener('click', () => {
      this._followLog = true;
      this._scrollLogToEnd();
    });
    this._log.node.append(this._logNote, this._logText, this._jumpToEnd);
    this._log.node.addEventListener('scroll', () => this._onLogScroll());

    this._scalars = new Widget();
    this._scalars.addClass('nbx-RunView-scalars');
    this._scalars.title.label = trans.__('Scalars');

    this._tabs.addWidget(this._notebookHost);
    this._tabs.addWidget(this._log);
    this._tabs.addWidget(this._scalars);
    this.addWidget(this._tabs);
    this._tabs.currentChanged.connect(this._onTabChanged, this);
    this._notebook.outerNode.addEventListener('scroll', () => this._onNotebookScroll());

    this._buttons = this._createButtons();
    this._renderHeader();
    model.changed.connect(this._render, this);
    model.outputChanged.connect(this._onOutput, this);
  }

  /** The run shown. */
  readonly model: RunViewModel;

  /** The run id (or the prefix) the view was opened with. */
  get runId(): string {
    return this.model.runId;
  }

  /** The notebook shown. */
  get which(): RunNotebook {
    return this.model.which;
  }

  /** The run's record, once fetched. */
  get record(): RunMeta | null {
    return this.model.record;
  }

  /**
   * Whether the view follows the run's record by itself (when the service says it changed);
   * false: only the Refresh button fetches it.
   */
  get live(): boolean {
    return this._live;
  }
  set live(value: boolean) {
    this._live = value;
    this.model.live = value;
    this._updateTimers();
  }

  /** The toolbar items of the view, to put in its main-area widget's toolbar. */
  get toolbarItems(): [string, Widget][] {
    return Object.entries(this._buttons);
  }

  /**
   * Tells the view that runs changed; fetches this run's record when it is one of them
   * (its notebook and output come as pushed, and whole again when the run ends).
   */
  runsChanged(ids: string[]): void {
    if (this.model.concerns(ids)) {
      if (this.isVisible) {
        void this.model.refreshRecord();
      } else {
        this._stale = true;
      }
    }
  }

  /** Fetches the run again (see `RunViewModel.refresh`). Never rejects. */
  refresh(): Promise<void> {
    return this.model.refresh();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._stopTimers();
    window.clearTimeout(this._renderTimer);
    this._notebookModel?.dispose();
    this.model.dispose();
    super.dispose();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    if (!this._started || this._stale) {
      this._started = true;
      this._stale = false;
      void this.refresh();
    }
    this._updateTimers();
  }

  protected onBeforeHide(msg: Message): void {
    this._stopTimers();
    super.onBeforeHide(msg);
  }

  /** Shows what the model fetched. */
  private _render(): void {
    const model = this.model;
    this._renderHeader();
    this._updateButtons();
    if (model.isBatch) {
      this._showSweep();
    }
    const graph = model.graph;
    if (graph !== null) {
      this._showGraph(graph);
    }
    if (model.notebook !== null) {
      this._showNotebook(model.notebook);
    } else if (model.notebookError !== null) {
      this._notebookMessage.textContent = model.notebookError;
    }
    if (model.log !== null) {
      this._showLog(model.log);
    }
    this._renderScalars();
    this._updateTimers();
  }

  /**
   * A batch run executes no notebook: its view leads with the sweep's trial table, and
   * has no notebook or scalars tab of its own (its output tab is the batch runner's).
   */
  private _showSweep(): void {
    if (this._trials === null) {
      this._trials = new SweepTrials({
        trans: this._trans,
        service: this.model.service,
        openRun: id => this._actions.openRun(id)
      });
      this._tabs.insertWidget(0, this._trials);
      this._tabs.currentIndex = 0;
      this._notebookHost.parent = null;
      this._scalars.parent = null;
    }
    this._trials.render(this.model.sweep);
  }

  /**
   * A pipeline executes no notebook: its view leads with its steps' graph (and keeps the
   * scalars its steps measured). A run that used other runs' files gets a tab with them.
   */
  private _showGraph(graph: IRunGraph): void {
    if (this._graph === null) {
      const pipeline = this.model.record?.kind === 'pipeline';
      this._graph = new RunGraphView({
        trans: this._trans,
        pipeline,
        openRun: id => this._actions.openRun(id)
      });
      if (pipeline) {
        this._tabs.insertWidget(0, this._graph);
        this._tabs.currentIndex = 0;
        this._notebookHost.parent = null;
      } else {
        this._tabs.addWidget(this._graph);
      }
    }
    this._graph.render(graph);
  }

  private _renderHeader(): void {
    this._header.render();
    const record = this.model.record;
    if (!record) {
      return;
    }
    const trans = this._trans;
    const status = record.status;
    this.title.icon = statusIcon(status);
    this.title.className = `nbx-RunView-tab nbx-mod-${status}`;
    this.title.caption = trans.__(
      '%1 · %2 · %3',
      record.notebookName,
      statusLabel(trans, status),
      record.id
    );
  }

  /** Shows `content` (the model's notebook; a new object when it changed). */
  private _showNotebook(content: nbformat.INotebookContent): void {
    if (content === this._shownNotebook) {
      this._markCurrentCell();
      return;
    }
    this._shownNotebook = content;
    let model = this._notebookModel;
    if (model && Private.sameCells(model, content)) {
      // Same cells: only outputs and execution counts changed (cells finished).
      content.cells.forEach((cell, index) => {
        const cellModel = model?.cells.get(index);
        if (cell.cell_type !== 'code' || !cellModel || cellModel.type !== 'code') {
          return;
        }
        // The outputs as shown (pushed output is applied to them, see `_renderOutput`).
        const code = cellModel as ICodeCellModel;
        const outputs = (cell as nbformat.ICodeCell).outputs ?? [];
        // A live stream shows more than the output area's model holds: rendered whole.
        if (
          this._liveStreams.delete(index) ||
          JSON.stringify(code.outputs.toJSON()) !== JSON.stringify(outputs)
        ) {
          code.outputs.fromJSON(outputs);
        }
        const count = (cell as nbformat.ICodeCell).execution_count ?? null;
        if (code.executionCount !== count) {
          code.executionCount = count;
        }
      });
    } else {
      this._liveStreams.clear();
      model?.dispose();
      model = new NotebookModel();
      model.fromJSON(content);
      this._notebookModel = model;
      this._notebook.model = model;
    }
    for (const cell of this._notebook.widgets) {
      cell.readOnly = true;
    }
    this._notebookMessage.hidden = true;
    this._notebook.show();
    this._markCurrentCell();
  }

  /**
   * Marks the cell executing now (while the run runs): its prompt reads `[*]`, as in a
   * notebook that runs; the view scrolls to keep its end in sight while following it.
   */
  private _markCurrentCell(): void {
    const current = this.model.currentCell;
    const model = this._notebookModel;
    this._endLiveStreams(current);
    this._notebook.widgets.forEach((cell, index) => {
      cell.toggleClass('nbx-mod-executing', index === current);
      const cellModel = model?.cells.get(index);
      if (cellModel?.type === 'code') {
        const state = index === current ? 'running' : 'idle';
        const code = cellModel as ICodeCellModel;
        if (code.executionState !== state) {
          code.executionState = state;
        }
      }
    });
    this._followRunningCell();
  }

  /**
   * Takes what the service pushed, to show at the next render: renders are spaced so that
   * they take at most a quarter of the time, up to `MAX_RENDER_SPACING` apart (a cell
   * printing thousands of lines a second costs a render now and then, not the page).
   */
  private _onOutput(_sender: RunViewModel, change: IRunOutputChange): void {
    for (const next of change.cells) {
      const before = this._pendingCells.get(next.cell);
      this._pendingCells.set(next.cell, before ? mergeCellChanges(before, next) : next);
    }
    this._pendingLog ||= change.log;
    if (this._renderTimer === undefined) {
      const spacing = Math.min(RunView.MAX_RENDER_SPACING, this._renderCost * 3);
      const wait = Math.max(0, this._renderedAt + spacing - performance.now());
      this._renderTimer = window.setTimeout(() => {
        requestAnimationFrame(() => this._renderOutput());
      }, wait);
    }
  }

  /** Shows the pushed changes: cells' outputs and counts, and the output's end. */
  private _renderOutput(): void {
    this._renderTimer = undefined;
    if (this.isDisposed) {
      return;
    }
    const started = performance.now();
    const cells = [...this._pendingCells.values()];
    this._pendingCells.clear();
    const model = this._notebookModel;
    if (model !== null && this.model.notebook === this._shownNotebook) {
      for (const change of cells) {
        const { cell, outputs, executionCount } = change;
        const cellModel = model.cells.get(cell);
        if (cellModel?.type !== 'code') {
          continue;
        }
        const code = cellModel as ICodeCellModel;
        // Text added to the stream the cell prints to: written to what is shown.
        if (!this._writeLiveStream(change)) {
          this._liveStreams.delete(cell);
          code.outputs.fromJSON(outputs);
        }
        if (executionCount !== undefined && code.executionCount !== executionCount) {
          code.executionCount = executionCount;
        }
      }
      this._markCurrentCell();
    }
    if (this._pendingLog && this.model.log !== null) {
      this._showLog(this.model.log);
    }
    this._pendingLog = false;
    this._renderedAt = performance.now();
    this._renderCost = this._renderedAt - started;
  }

  /**
   * Writes a change of the running cell's last stream to its live stream (see
   * live-stream.ts), taking over the stream's rendered text first; false when the change
   * is more than that, or the stream is not rendered.
   */
  private _writeLiveStream(change: ILiveCellChange): boolean {
    if (change.grow === null || change.cell !== this.model.currentCell) {
      return false;
    }
    let stream = this._liveStreams.get(change.cell);
    if (stream && !stream.attached) {
      stream = undefined;
    }
    const last = change.outputs[change.outputs.length - 1] as nbformat.IStream | undefined;
    if (!stream) {
      const outputs =
        this._notebook.widgets[change.cell]?.node.querySelectorAll('.jp-OutputArea-output');
      const pre = outputs?.[outputs.length - 1]?.querySelector('pre');
      if (!pre || last?.output_type !== 'stream') {
        return false;
      }
      stream = new LiveStream(pre);
      this._liveStreams.set(change.cell, stream);
      stream.reset(String(last.text));
    } else if (change.append !== null) {
      stream.append(change.append);
    } else {
      stream.reset(String(last?.text ?? ''));
    }
    return true;
  }

  /**
   * Renders whole the outputs of the cells whose stream was live but that no longer run
   * (all but `current`), as the model holds them.
   */
  private _endLiveStreams(current: number | null): void {
    const model = this._notebookModel;
    const cells = this.model.notebook?.cells;
    for (const index of [...this._liveStreams.keys()]) {
      if (index === current) {
        continue;
      }
      this._liveStreams.delete(index);
      const cellModel = model?.cells.get(index);
      const cell = cells?.[index];
      if (cellModel?.type === 'code' && cell?.cell_type === 'code') {
        (cellModel as ICodeCellModel).outputs.fromJSON((cell as nbformat.ICodeCell).outputs ?? []);
      }
    }
  }

  /** Scrolls the running cell's end into view, unless the person scrolled away from it. */
  private _followRunningCell(): void {
    const current = this.model.currentCell;
    const cell = current === null ? undefined : this._notebook.widgets[current];
    if (!this._followCell || !cell || !this._notebook.isVisible) {
      return;
    }
    const outer = this._notebook.outerNode;
    // Scrolled up since the last scroll seen, by a scroll whose event has not come yet
    // (it comes with the next frame): no longer following.
    if (outer.scrollTop < this._notebookTop - 1) {
      this._followCell = false;
      return;
    }
    const below = cell.node.getBoundingClientRect().bottom - outer.getBoundingClientRect().bottom;
    if (below > 0) {
      outer.scrollTop += below;
    }
    this._notebookTop = outer.scrollTop;
  }

  /** A scroll of the notebook: following the running cell while its end is in sight. */
  private _onNotebookScroll(): void {
    this._notebookTop = this._notebook.outerNode.scrollTop;
    const current = this.model.currentCell;
    const cell = current === null ? undefined : this._notebook.widgets[current];
    if (!cell) {
      return;
    }
    const outer = this._notebook.outerNode.getBoundingClientRect();
    const bottom = cell.node.getBoundingClientRect().bottom;
    this._followCell = bottom <= outer.bottom + RunView.FOLLOW_SLACK && bottom >= outer.top;
  }

  private _showLog(tail: ILogTail): void {
    const trans = this._trans;
    if (this._log.isVisible) {
      // Where the output is scrolled now, before it grows: a scroll whose event has not
      // come yet (it comes with the next frame) ends following.
      this._onLogScroll();
    }
    if (this._logText.textContent !== tail.text) {
      this._logText.textContent = tail.text;
    }
    this._logNote.textContent =
      tail.size === 0
        ? trans.__('No output yet.')
        : tail.truncated
          ? trans.__(
              'The last %1 of %2 of output.',
              formatBytes(tail.text.length),
              formatBytes(tail.size)
            )
          : trans.__('%1 of output.', formatBytes(tail.size));
    if (this._followLog) {
      this._scrollLogToEnd();
    }
  }

  private _scrollLogToEnd(): void {
    const scroller = this._log.node;
    scroller.scrollTop = scroller.scrollHeight;
    this._jumpToEnd.hidden = true;
  }

  /** A scroll of the output: following its end while scrolled to it. */
  private _onLogScroll(): void {
    const scroller = this._log.node;
    const atEnd =
      scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - RunView.FOLLOW_SLACK;
    this._followLog = atEnd;
    this._jumpToEnd.hidden = atEnd;
  }

  /** The output opens at its end (and the notebook at the running cell) while following. */
  private _onTabChanged(): void {
    if (this._tabs.currentWidget === this._log && this._followLog) {
      this._scrollLogToEnd();
    } else if (this._tabs.currentWidget === this._notebookHost) {
      // Shown again: where it is now is where it was left.
      this._notebookTop = this._notebook.outerNode.scrollTop;
      this._followRunningCell();
    }
  }

  private _renderScalars(): void {
    const trans = this._trans;
    const node = this._scalars.node;
    const rows = this.model.scalars;
    const signature = JSON.stringify(rows);
    if (signature === this._scalarsText) {
      return;
    }
    this._scalarsText = signature;
    this._scalars.title.label = rows.length
      ? trans.__('Scalars (%1)', rows.length)
      : trans.__('Scalars');
    node.replaceChildren();
    if (rows.length === 0) {
      const message = document.createElement('div');
      message.className = 'nbx-RunView-message';
      message.textContent = trans.__(
        'No scalars yet: print lines such as "loss: 0.25" or call nbx.log({ loss }, step).'
      );
      node.appendChild(message);
      return;
    }
    if (this._actions.canShowScalars()) {
      const charts = document.createElement('button');
      charts.className = 'jp-mod-styled nbx-RunView-showScalars';
      charts.textContent = trans.__('Show charts');
      charts.title = trans.__("Chart this run's scalars in the Scalars panel");
      charts.addEventListener('click', () => this._actions.showScalars(this.model.id));
      node.appendChild(charts);
    }
    const table = document.createElement('table');
    table.className = 'nbx-RunView-scalarsTable';
    const head = table.createTHead().insertRow();
    for (const title of [
      trans.__('Key'),
      trans.__('Last'),
      trans.__('Min'),
      trans.__('Max'),
      trans.__('First'),
      trans.__('Count'),
      trans.__('Last step')
    ]) {
      const th = document.createElement('th');
      th.scope = 'col';
      th.textContent = title;
      head.appendChild(th);
    }
    const body = table.createTBody();
    for (const { key, summary: s } of rows) {
      const row = body.insertRow();
      const name = document.createElement('th');
      name.scope = 'row';
      name.textContent = key;
      row.appendChild(name);
      for (const value of [s.last, s.min, s.max, s.first]) {
        const cell = row.insertCell();
        cell.textContent = formatNumber(value);
        cell.title = String(value);
      }
      row.insertCell().textContent = String(s.count);
      row.insertCell().textContent = s.lastStep === null ? '' : String(s.lastStep);
    }
    node.appendChild(table);
  }

  private _createButtons(): Record<string, ToolbarButton> {
    const trans = this._trans;
    const stop = new ToolbarButton({
      icon: stopIcon,
      label: trans.__('Stop'),
      tooltip: trans.__('Stop this run'),
      onClick: () => void this._stop()
    });
    const restart = new ToolbarButton({
      label: trans.__('Restart'),
      tooltip: trans.__('Run this run again in place, with the same flags'),
      onClick: () => void this._restart()
    });
    restart.hide();
    const rerun = new ToolbarButton({
      label: trans.__('Rerun with changed flags…'),
      tooltip: trans.__('Open "Run as experiment" with this run\'s notebook and flags'),
      onClick: () => void this._rerun()
    });
    rerun.setHidden(!this._actions.canRerun());
    const snapshot = new ToolbarButton({
      label: trans.__('Open snapshot'),
      tooltip: trans.__('Open the notebook as it was when the run was launched'),
      onClick: () => this._actions.openSnapshot(this.model.id)
    });
    snapshot.setHidden(this.which === 'snapshot');
    const refresh = new ToolbarButton({
      icon: refreshIcon,
      tooltip: trans.__('Refresh'),
      onClick: () => void this.refresh()
    });
    return { stop, restart, rerun, snapshot, refresh };
  }

  private _updateButtons(): void {
    const { isLive, record } = this.model;
    const { stop, restart, rerun, snapshot } = this._buttons;
    // A pipeline executes no notebook: its steps are what restart, rerun and have snapshots.
    const pipeline = record?.kind === 'pipeline';
    stop.setHidden(!isLive);
    rerun.setHidden(pipeline || !this._actions.canRerun());
    restart.setHidden(record === null || isLive || pipeline);
    snapshot.setHidden(this.which === 'snapshot' || pipeline);
  }

  private async _stop(): Promise<void> {
    const failure = await this.model.stop();
    if (failure !== null) {
      this._actions.error(failure || this._trans.__('The run could not be stopped.'));
    }
  }

  private async _restart(): Promise<void> {
    const failure = await this.model.restart();
    if (failure !== null) {
      this._actions.error(failure);
    }
  }

  private async _rerun(): Promise<void> {
    const record = this.model.record;
    if (record && this._actions.canRerun()) {
      await this._actions.rerun(record);
    }
  }

  /** Ticks the duration while the run is live and the view visible. */
  private _updateTimers(): void {
    if (this.isVisible && this.model.isLive) {
      if (this._tick === undefined) {
        this._tick = window.setInterval(() => this._header.tick(), 1000);
      }
    } else {
      this._stopTimers();
    }
  }

  private _stopTimers(): void {
    window.clearInterval(this._tick);
    this._tick = undefined;
  }

  /** Longest wait between two renders of pushed output (ms): shows stay within a second. */
  static MAX_RENDER_SPACING = 750;

  /** Pixels beyond the end of what is followed that still count as at its end. */
  static FOLLOW_SLACK = 40;

  private _actions: IRunViewActions;
  private _trans: TranslationBundle;
  private _header: RunHeader;
  private _tabs: TabPanel;
  private _notebookHost: Panel;
  private _trials: SweepTrials | null = null;
  private _graph: RunGraphView | null = null;
  private _notebookMessage: HTMLElement;
  private _notebook: StaticNotebook;
  private _notebookModel: NotebookModel | null = null;
  private _shownNotebook: nbformat.INotebookContent | null = null;
  private _log: Widget;
  private _logNote: HTMLElement;
  private _logText: HTMLElement;
  private _scalars: Widget;
  private _scalarsText = '';
  private _buttons: Record<string, ToolbarButton>;
  private _live: boolean;
  private _started = false;
  private _stale = false;
  private _tick: number | undefined = undefined;
  private _jumpToEnd: HTMLButtonElement;
  private _followLog = true;
  private _followCell = true;
  /** The notebook's scroll position when last scrolled (by a person or to follow). */
  private _notebookTop = 0;
  /** Pushed changes not shown yet, by cell; whether the output's end changed. */
  private _pendingCells = new Map<number, ILiveCellChange>();
  private _pendingLog = false;
  private _renderTimer: number | undefined = undefined;
  /** The running cell's stream shown light, by cell (see `_writeLiveStream`). */
  private _liveStreams = new Map<number, LiveStream>();
  /** When the last pushed changes were shown, and how long showing them took (ms). */
  private _renderedAt = 0;
  private _renderCost = 0;
}

/** The statics of `RunView`. */
export namespace RunView {
  export interface IOptions {
    /** The run to show. */
    model: RunViewModel;
    /** Follow the run by itself (default true); see `RunView.live`. */
    live?: boolean;
    rendermime: IRenderMimeRegistry;
    editorServices: IEditorServices;
    translator: ITranslator;
    trans: TranslationBundle;
    actions: IRunViewActions;
  }

  /** The DOM id of the main-area widget of a run's notebook (its content adds `-content`). */
  export function widgetId(id: string, which: RunNotebook): string {
    return `nbx-run-${which}-${id}`;
  }
}

namespace Private {
  /** Editors that cannot be typed in. */
  export const READ_ONLY_EDITORS: StaticNotebook.IEditorConfig = {
    code: { ...StaticNotebook.defaultEditorConfig.code, readOnly: true },
    markdown: { ...StaticNotebook.defaultEditorConfig.markdown, readOnly: true },
    raw: { ...StaticNotebook.defaultEditorConfig.raw, readOnly: true }
  };

  /** True when `content` has the cells of `model` (types and sources), in order. */
  export function sameCells(model: NotebookModel, content: nbformat.INotebookContent): boolean {
    if (model.cells.length !== content.cells.length) {
      return false;
    }
    return content.cells.every((cell, index) => {
      const current = model.cells.get(index);
      const source = Array.isArray(cell.source) ? cell.source.join('') : cell.source;
      return current.type === cell.cell_type && current.sharedModel.getSource() === source;
    });
  }
}
