/**
 * The state of the Runs panel, without DOM: the runs table (Apache Arrow, as the service
 * sends it) with the filter and sort that produced it, the selection (by run id, so it
 * survives re-fetches) and the last error.
 *
 * The model holds every run of the root (the panel's columns, latest first) and filters
 * and sorts them itself, with the engine's `--where`/`--sort` evaluator (see query.ts):
 * a new filter or sort costs no request, unless it names a column the panel does not hold
 * (a flag, another scalar), which is then listed once with the others.
 *
 * Live updates cost what changed: a `runs-changed` push of the panel's root fetches only
 * the rows of the runs it names (`listRuns` with `ids`, a small Arrow batch) and patches
 * them in (a patched or new run takes its place under the filter and sort at once; new
 * runs go in latest first otherwise; removed ones go); the whole table is listed again
 * only when the index's columns changed (a new flag or scalar key).
 *
 * Sweeps and pipelines: a batch's trials (a pipeline's steps) are listed under its row,
 * hidden until it is expanded (rows are the visible ones: the model maps each to its
 * slot, a row of the table or one patched in), and each batch listed carries its status
 * from the service (progress, best trial by its objective).
 */
import type { IDisposable } from '@lumino/disposable';
import { Signal, type ISignal } from '@lumino/signaling';
import type { Table, Vector } from 'apache-arrow';
import type { INbxService, IRunsChanged } from '../tokens';
import type { RunStatus } from '../../kernel/src/contract/run';
import type {
  IListRunsArrowResult,
  IListRunsParams,
  ISweepStatus,
  ISweepTrial
} from '../../kernel/src/contract/service';
import { isLive, isRunStatus } from '../run-status';
import { errorMessage } from '../errors';
import { applyView, compileView, SlotTable, type IRunsView } from './query';

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
  'parent',
  'slurm'
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

  /** Emitted when a new table arrived or rows were patched (rows or values may differ). */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * Emitted when the values of rows changed, with those rows (ascending); no row moved
   * (`changed` tells when they may have).
   */
  get rowsPatched(): ISignal<this, number[]> {
    return this._rowsPatched;
  }

  /** Emitted right before the rows change (a view notes the run it shows at the top). */
  get aboutToChange(): ISignal<this, void> {
    return this._aboutToChange;
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
    return this._listed.length;
  }

  /** True once a table arrived. */
  get loaded(): boolean {
    return this._table !== null;
  }

  /**
   * Bytes of the runs tables received so far, listings and patches (what the panel costs
   * while runs change; the lab benchmark reads it).
   */
  get receivedBytes(): number {
    return this._receivedBytes;
  }

  /** True while the whole table is being listed (never for a filter or sort alone). */
  get loading(): boolean {
    return this._loading;
  }

  /** The runs root the service reads. */
  get root(): string | null {
    return this._result?.root ?? null;
  }

  /** The last error (a bad filter, the service unreachable), one line; null when fine. */
  get error(): string | null {
    return this._queryError ?? this._listError;
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
    this._requery();
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
    this._requery();
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
    return this._fixed('id', this._slot(row));
  }

  /** The status of `row`, or null. */
  status(row: number): RunStatus | null {
    return Private.status(this._cell('status', this._slot(row)));
  }

  /** The notebook name of `row`. */
  notebook(row: number): string {
    return Private.text(this._cell('notebook', this._slot(row)));
  }

  /** The label of `row` ('' for none). */
  label(row: number): string {
    return Private.text(this._cell('label', this._slot(row)));
  }

  /** True when `row` is a sweep's batch run (its trials are listed under it). */
  isBatch(row: number): boolean {
    return this._fixed('kind', this._slot(row)) === 'batch';
  }

  /** True when `row` expands to runs of its own: a sweep's batch or a pipeline. */
  isGroup(row: number): boolean {
    return Private.isGroup(this._fixed('kind', this._slot(row)));
  }

  /** 1 for a trial (a step) listed under its batch (its pipeline), else 0. */
  depth(row: number): number {
    return this._depth[row] ?? 0;
  }

  /** The batch `row` is a trial of (the pipeline it is a step of), or null. */
  parent(row: number): string | null {
    return this._fixed('parent', this._slot(row)) || null;
  }

  /** The Slurm job of `row` as one line (`4242 · gpu · node01`), '' for a run here. */
  slurm(row: number): string {
    return Private.text(this._cell('slurm', this._slot(row)));
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
      this._aboutToChange.emit();
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
    const value = this._cell('tags', this._slot(row));
    if (value && typeof value === 'object' && Symbol.iterator in value) {
      return Array.from(value as Iterable<unknown>, String);
    }
    return [];
  }

  /** When `row` started (ms since the epoch), else when it was created, or null. */
  started(row: number): number | null {
    const slot = this._slot(row);
    return Private.time(this._cell('started', slot)) ?? Private.time(this._cell('created', slot));
  }

  /**
   * How long `row` has run, in seconds: up to now for a live run, else as recorded; null
   * when it never started.
   */
  elapsed(row: number, now = Date.now()): number | null {
    const status = this.status(row);
    const slot = this._slot(row);
    if (status === 'running') {
      const started = Private.time(this._cell('started', slot));
      return started === null ? null : Math.max(0, (now - started) / 1000);
    }
    return Private.number(this._cell('duration', slot));
  }

  /** The metric of `row`, or null. */
  metric(row: number): number | null {
    return Private.number(this._cell('metric', this._slot(row)));
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
    this._wantFull = true;
    return this._work();
  }

  /** True when `change` is about the runs root listed (or nothing is listed yet). */
  concerns(change: IRunsChanged): boolean {
    return this.root === null || change.root === this.root;
  }

  /**
   * Patches the rows of the runs a `runs-changed` push names: fetches theirs alone and
   * puts them in place (see the module comment); pushes about other roots are ignored.
   * Never rejects: when a patch cannot be made, the whole table is listed again.
   */
  update(change: IRunsChanged): Promise<void> {
    if (!this.concerns(change) || change.ids.length === 0) {
      return this._inflight ?? Promise.resolve();
    }
    this._changes.push(change);
    return this._work();
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
    this._patches.clear();
    this._listed = [];
    this._shown = [];
    this._query = null;
    this._order = [];
    this._changes = [];
    Signal.clearData(this);
  }

  /** Runs what is asked (a listing, patches) one request at a time; the one promise. */
  private _work(): Promise<void> {
    this._inflight ??= this._workLoop().finally(() => {
      this._inflight = null;
    });
    return this._inflight;
  }

  private async _workLoop(): Promise<void> {
    while (!this._isDisposed) {
      if (this._wantFull) {
        this._wantFull = false;
        // The listing holds every change pushed before it was asked for.
        this._changes = [];
        this._loading = true;
        this._stateChanged.emit();
        await this._fetch();
        this._loading = false;
        if (!this._isDisposed) {
          this._stateChanged.emit();
        }
      } else if (this._changes.length > 0) {
        await this._patch(this._changes.splice(0));
      } else {
        break;
      }
    }
  }

  /**
   * The params of a listing of every run: the panel's columns and those its filter and
   * sort asked for (it filters and sorts them itself).
   */
  private _listParams(): IListRunsParams {
    const columns = this._metricSetting ? [...PANEL_COLUMNS, this._metricSetting] : PANEL_COLUMNS;
    return {
      columns: this._extraColumns.size > 0 ? [...columns, ...this._extraColumns] : columns,
      keyMetric: this._metricSetting === ''
    };
  }

  /** The `--sort` spec of the sort ('' for none). */
  private _sortSpec(): string {
    return this._sort ? `${this._sort.descending ? '-' : ''}${this._sort.column}` : '';
  }

  /**
   * Applies a new filter or sort to the runs held: at once, or after listing the columns
   * they name that the panel lacks; a bad one keeps the rows shown and sets `error`.
   */
  private _requery(): void {
    if (this._table === null || this._query === null) {
      // The first listing applies them.
      return;
    }
    if (!this._compile()) {
      this._stateChanged.emit();
      return;
    }
    this._aboutToChange.emit();
    // The same runs, shown otherwise.
    this._afterRowsChanged(false);
    this._stateChanged.emit();
  }

  /**
   * Compiles the filter and sort into `_view`; false when they cannot apply to the runs
   * held: a bad one (`_queryError` says why) or one naming columns not held (a listing
   * with them is asked for).
   */
  private _compile(): boolean {
    const query = this._query;
    const table = this._table;
    if (query === null || table === null) {
      return false;
    }
    const compiled = compileView(
      query,
      this._filter,
      this._sortSpec(),
      column => table.getChild(column) !== null
    );
    if ('view' in compiled) {
      this._view = compiled.view;
      this._queryError = null;
      return true;
    }
    if ('error' in compiled) {
      this._queryError = compiled.error;
      return false;
    }
    const asked = compiled.missing.filter(column => !this._extraColumns.has(column));
    if (asked.length === 0) {
      // Listed with them already, and still not there: the index lost them meanwhile.
      this._queryError = `the runs have no column ${compiled.missing.join(', ')}`;
      return false;
    }
    for (const column of asked) {
      this._extraColumns.add(column);
    }
    void this.refresh();
    return false;
  }

  private async _fetch(): Promise<void> {
    const params = this._listParams();
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
      this._receivedBytes += buffer.byteLength;
      const table = arrow.tableFromIPC(
        new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
      );
      performance.mark(RUNS_MODEL_MARKS.decoded);
      if (reply.result.format !== 'arrow') {
        throw new Error('the nbx service sent no runs table');
      }
      const sweeps = await this._fetchSweeps(Private.batchIds(table));
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
    if (error !== this._listError) {
      this._listError = error;
      this._stateChanged.emit();
    }
  }

  /**
   * The rows of the runs `changes` name, fetched alone and patched in: see the module
   * comment. Whatever makes a patch impossible (the columns changed, a new run under a
   * sort, a failed request) asks for the whole table instead.
   */
  private async _patch(changes: IRunsChanged[]): Promise<void> {
    const mine = changes.filter(change => change.root === this.root);
    const current = this._result;
    if (mine.length === 0 || current === null || this._table === null) {
      return;
    }
    if (this._listError !== null) {
      // The last listing failed (the service away): list again.
      this._wantFull = true;
      return;
    }
    const removed = new Set(mine.flatMap(change => change.removed));
    const ids = [...new Set(mine.flatMap(change => change.ids))].filter(id => !removed.has(id));
    let batch: Table | null = null;
    if (ids.length > 0) {
      // A directory that is not (yet) a run — the service's standby reservation, a run
      // being created — is left out of the reply, not a reason to list the whole table.
      const params = { ...this._listParams(), ids, skipMissing: true };
      try {
        const [reply, arrow] = await Promise.all([
          this._service.request('listRuns', params),
          Private.loadArrow()
        ]);
        const buffer = reply.buffers[0];
        this._receivedBytes += buffer?.byteLength ?? 0;
        if (this._isDisposed || !buffer || reply.result.format !== 'arrow') {
          this._wantFull = true;
          return;
        }
        if (!Private.sameColumns(current, reply.result)) {
          this._wantFull = true;
          return;
        }
        batch = arrow.tableFromIPC(
          new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
        );
      } catch {
        // E.g. a run named was removed meanwhile: the whole table says what is left.
        this._wantFull = true;
        return;
      }
    }
    const vectors = batch ? Private.vectorsOf(batch, this._metricColumn) : {};
    const rowsById = new Map<string, number>();
    for (let row = 0; batch && row < batch.numRows; row++) {
      rowsById.set(Private.text(vectors.id?.get(row)), row);
    }
    const slots = this._slotsById();
    const added = [...rowsById.keys()].filter(id => !slots.has(id));
    const sweepIds = new Set<string>();
    for (const [id, row] of rowsById) {
      if (Private.text(vectors.kind?.get(row)) === 'batch') {
        sweepIds.add(id);
      }
      const parent = Private.text(vectors.parent?.get(row));
      if (parent !== '') {
        sweepIds.add(parent);
      }
    }
    const sweeps = await this._fetchSweeps([...sweepIds]);
    if (this._isDisposed) {
      return;
    }
    const gone = new Set<number>();
    const patched = new Map<number, number>();
    for (const id of [...ids, ...removed]) {
      const slot = slots.get(id);
      const row = rowsById.get(id);
      if (slot !== undefined) {
        // Not in the batch: removed.
        if (row === undefined) {
          gone.add(slot);
        } else {
          patched.set(slot, row);
        }
      }
    }
    if (gone.size === 0 && added.length === 0 && sweeps.size === 0 && batch !== null) {
      // Values only: the rows stay as they are unless the filter or sort moves them.
      this._patchValues(patched, batch, vectors);
      return;
    }
    this._aboutToChange.emit();
    for (const slot of gone) {
      this._patches.delete(slot);
    }
    let listed = gone.size > 0 ? this._listed.filter(slot => !gone.has(slot)) : this._listed;
    if (batch !== null) {
      for (const [slot, row] of patched) {
        this._patches.set(slot, { table: batch, vectors, row });
      }
      for (const id of added) {
        const slot = this._nextSlot++;
        this._patches.set(slot, { table: batch, vectors, row: rowsById.get(id) ?? -1 });
        listed = this._insertLatestFirst(listed, slot);
      }
    }
    this._listed = listed;
    this._slotById = null;
    if (sweeps.size > 0) {
      for (const sweep of sweeps.values()) {
        this._sweeps.set(sweep.id, sweep);
      }
      this._indexTrials();
    }
    this._afterRowsChanged();
  }

  /**
   * Patches the values of listed runs (slot to its row in `batch`): costs what changed,
   * not what is listed, unless the filter or sort moves a row (then every row may have).
   */
  private _patchValues(
    patched: Map<number, number>,
    batch: Table,
    vectors: Private.IVectors
  ): void {
    for (const [slot, row] of patched) {
      const wasLive = isLive(Private.status(this._cell('status', slot)));
      this._patches.set(slot, { table: batch, vectors, row });
      const live = isLive(Private.status(this._cell('status', slot)));
      this._liveRows += Number(live) - Number(wasLive);
    }
    if (this._query !== null && (this._view.where !== null || this._view.sort.length > 0)) {
      const shown = applyView(this._query, this._view, this._listed);
      if (!Private.sameOrder(shown, this._shown)) {
        this._aboutToChange.emit();
        this._shown = shown;
        this._layout();
        const pruned = this._pruneSelection();
        this._changed.emit();
        if (pruned) {
          this._selectionChanged.emit();
        }
        return;
      }
    }
    const rows: number[] = [];
    for (const slot of patched.keys()) {
      const shown = this.rowOf(this._fixed('id', slot));
      if (shown >= 0) {
        rows.push(shown);
      }
    }
    this._rowsPatched.emit(rows.sort((a, b) => a - b));
  }

  /** `listed` with `slot` put before the first run created before it (latest first). */
  private _insertLatestFirst(listed: number[], slot: number): number[] {
    const created = Private.time(this._cell('created', slot)) ?? Infinity;
    let at = 0;
    while (at < listed.length && (Private.time(this._cell('created', listed[at])) ?? 0) > created) {
      at++;
    }
    return [...listed.slice(0, at), slot, ...listed.slice(at)];
  }

  /** Slots of the listed runs by id. */
  private _slotsById(): Map<string, number> {
    if (this._slotById === null) {
      this._slotById = new Map();
      for (const slot of this._listed) {
        this._slotById.set(this._fixed('id', slot), slot);
      }
    }
    return this._slotById;
  }

  /**
   * The status of batches `ids` (one request; none without ids). A failure leaves the
   * batches without progress rather than the panel without runs.
   */
  private async _fetchSweeps(ids: string[]): Promise<Map<string, ISweepStatus>> {
    const sweeps = new Map<string, ISweepStatus>();
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
    this._aboutToChange.emit();
    this._table = table;
    this._result = result;
    this._metricColumn = metric && table.getChild(metric) ? metric : null;
    this._vectors = Private.vectorsOf(table, this._metricColumn);
    this._patches.clear();
    this._fixedCells = { id: [], kind: [], parent: [] };
    this._listed = Array.from({ length: table.numRows }, (_, row) => row);
    this._nextSlot = table.numRows;
    this._slotById = null;
    this._sweeps = sweeps;
    this._indexTrials();
    this._query = new SlotTable(result.columns, (column, slot) => this._cellOf(column, slot));
    // A bad filter or sort keeps the last good one; one naming new columns lists again.
    this._compile();
    this._afterRowsChanged();
  }

  /** Maps each trial of a known sweep to it. */
  private _indexTrials(): void {
    this._trials = new Map();
    for (const sweep of this._sweeps.values()) {
      for (const trial of sweep.trials) {
        this._trials.set(trial.id, { sweep, trial });
      }
    }
  }

  /**
   * Counts the live runs (when `runsChanged`), filters and sorts them, lays the rows out,
   * drops what left the selection; tells.
   */
  private _afterRowsChanged(runsChanged = true): void {
    if (runsChanged) {
      this._liveRows = 0;
      for (const slot of this._listed) {
        if (isLive(Private.status(this._cell('status', slot)))) {
          this._liveRows++;
        }
      }
    }
    this._shown =
      this._query === null ? this._listed : applyView(this._query, this._view, this._listed);
    this._layout();
    const pruned = this._pruneSelection();
    this._changed.emit();
    if (pruned) {
      this._selectionChanged.emit();
    }
  }

  /**
   * Orders the rows shown: the runs the filter keeps in the sort's order, each trial of a
   * batch (step of a pipeline) moved under its batch (in that order too), and shown only
   * when that batch is expanded. A trial whose batch is filtered out is listed on its own.
   */
  private _layout(): void {
    const rowOfBatch = new Map<string, number>();
    for (const row of this._shown) {
      if (Private.isGroup(this._fixed('kind', row))) {
        rowOfBatch.set(this._fixed('id', row), row);
      }
    }
    const trials = new Map<string, number[]>();
    const top: number[] = [];
    for (const row of this._shown) {
      const batch = this._fixed('parent', row);
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
      const batchId = this._fixed('id', row);
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

  /** The slot of shown row `row`, or -1. */
  private _slot(row: number): number {
    return this._order[row] ?? -1;
  }

  /**
   * The cell of a slot (-1: none): its patched row when it has one, else its row of the
   * table. A slot is a table row, or past the table's end, a run added by a patch.
   */
  private _cell(role: keyof Private.IVectors, slot: number): unknown {
    if (slot < 0) {
      return null;
    }
    const patch = this._patches.size > 0 ? this._patches.get(slot) : undefined;
    return patch ? patch.vectors[role]?.get(patch.row) : this._vectors[role]?.get(slot);
  }

  /**
   * The id, kind or parent of a slot ('' for none): what never changes for a run, read
   * once (the layout reads them for every run at each change).
   */
  private _fixed(role: 'id' | 'kind' | 'parent', slot: number): string {
    const cache = this._fixedCells[role];
    let value = cache[slot];
    if (value === undefined) {
      value = Private.text(this._cell(role, slot));
      if (slot >= 0) {
        cache[slot] = value;
      }
    }
    return value;
  }

  /** The cell of column `column` of a slot, as `_cell` (undefined: a column not held). */
  private _cellOf(column: string, slot: number): unknown {
    const patch = this._patches.size > 0 ? this._patches.get(slot) : undefined;
    const table = patch ? patch.table : this._table;
    return table ? Private.child(table, column)?.get(patch ? patch.row : slot) : undefined;
  }

  private readonly _service: INbxService;
  private _table: Table | null = null;
  private _result: IListRunsArrowResult | null = null;
  private _vectors: Private.IVectors = {};
  /** Rows patched in, by slot: the batch, its vectors by role, and the row in it. */
  private _patches = new Map<number, { table: Table; vectors: Private.IVectors; row: number }>();
  /** The slots of the runs listed, in the listing's order (trials included). */
  private _listed: number[] = [];
  /** Ids, kinds and parents of slots, as read (see `_fixed`). */
  private _fixedCells: Record<'id' | 'kind' | 'parent', string[]> = {
    id: [],
    kind: [],
    parent: []
  };
  /** The slots of `_listed` the filter keeps, in the sort's order. */
  private _shown: number[] = [];
  /** The runs held, as the filter and sort read them (once listed). */
  private _query: SlotTable | null = null;
  /** The filter and sort, compiled. */
  private _view: IRunsView = { where: null, sort: [] };
  /** Columns listed for the filter and sort besides the panel's. */
  private _extraColumns = new Set<string>();
  private _nextSlot = 0;
  private _slotById: Map<string, number> | null = null;
  private _rowById: Map<string, number> | null = null;
  /** The slots of the rows shown, in order. */
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
  /** What is wrong with the filter or sort. */
  private _queryError: string | null = null;
  /** Why the last listing failed. */
  private _listError: string | null = null;
  private _selection = new Set<string>();
  private _selectedRows: Set<number> | null = null;
  private _anchor: string | null = null;
  private _cursor: string | null = null;
  private _inflight: Promise<void> | null = null;
  private _wantFull = false;
  private _changes: IRunsChanged[] = [];
  private _loading = false;
  private _receivedBytes = 0;
  private _isDisposed = false;
  private _changed = new Signal<this, void>(this);
  private _aboutToChange = new Signal<this, void>(this);
  private _rowsPatched = new Signal<this, number[]>(this);
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
    slurm?: Vector | null;
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

  /** The vectors of `table` the panel reads. */
  export function vectorsOf(table: Table, metric: string | null): IVectors {
    return {
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
      slurm: table.getChild('slurm'),
      metric: metric ? table.getChild(metric) : null
    };
  }

  const children = new WeakMap<Table, Map<string, Vector | null>>();

  /** Column `name` of `table`, or null (looked up once per table). */
  export function child(table: Table, name: string): Vector | null {
    let byName = children.get(table);
    if (!byName) {
      byName = new Map();
      children.set(table, byName);
    }
    let vector = byName.get(name);
    if (vector === undefined) {
      vector = table.getChild(name);
      byName.set(name, vector);
    }
    return vector;
  }

  /** True when two orders of slots are the same. */
  export function sameOrder(a: readonly number[], b: readonly number[]): boolean {
    return a.length === b.length && a.every((slot, i) => slot === b[i]);
  }

  /** The ids of the batch runs in `table`. */
  export function batchIds(table: Table): string[] {
    const kind = table.getChild('kind');
    const id = table.getChild('id');
    const ids: string[] = [];
    for (let row = 0; kind && id && row < table.numRows; row++) {
      if (kind.get(row) === 'batch') {
        ids.push(String(id.get(row)));
      }
    }
    return ids;
  }

  /**
   * True when two listings have the same columns of the index and key metric (else a new
   * flag or scalar key appeared, or one went: the table is listed again).
   */
  export function sameColumns(a: IListRunsArrowResult, b: IListRunsArrowResult): boolean {
    return (
      a.keyMetric === b.keyMetric &&
      a.columns.length === b.columns.length &&
      a.columns.every((column, i) => column.name === b.columns[i].name)
    );
  }

  /** A text cell ('' for null). */
  export function text(value: unknown): string {
    return value === null || value === undefined ? '' : String(value);
  }

  /** True for the kinds of runs that list runs under them (`kind` column). */
  export function isGroup(kind: string): boolean {
    return kind === 'batch' || kind === 'pipeline';
  }

  /** A status cell, or null. */
  export function status(value: unknown): RunStatus | null {
    return isRunStatus(value) ? value : null;
  }

  /** A number cell (null for null, NaN or a missing column). */
  export function number(value: unknown): number | null {
    if (typeof value === 'number') {
      return Number.isNaN(value) ? null : value;
    }
    return typeof value === 'bigint' ? Number(value) : null;
  }

  /** A time cell as ms since the epoch (Arrow gives numbers; older versions Dates). */
  export function time(value: unknown): number | null {
    if (value instanceof Date) {
      return value.getTime();
    }
    return number(value);
  }

  /** The column a settings metric name (`loss`, `#loss`, `loss:max`) refers to in `table`. */
  export function metricName(setting: string, table: Table): string | null {
    const candidates = setting.startsWith('#') ? [setting] : [`#${setting}`, setting];
    return candidates.find(name => table.getChild(name) !== null) ?? null;
  }
}
