/**
 * The state of the Runs panel, without DOM: the runs table (Apache Arrow, as the service
 * sends it) with the filter and sort that produced it, the selection (by run id, so it
 * survives re-fetches) and the last error.
 */
import type { IDisposable } from '@lumino/disposable';
import { Signal, type ISignal } from '@lumino/signaling';
import type { Table, Vector } from 'apache-arrow';
import type { INbxService } from '../tokens';
import type { RunStatus } from '../../kernel/src/contract/run';
import type { IListRunsArrowResult, IListRunsParams } from '../../kernel/src/contract/service';
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
  'duration'
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

  /** Rows in the table. */
  get rowCount(): number {
    return this._table?.numRows ?? 0;
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
    return String(this._vectors.id?.get(row) ?? '');
  }

  /** The status of `row`, or null. */
  status(row: number): RunStatus | null {
    const value: unknown = this._vectors.status?.get(row);
    return isRunStatus(value) ? value : null;
  }

  /** The notebook name of `row`. */
  notebook(row: number): string {
    return Private.text(this._vectors.notebook, row);
  }

  /** The label of `row` ('' for none). */
  label(row: number): string {
    return Private.text(this._vectors.label, row);
  }

  /** The tags of `row`. */
  tags(row: number): string[] {
    const value: unknown = this._vectors.tags?.get(row);
    if (value && typeof value === 'object' && Symbol.iterator in value) {
      return Array.from(value as Iterable<unknown>, String);
    }
    return [];
  }

  /** When `row` started (ms since the epoch), else when it was created, or null. */
  started(row: number): number | null {
    return Private.time(this._vectors.started, row) ?? Private.time(this._vectors.created, row);
  }

  /**
   * How long `row` has run, in seconds: up to now for a live run, else as recorded; null
   * when it never started.
   */
  elapsed(row: number, now = Date.now()): number | null {
    const status = this.status(row);
    if (status === 'running') {
      const started = Private.time(this._vectors.started, row);
      return started === null ? null : Math.max(0, (now - started) / 1000);
    }
    return Private.number(this._vectors.duration, row);
  }

  /** The metric of `row`, or null. */
  metric(row: number): number | null {
    return Private.number(this._vectors.metric, row);
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
      this._setTable(table, reply.result);
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

  private _setTable(table: Table, result: IListRunsArrowResult): void {
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
      metric: this._metricColumn ? table.getChild(this._metricColumn) : null
    };
    this._rowById = null;
    this._selectedRows = null;
    this._liveRows = 0;
    for (let row = 0; row < table.numRows; row++) {
      if (isLive(this.status(row))) {
        this._liveRows++;
      }
    }
    // Runs gone from the table (deleted, filtered out) leave the selection.
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
    this._changed.emit();
    if (pruned) {
      this._selectionChanged.emit();
    }
  }

  private readonly _service: INbxService;
  private _table: Table | null = null;
  private _result: IListRunsArrowResult | null = null;
  private _vectors: Private.IVectors = {};
  private _rowById: Map<string, number> | null = null;
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

  /** A text cell ('' for null). */
  export function text(vector: Vector | null | undefined, row: number): string {
    const value: unknown = vector?.get(row);
    return value === null || value === undefined ? '' : String(value);
  }

  /** A number cell (null for null, NaN or a missing column). */
  export function number(vector: Vector | null | undefined, row: number): number | null {
    const value: unknown = vector?.get(row);
    if (typeof value === 'number') {
      return Number.isNaN(value) ? null : value;
    }
    return typeof value === 'bigint' ? Number(value) : null;
  }

  /** A time cell as ms since the epoch (Arrow gives numbers; older versions Dates). */
  export function time(vector: Vector | null | undefined, row: number): number | null {
    const value: unknown = vector?.get(row);
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
