/**
 * The state of the Runs panel, without DOM: the runs table (Apache Arrow, as the service
 * sends it) with the filter and sort that produced it, the selection (by run id, so it
 * survives re-fetches) and the last error.
 *
 * Sweeps and pipelines: a batch's trials (a pipeline's steps) are listed under its row,
 * hidden until it is expanded (rows are the visible ones: the model maps each to its table
 * row), and each batch listed carries its status from the service (progress, best trial by
 * its objective).
 */
import type { IDisposable } from '@lumino/disposable';
import { Signal, type ISignal } from '@lumino/signaling';
import type { Table, Vector } from 'apache-arrow';
import type { INbxService } from '../tokens';
import type { RunStatus } from '../../kernel/src/contract/run';
import type {
  IListRunsArrowResult,
  IListRunsParams,
  ISweepStatus,
  ISweepTrial
} from '../../kernel/src/contract/service';
import { isLive, isRunStatus } from '../run-status';
import { errorMessage } from '../errors';

/** The columns the panel asks the service for (the key metric comes on top). */
export const PANEL_COLUMNS = [
  'id',
  'notebook',
  'status',
  'label',
  'tags',
  'created',
  'started',
  'duration',
  'kind',
  'parent'
];

/** Performance marks of each fetch (the lab benchmark reads them). */
export const RUNS_MODEL_MARKS = {
  /** `listRuns` was sent. */
  request: 'nbx-runs-request',
  /** Its reply arrived. */
  reply: 'nbx-runs-reply',
  /** The Arrow table was decoded. */
  decoded: 'nbx-runs-decoded'
};

/** A sort by one column of the index, as `listRuns` takes it. */
export interface IRunsSort {
  /** A column name of the index (`started`, `duration`, `#loss`, ...). */
  column: string;
  descending: boolean;
}

/** How a click changes the selection. */
export type SelectMode = 'replace' | 'toggle' | 'range' | 'add-range';

/** The Runs panel's model. */
export class RunsModel implements IDisposable {
  constructor(options: RunsModel.IOptions) {
    this._service = options.service;
    this._metricSetting = options.metric ?? '';
  }

  /** Emitted when a new table arrived (rows, columns or values may all differ). */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Emitted when the selection or the cursor changed. */
  get selectionChanged(): ISignal<this, void> {
    return this._selectionChanged;
  }

  /** Emitted when the filter, sort, error or loading state changed. */
  get stateChanged(): ISignal<this, void> {
    return this._stateChanged;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Rows shown: the runs of the table, less the trials of collapsed batches. */
  get rowCount(): number {
    return this._order.length;
  }

  /** Every run under the runs root (filtered out ones too). */
  get totalCount(): number {
    return this._result?.runs ?? 0;
  }

  /** True once a table arrived. */
  get loaded(): boolean {
    return this._table !== null;
  }

  /** True while a request is under way. */
  get loading(): boolean {
    return this._inflight !== null;
  }

  /** The runs root the service reads. */
  get root(): string | null {
    return this._result?.root ?? null;
  }

  /** The last error (a bad filter, the service unreachable), one line; null when fine. */
  get error(): string | null {
    return this._error;
  }

  /** The `--where` expression the runs are filtered with ('' for none). */
  get filter(): string {
    return this._filter;
  }
  set filter(value: string) {
    const text = value.trim();
    if (text === this._filter) {
      return;
    }
    this._filter = text;
    this._stateChanged.emit();
    void this.refresh();
  }

  /** The sort, or null for latest first. */
  get sort(): IRunsSort | null {
    return this._sort;
  }
  set sort(value: IRunsSort | null) {
    if (
      value === this._sort ||
      (value &&
        this._sort &&
        value.column === this._sort.column &&
        value.descending === this._sort.descending)
    ) {
      return;
    }
    this._sort = value;
    this._stateChanged.emit();
    void this.refresh();
  }

  /**
   * The metric column chosen in the settings (`loss` or `#loss`), or '' for the key
   * metric the service picks (the first scalar that is not `sys/*`).
   */
  get metricSetting(): string {
    return this._metricSetting;
  }
  set metricSetting(value: string) {
    const text = value.trim();
    if (text === this._metricSetting) {
      return;
    }
    this._metricSetting = text;
    void this.refresh();
  }

  /** The metric column shown (`#loss`), or null when the runs have no scalars. */
  get metricColumn(): string | null {
    return this._metricColumn;
  }

  /** True when some row is queued, staged or running (its elapsed time ticks). */
  get hasLiveRows(): boolean {
    return this._liveRows > 0;
  }

  /** The run id of `row`. */
  id(row: number): string {
    return Private.text(this._vectors.id, this._tableRow(row));
  }

  /** The status of `row`, or null. */
  status(row: number): RunStatus | null {
    return Private.status(this._vectors.status, this._tableRow(row));
  }

  /** The notebook name of `row`. */
  notebook(row: number): string {
    return Private.text(this._vectors.notebook, this._tableRow(row));
  }

  /** The label of `row` ('' for none). */
  label(row: number): string {
    return Private.text(this._vectors.label, this._tableRow(row));
  }

  /** True when `row` is a sweep's batch run (its trials are listed under it). */
  isBatch(row: number): boolean {
    return Private.text(this._vectors.kind, this._tableRow(row)) === 'batch';
  }

  /** True when `row` expands to runs of its own: a sweep's batch or a pipeline. */
  isGroup(row: number): boolean {
    return Private.isGroup(Private.text(this._vectors.kind, this._tableRow(row)));
  }

  /** 1 for a trial (a step) listed under its batch (its pipeline), else 0. */
  depth(row: number): number {
    return this._depth[row] ?? 0;
  }

  /** The batch `row` is a trial of (the pipeline it is a step of), or null. */
  parent(row: number): string | null {
    return Private.text(this._vectors.parent, this._tableRow(row)) || null;
  }

  /** True when batch (or pipeline) `id` lists its trials (steps) under it. */
  isExpanded(id: string): boolean {
    return this._expanded.has(id);
  }

  /** Shows or hides the trials of batch `id` (the steps of pipeline `id`). */
  setExpanded(id: string, expanded: boolean): void {
    if (expanded === this._expanded.has(id)) {
      return;
    }
    if (expanded) {
      this._expanded.add(id);
    } else {
      this._expanded.delete(id);
    }
    if (this._table) {
      this._layout();
      this._pruneSelection();
      this._changed.emit();
      this._selectionChanged.emit();
    }
  }

  /** Where batch `id` stands (progress, best trial), or null when not known. */
  sweep(id: string): ISweepStatus | null {
    return this._sweeps.get(id) ?? null;
  }

  /** The trial `row` is, with its sweep's status, or null (not a trial, or not known). */
  trial(row: number): { sweep: ISweepStatus; trial: ISweepTrial } | null {
    return this._trials.get(this.id(row)) ?? null;
  }

  /** The ids of the rows shown, in order. */
  get listedIds(): string[] {
    return Array.from({ length: this.rowCount }, (_, row) => this.id(row));
  }

  /** The tags of `row`. */
  tags(row: number): string[] {
    const t = this._tableRow(row);
    const value: unknown = t < 0 ? null : this._vectors.tags?.get(t);
    if (value && typeof value === 'object' && Symbol.iterator in value) {
      return Array.from(value as Iterable<unknown>, String);
    }
    return [];
  }

  /** When `row` started (ms since the epoch), else when it was created, or null. */
  started(row: number): number | null {
    const t = this._tableRow(row);
    return Private.time(this._vectors.started, t) ?? Private.time(this._vectors.created, t);
  }

  /**
   * How long `row` has run, in seconds: up to now for a live run, else as recorded; null
   * when it never started.
   */
  elapsed(row: number, now = Date.now()): number | null {
    const status = this.status(row);
    const t = this._tableRow(row);
    if (status === 'running') {
      const started = Private.time(this._vectors.started, t);
      return started === null ? null : Math.max(0, (now - started) / 1000);
    }
    return Private.number(this._vectors.duration, t);
  }

  /** The metric of `row`, or null. */
  metric(row: number): number | null {
    return Private.number(this._vectors.metric, this._tableRow(row));
  }

  /** The row of run `id`, or -1. */
  rowOf(id: string): number {
    if (this._rowById === null) {
      this._rowById = new Map();
      for (let row = 0; row < this.rowCount; row++) {
        this._rowById.set(this.id(row), row);
      }
    }
    return this._rowById.get(id) ?? -1;
  }

  /** True when `row` is selected (cheap: the grid asks for every cell it paints). */
  isSelected(row: number): boolean {
    if (this._selection.size === 0) {
      return false;
    }
    if (this._selectedRows === null) {
      this._selectedRows = new Set(
        [...this._selection].map(id => this.rowOf(id)).filter(r => r >= 0)
      );
    }
    return this._selectedRows.has(row);
  }

  /** The selected run ids, in row order. */
  get selectedIds(): string[] {
    if (this._selection.size === 0) {
      return [];
    }
    const rows = [...this._selection].map(id => this.rowOf(id)).filter(row => row >= 0);
    return rows.sort((a, b) => a - b).map(row => this.id(row));
  }

  /** Statuses of the selected runs. */
  get selectedStatuses(): RunStatus[] {
    return this.selectedIds
      .map(id => this.status(this.rowOf(id)))
      .filter((s): s is RunStatus => s !== null);
  }

  /** The row of the cursor (keyboard focus), or -1. */
  get cursorRow(): number {
    return this._cursor === null ? -1 : this.rowOf(this._cursor);
  }

  /** The run id under the cursor, or null. */
  get cursorId(): string | null {
    return this._cursor;
  }

  /**
   * Selects with a click on `row`: `replace` (a plain click), `toggle` (ctrl/cmd-click),
   * `range` (shift-click: from the anchor to `row`) or `add-range` (ctrl+shift).
   */
  select(row: number, mode: SelectMode): void {
    if (row < 0 || row >= this.rowCount) {
      return;
    }
    const id = this.id(row);
    switch (mode) {
      case 'replace':
        this._selection = new Set([id]);
        this._anchor = id;
        break;
      case 'toggle':
        if (this._selection.has(id)) {
          this._selection.delete(id);
        } else {
          this._selection.add(id);
        }
        this._anchor = id;
        break;
      case 'range':
      case 'add-range': {
        const anchorRow = this._anchor === null ? -1 : this.rowOf(this._anchor);
        const from = anchorRow < 0 ? row : anchorRow;
        const range = new Set<string>(mode === 'add-range' ? this._selection : []);
        for (let r = Math.min(from, row); r <= Math.max(from, row); r++) {
          range.add(this.id(r));
        }
        this._selection = range;
        if (anchorRow < 0) {
          this._anchor = id;
        }
        break;
      }
    }
    this._cursor = id;
    this._selectedRows = null;
    this._selectionChanged.emit();
  }

  /** Selects every row. */
  selectAll(): void {
    this._selection = new Set(Array.from({ length: this.rowCount }, (_, row) => this.id(row)));
    this._selectedRows = null;
    this._selectionChanged.emit();
  }

  /** Clears the selection (the cursor stays). */
  clearSelection(): void {
    if (this._selection.size === 0) {
      return;
    }
    this._selection.clear();
    this._selectedRows = null;
    this._selectionChanged.emit();
  }

  /**
   * Fetches the runs again with the current filter and sort. Calls made while a request
   * is under way are folded into one more request after it. Never rejects: a failure
   * becomes `error`, and the last table stays.
   */
  refresh(): Promise<void> {
    if (this._inflight) {
      this._again = true;
      return this._inflight;
    }
    this._inflight = this._fetchLoop().finally(() => {
      this._inflight = null;
      if (!this._isDisposed) {
        this._stateChanged.emit();
      }
    });
    this._stateChanged.emit();
    return this._inflight;
  }

  /** Loads Apache Arrow ahead of the first fetch (e.g. when the browser is idle). */
  static preload(): Promise<void> {
    return Private.loadArrow().then(() => undefined);
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._table = null;
    this._vectors = {};
    this._order = [];
    Signal.clearData(this);
  }

  private async _fetchLoop(): Promise<void> {
    do {
      this._again = false;
      await this._fetch();
    } while (this._again && !this._isDisposed);
  }

  private async _fetch(): Promise<void> {
    const params: IListRunsParams = {
      columns: this._metricSetting ? [...PANEL_COLUMNS, this._metricSetting] : PANEL_COLUMNS,
      keyMetric: this._metricSetting === ''
    };
    if (this._filter !== '') {
      params.where = this._filter;
    }
    if (this._sort) {
      params.sort = `${this._sort.descending ? '-' : ''}${this._sort.column}`;
    }
    let error: string | null = null;
    try {
      performance.mark(RUNS_MODEL_MARKS.request);
      const [reply, arrow] = await Promise.all([
        this._service.request('listRuns', params).then(reply => {
          performance.mark(RUNS_MODEL_MARKS.reply);
          return reply;
        }),
        Private.loadArrow()
      ]);
      if (this._isDisposed) {
        return;
      }
      const buffer = reply.buffers[0];
      if (!buffer) {
        throw new Error('the nbx service sent no runs table');
      }
      const table = arrow.tableFromIPC(
        new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
      );
      performance.mark(RUNS_MODEL_MARKS.decoded);
      if (reply.result.format !== 'arrow') {
        throw new Error('the nbx service sent no runs table');
      }
      const sweeps = await this._fetchSweeps(table);
      if (this._isDisposed) {
        return;
      }
      this._setTable(table, reply.result, sweeps);
    } catch (err) {
      error = errorMessage(err);
    }
    if (this._isDisposed) {
      return;
    }
    if (error !== this._error) {
      this._error = error;
      this._stateChanged.emit();
    }
  }

  /**
   * The status of every batch in `table` (one request; none when it has no batch). A
   * failure leaves the batches without progress rather than the panel without runs.
   */
  private async _fetchSweeps(table: Table): Promise<Map<string, ISweepStatus>> {
    const sweeps = new Map<string, ISweepStatus>();
    const kind = table.getChild('kind');
    const id = table.getChild('id');
    const ids: string[] = [];
    for (let row = 0; kind && id && row < table.numRows; row++) {
      if (kind.get(row) === 'batch') {
        ids.push(String(id.get(row)));
      }
    }
    if (ids.length === 0) {
      return sweeps;
    }
    try {
      const reply = await this._service.request('sweepStatus', { ids });
      for (const sweep of reply.result.sweeps) {
        sweeps.set(sweep.id, sweep);
      }
    } catch {
      // Shown without progress; the next fetch asks again.
    }
    return sweeps;
  }

  private _setTable(
    table: Table,
    result: IListRunsArrowResult,
    sweeps: Map<string, ISweepStatus>
  ): void {
    const metric = this._metricSetting
      ? Private.metricName(this._metricSetting, table)
      : result.keyMetric;
    this._table = table;
    this._result = result;
    this._metricColumn = metric && table.getChild(metric) ? metric : null;
    this._vectors = {
      id: table.getChild('id'),
      notebook: table.getChild('notebook'),
      status: table.getChild('status'),
      label: table.getChild('label'),
      tags: table.getChild('tags'),
      created: table.getChild('created'),
      started: table.getChild('started'),
      duration: table.getChild('duration'),
      kind: table.getChild('kind'),
      parent: table.getChild('parent'),
      metric: this._metricColumn ? table.getChild(this._metricColumn) : null
    };
    this._sweeps = sweeps;
    this._trials = new Map();
    for (const sweep of sweeps.values()) {
      for (const trial of sweep.trials) {
        this._trials.set(trial.id, { sweep, trial });
      }
    }
    this._liveRows = 0;
    for (let row = 0; row < table.numRows; row++) {
      if (isLive(Private.status(this._vectors.status, row))) {
        this._liveRows++;
      }
    }
    this._layout();
    const pruned = this._pruneSelection();
    this._changed.emit();
    if (pruned) {
      this._selectionChanged.emit();
    }
  }

  /**
   * Orders the rows shown: the table's rows in its order, each trial of a batch (step of
   * a pipeline) in the table moved under its batch (in the table's order too), and shown
   * only when that batch is expanded. A trial whose batch is filtered out is listed on
   * its own.
   */
  private _layout(): void {
    const table = this._table;
    const count = table?.numRows ?? 0;
    const id = this._vectors.id;
    const parent = this._vectors.parent;
    const rowOfBatch = new Map<string, number>();
    for (let row = 0; row < count; row++) {
      if (Private.isGroup(Private.text(this._vectors.kind, row))) {
        rowOfBatch.set(Private.text(id, row), row);
      }
    }
    const trials = new Map<string, number[]>();
    const top: number[] = [];
    for (let row = 0; row < count; row++) {
      const batch = Private.text(parent, row);
      if (batch !== '' && rowOfBatch.has(batch)) {
        const list = trials.get(batch);
        if (list) {
          list.push(row);
        } else {
          trials.set(batch, [row]);
        }
      } else {
        top.push(row);
      }
    }
    const order: number[] = [];
    const depth: number[] = [];
    for (const row of top) {
      order.push(row);
      depth.push(0);
      const batchId = Private.text(id, row);
      if (this._expanded.has(batchId) && rowOfBatch.get(batchId) === row) {
        for (const trial of trials.get(batchId) ?? []) {
          order.push(trial);
          depth.push(1);
        }
      }
    }
    this._order = order;
    this._depth = depth;
    this._rowById = null;
    this._selectedRows = null;
  }

  /** Drops from the selection and the cursor the runs no longer shown; true if any. */
  private _pruneSelection(): boolean {
    let pruned = false;
    for (const id of this._selection) {
      if (this.rowOf(id) < 0) {
        this._selection.delete(id);
        pruned = true;
      }
    }
    if (this._cursor !== null && this.rowOf(this._cursor) < 0) {
      this._cursor = null;
      pruned = true;
    }
    if (pruned) {
      this._selectedRows = null;
    }
    return pruned;
  }

  /** The table row of shown row `row`, or -1. */
  private _tableRow(row: number): number {
    return this._order[row] ?? -1;
  }

  private readonly _service: INbxService;
  private _table: Table | null = null;
  private _result: IListRunsArrowResult | null = null;
  private _vectors: Private.IVectors = {};
  private _rowById: Map<string, number> | null = null;
  private _order: number[] = [];
  private _depth: number[] = [];
  private _expanded = new Set<string>();
  private _sweeps = new Map<string, ISweepStatus>();
  private _trials = new Map<string, { sweep: ISweepStatus; trial: ISweepTrial }>();
  private _liveRows = 0;
  private _metricColumn: string | null = null;
  private _metricSetting: string;
  private _filter = '';
  private _sort: IRunsSort | null = null;
  private _error: string | null = null;
  private _selection = new Set<string>();
  private _selectedRows: Set<number> | null = null;
  private _anchor: string | null = null;
  private _cursor: string | null = null;
  private _inflight: Promise<void> | null = null;
  private _again = false;
  private _isDisposed = false;
  private _changed = new Signal<this, void>(this);
  private _selectionChanged = new Signal<this, void>(this);
  private _stateChanged = new Signal<this, void>(this);
}

/** The statics of `RunsModel`. */
export namespace RunsModel {
  export interface IOptions {
    /** The connection to the service kernel. */
    service: INbxService;
    /** The metric column from the settings ('' or absent: the key metric). */
    metric?: string;
  }
}

namespace Private {
  /** The vectors the panel reads, by role. */
  export interface IVectors {
    id?: Vector | null;
    notebook?: Vector | null;
    status?: Vector | null;
    label?: Vector | null;
    tags?: Vector | null;
    created?: Vector | null;
    started?: Vector | null;
    duration?: Vector | null;
    kind?: Vector | null;
    parent?: Vector | null;
    metric?: Vector | null;
  }

  type ArrowModule = typeof import('apache-arrow');

  let arrowModule: Promise<ArrowModule> | null = null;

  /** Apache Arrow, loaded on first use (it is not needed until the panel shows runs). */
  export function loadArrow(): Promise<ArrowModule> {
    if (!arrowModule) {
      arrowModule = import('apache-arrow');
    }
    return arrowModule;
  }

  /** The cell of table row `row` (-1: none). */
  function cell(vector: Vector | null | undefined, row: number): unknown {
    return row < 0 ? null : vector?.get(row);
  }

  /** A text cell ('' for null). */
  /** True for the kinds of runs that list runs under them (`kind` column). */
  export function isGroup(kind: string): boolean {
    return kind === 'batch' || kind === 'pipeline';
  }

  export function text(vector: Vector | null | undefined, row: number): string {
    const value = cell(vector, row);
    return value === null || value === undefined ? '' : String(value);
  }

  /** A status cell, or null. */
  export function status(vector: Vector | null | undefined, row: number): RunStatus | null {
    const value = cell(vector, row);
    return isRunStatus(value) ? value : null;
  }

  /** A number cell (null for null, NaN or a missing column). */
  export function number(vector: Vector | null | undefined, row: number): number | null {
    const value = cell(vector, row);
    if (typeof value === 'number') {
      return Number.isNaN(value) ? null : value;
    }
    return typeof value === 'bigint' ? Number(value) : null;
  }

  /** A time cell as ms since the epoch (Arrow gives numbers; older versions Dates). */
  export function time(vector: Vector | null | undefined, row: number): number | null {
    const value = cell(vector, row);
    if (value instanceof Date) {
      return value.getTime();
    }
    return number(vector, row);
  }

  /** The column a settings metric name (`loss`, `#loss`, `loss:max`) refers to in `table`. */
  export function metricName(setting: string, table: Table): string | null {
    const candidates = setting.startsWith('#') ? [setting] : [`#${setting}`, setting];
    return candidates.find(name => table.getChild(name) !== null) ?? null;
  }
}
