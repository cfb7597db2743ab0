/**
 * The state of a run view, without DOM: the run's record, its notebook (executed, or the
 * snapshot as launched) and the tail of its output, fetched from the service (for a sweep's
 * batch run: where the sweep stands, its trials and the best one; for a pipeline or a run
 * with dependencies: the records of the runs its graph shows); what the view derives from
 * them (duration, the cell executing now, the scalars in order); and the actions on the
 * run (stop, restart).
 *
 * The executed notebook and output of a live run are not fetched again and again: the
 * model watches the run (`watchRun`), which answers them as they are, and applies what the
 * service pushes (`run-output`) as the run prints, telling the view cell by cell
 * (`outputChanged`). A run that ends is fetched whole once more.
 */
import type * as nbformat from '@jupyterlab/nbformat';
import type { IDisposable } from '@lumino/disposable';
import { Signal, type ISignal } from '@lumino/signaling';
import type { IScalarSummary, RunMeta } from '../../kernel/src/contract/run';
import type {
  ILogTail,
  IRunOutputEvent,
  ISweepStatus,
  IWatchRunResult
} from '../../kernel/src/contract/service';
import { isLive } from '../run-status';
import type { INbxService } from '../tokens';
import { relatedIds, runGraph, type IRunGraph } from './graph';
import { applyCellUpdate, applyLogChange, type ILiveCellChange } from './live-output';
import { viewableNotebook } from './notebook-content';
import { errorMessage } from '../errors';

/** Which notebook of a run a view shows. */
export type RunNotebook = 'executed' | 'snapshot';

/** One scalar key of the run and its summary. */
export interface IScalarRow {
  key: string;
  summary: IScalarSummary;
}

/** What a push changed in a watched run. */
export interface IRunOutputChange {
  /** Cells whose outputs or counts changed, in order. */
  cells: ILiveCellChange[];
  /** True when the output's end (`log`) changed. */
  log: boolean;
}

/** A run view's model. */
export class RunViewModel implements IDisposable {
  constructor(options: RunViewModel.IOptions) {
    this.runId = options.id;
    this.which = options.which;
    this._service = options.service;
    this._logTailBytes = options.logTailBytes ?? RunViewModel.LOG_TAIL_BYTES;
    this._service.runOutput.connect(this._onOutput, this);
    this._service.connected.connect(this._onConnected, this);
  }

  /** The run id (or the prefix) the view was opened with. */
  readonly runId: string;

  /** The notebook shown. */
  readonly which: RunNotebook;

  /** Emitted after each fetch (whatever changed), and when a pushed notebook replaces the one shown. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Emitted when a push changed the notebook's cells (in place) or the output's end. */
  get outputChanged(): ISignal<this, IRunOutputChange> {
    return this._outputChanged;
  }

  /**
   * Whether a live run's output is watched (pushed as it comes); false (nbx's `refresh:
   * 'manual'`): fetched only by `refresh`.
   */
  get live(): boolean {
    return this._live;
  }
  set live(value: boolean) {
    if (value === this._live) {
      return;
    }
    this._live = value;
    if (!value) {
      this._unwatch();
    } else if (this.isLive && this._record !== null) {
      void this.refresh();
    }
  }

  /** True while the service pushes the run's output to this model. */
  get isWatching(): boolean {
    return this._watch !== null;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** The run's full id once known, else the id the view was opened with. */
  get id(): string {
    return this._record?.id ?? this.runId;
  }

  /** The run's record, once fetched. */
  get record(): RunMeta | null {
    return this._record;
  }

  /** Why the record could not be fetched (the last attempt), or null. */
  get recordError(): string | null {
    return this._recordError;
  }

  /**
   * The notebook, ready for JupyterLab's notebook model (multiline strings joined, cells
   * untrusted); a new object only when the notebook changed.
   */
  get notebook(): nbformat.INotebookContent | null {
    return this._notebook;
  }

  /** Why the notebook could not be fetched (the last attempt), or null. */
  get notebookError(): string | null {
    return this._notebookError;
  }

  /** True when the run is a sweep's batch run (it executes no notebook itself). */
  get isBatch(): boolean {
    return this._record?.kind === 'batch';
  }

  /** A batch run's sweep: settings, progress, trials and best trial; else null. */
  get sweep(): ISweepStatus | null {
    return this._sweep;
  }

  /** A pipeline's steps and the runs they used, or the runs a run used (graph.ts); else null. */
  get graph(): IRunGraph | null {
    return this._record ? runGraph(this._record, this._related) : null;
  }

  /** The end of the run's output, once fetched. */
  get log(): ILogTail | null {
    return this._log;
  }

  /** True while the run may still change on its own. */
  get isLive(): boolean {
    return isLive(this._record?.status ?? null);
  }

  /** Index of the cell executing now (in the executed notebook of a running run), or null. */
  get currentCell(): number | null {
    const record = this._record;
    if (this.which !== 'executed') {
      return null;
    }
    // While watched, the pushes say which cell runs (the record says so only when fetched).
    if (this._watch !== null) {
      return this.isLive ? this._running : null;
    }
    return record?.status === 'running' ? (record.progress?.current ?? null) : null;
  }

  /** The run's scalars, by key, system metrics (`sys/...`) last. */
  get scalars(): IScalarRow[] {
    const scalars = this._record?.scalars ?? {};
    return Object.keys(scalars)
      .sort((a, b) => {
        const sa = a.startsWith('sys/') ? 1 : 0;
        const sb = b.startsWith('sys/') ? 1 : 0;
        return sa - sb || a.localeCompare(b);
      })
      .map(key => ({ key, summary: scalars[key] }));
  }

  /** How long the run ran, in seconds (up to `now` while it runs), or null before it starts. */
  duration(now = Date.now()): number | null {
    const record = this._record;
    if (!record?.started) {
      return null;
    }
    const start = Date.parse(record.started);
    const end = record.stopped ? Date.parse(record.stopped) : now;
    if (!Number.isFinite(start) || !Number.isFinite(end)) {
      return null;
    }
    return (end - start) / 1000;
  }

  /** The service the run is read from (a sweep's trials are compared through it). */
  get service(): INbxService {
    return this._service;
  }

  /** True when a change of runs `ids` (pushed by the service) concerns this run. */
  concerns(ids: string[]): boolean {
    const id = this.id;
    const trials = new Set([...(this._record?.trials ?? []), ...this._related.keys()]);
    return ids.some(
      changed => changed === id || changed.startsWith(this.runId) || trials.has(changed)
    );
  }

  /**
   * Fetches the record, the notebook and the log tail. Calls made while one is under way
   * fold into one more after it. Never rejects.
   */
  refresh(): Promise<void> {
    if (this._inflight) {
      this._again = true;
      return this._inflight;
    }
    this._inflight = (async () => {
      do {
        this._again = false;
        await this._fetch();
      } while (this._again && !this._isDisposed);
    })().finally(() => {
      this._inflight = null;
    });
    return this._inflight;
  }

  /**
   * Fetches the record alone (the run's record changed: progress, scalars, status); the
   * notebook and output too when the run started or ended. Never rejects.
   */
  async refreshRecord(): Promise<void> {
    const record = this._record;
    // A sweep's or a pipeline's view shows other runs too: fetched with it.
    if (this._inflight || !executesNotebook(record) || record?.deps?.length) {
      return this.refresh();
    }
    const wasLive = this.isLive;
    try {
      this._record = (await this._service.request('getRun', { id: this.id })).result;
      this._recordError = null;
    } catch (err) {
      this._recordError = errorMessage(err);
    }
    if (this._isDisposed) {
      return;
    }
    if (this.isLive !== wasLive || (this.isLive && this._live && this._watch === null)) {
      return this.refresh();
    }
    this._changed.emit();
  }

  /** Stops the run; resolves with why it could not be stopped, or null. */
  async stop(): Promise<string | null> {
    let failure: string | null = null;
    try {
      const reply = await this._service.request('stopRuns', { ids: [this.id] });
      const failed = reply.result.results.find(r => !r.ok);
      if (failed) {
        failure = failed.error ?? '';
      }
    } catch (err) {
      failure = errorMessage(err);
    }
    await this.refresh();
    return failure;
  }

  /** Runs the run again in place; resolves with why it could not, or null. */
  async restart(): Promise<string | null> {
    let failure: string | null = null;
    try {
      await this._service.request('restartRun', { id: this.id });
    } catch (err) {
      failure = errorMessage(err);
    }
    await this.refresh();
    return failure;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._unwatch();
    Signal.clearData(this);
  }

  private async _fetch(): Promise<void> {
    const id = this.id;
    try {
      this._record = (await this._service.request('getRun', { id })).result;
      this._recordError = null;
    } catch (err) {
      this._recordError = errorMessage(err);
    }
    if (this._isDisposed) {
      return;
    }
    const record = this._record;
    if (
      this._live &&
      this.which === 'executed' &&
      executesNotebook(record) &&
      isLive(record?.status ?? null)
    ) {
      await this._watchRun(record?.id ?? id);
    } else {
      this._unwatch();
      await this._fetchNotebook(id);
    }
    if (this._isDisposed) {
      return;
    }
    const shown = this._record;
    if (shown && (shown.kind === 'pipeline' || shown.deps?.length)) {
      await this._fetchRelated(shown);
      if (this._isDisposed) {
        return;
      }
    }
    if (this._record?.kind === 'batch') {
      try {
        const reply = await this._service.request('sweepStatus', { ids: [this._record.id] });
        this._sweep = reply.result.sweeps[0] ?? null;
      } catch {
        // The last status stays; the next fetch asks again.
      }
      if (this._isDisposed) {
        return;
      }
    }
    this._changed.emit();
  }

  /** Fetches the notebook and the output's end (of a run that does not change any more). */
  private async _fetchNotebook(id: string): Promise<void> {
    const [notebook, log] = await Promise.allSettled([
      this._service.request('getNotebook', { id, which: this.which }),
      this._service.request('getLogTail', { id, maxBytes: this._logTailBytes })
    ]);
    if (this._isDisposed) {
      return;
    }
    if (notebook.status === 'fulfilled') {
      this._notebookError = null;
      const text = JSON.stringify(notebook.value.result);
      if (text !== this._notebookText) {
        this._notebookText = text;
        // nbformat JSON, as the service read it from the run's notebook file.
        const content = notebook.value.result as unknown as nbformat.INotebookContent;
        this._notebook = viewableNotebook(content);
      }
    } else {
      this._notebookError = errorMessage(notebook.reason);
    }
    if (log.status === 'fulfilled') {
      this._log = log.value.result;
    }
  }

  /**
   * Watches the run (again): its notebook and output as they are now, then the pushes.
   * Pushes that arrive before the answer wait for it.
   */
  private async _watchRun(id: string): Promise<void> {
    this._unwatch();
    const attempt = ++this._attempt;
    this._early = [];
    let answer: IWatchRunResult;
    try {
      answer = (await this._service.request('watchRun', { id, maxLogBytes: this._logTailBytes }))
        .result;
    } catch (err) {
      this._early = null;
      this._notebookError = errorMessage(err);
      return;
    }
    if (this._isDisposed || attempt !== this._attempt) {
      void this._service.request('unwatchRun', { watch: answer.watch }).catch(() => undefined);
      return;
    }
    this._watch = answer.watch;
    this._watchedId = answer.id;
    this._seq = answer.seq;
    this._running = answer.running;
    this._log = answer.log;
    this._setNotebook(answer.notebook);
    const early = this._early ?? [];
    this._early = null;
    for (const event of early) {
      this._apply(event, false);
    }
  }

  /** Stops watching (a fetch under way is left to finish and then forgotten). */
  private _unwatch(): void {
    this._attempt++;
    this._early = null;
    if (this._watch !== null) {
      const watch = this._watch;
      this._watch = null;
      void this._service.request('unwatchRun', { watch }).catch(() => undefined);
    }
  }

  private _setNotebook(json: IWatchRunResult['notebook']): void {
    if (json === null) {
      this._notebookError = 'The run has not written its executed notebook yet.';
      return;
    }
    this._notebookError = null;
    const text = JSON.stringify(json);
    if (text !== this._notebookText) {
      this._notebookText = text;
      // nbformat JSON, as the service read it from the run's notebook file.
      this._notebook = viewableNotebook(json as unknown as nbformat.INotebookContent);
    }
  }

  /** A new connection to the service (it restarted): the watch died with the old one. */
  private _onConnected(): void {
    if (this._watch !== null) {
      this._watch = null;
      void this.refresh();
    }
  }

  private _onOutput(_sender: unknown, event: IRunOutputEvent): void {
    if (this._early !== null && event.id.startsWith(this.runId)) {
      this._early.push(event);
    } else if (this._watch !== null && event.id === this._watchedId) {
      this._apply(event, true);
    }
  }

  /** Applies a push to the notebook and output (telling the view when `emit`). */
  private _apply(event: IRunOutputEvent, emit: boolean): void {
    if (event.seq <= this._seq) {
      return;
    }
    if (event.seq !== this._seq + 1) {
      // A push went missing (the service restarted?): start again from what is there.
      void this.refresh();
      return;
    }
    this._seq = event.seq;
    this._running = event.running;
    if (event.log) {
      const log = this._log ?? { text: '', size: 0, truncated: false };
      this._log = applyLogChange(log, event.log, this._logTailBytes);
    }
    if (event.notebook) {
      this._setNotebook(event.notebook);
      if (emit) {
        this._changed.emit();
      }
      return;
    }
    const cells: ILiveCellChange[] = [];
    for (const update of event.cells) {
      const cell = this._notebook?.cells[update.cell];
      if (cell?.cell_type === 'code') {
        cells.push(applyCellUpdate(cell as nbformat.ICodeCell, update));
      }
    }
    // The text fetched last no longer says what the notebook holds.
    this._notebookText = '';
    if (emit) {
      this._outputChanged.emit({ cells, log: event.log !== undefined });
    }
  }

  /**
   * The records of the runs the graph of `record` shows, in two rounds (a pipeline's
   * steps, then the runs they used). A run that cannot be fetched shows without status.
   */
  private async _fetchRelated(record: RunMeta): Promise<void> {
    const related = new Map<string, RunMeta>();
    for (let round = 0; round < 2; round++) {
      const missing = relatedIds(record, related).filter(id => !related.has(id));
      const replies = await Promise.allSettled(
        missing.map(id => this._service.request('getRun', { id }))
      );
      replies.forEach((reply, i) => {
        if (reply.status === 'fulfilled') {
          related.set(missing[i], reply.value.result);
        }
      });
    }
    this._related = related;
  }

  /** Bytes of output a view shows at most. */
  static LOG_TAIL_BYTES = 64 * 1024;

  private readonly _service: INbxService;
  private readonly _logTailBytes: number;
  private _record: RunMeta | null = null;
  private _recordError: string | null = null;
  private _notebook: nbformat.INotebookContent | null = null;
  private _notebookText = '';
  private _notebookError: string | null = null;
  private _log: ILogTail | null = null;
  private _sweep: ISweepStatus | null = null;
  private _related = new Map<string, RunMeta>();
  private _inflight: Promise<void> | null = null;
  private _again = false;
  private _isDisposed = false;
  private _changed = new Signal<this, void>(this);
  private _outputChanged = new Signal<this, IRunOutputChange>(this);
  /** The watch of a live run (`watchRun`), the run's full id, and the last push applied. */
  private _watch: number | null = null;
  private _watchedId = '';
  private _seq = 0;
  private _running: number | null = null;
  /** Pushes that came while `watchRun` was asked, or null when none is asked. */
  private _early: IRunOutputEvent[] | null = null;
  /** Counts watch attempts: an answer to an older one is let go. */
  private _attempt = 0;
  private _live = true;
}

/** The statics of `RunViewModel`. */
export namespace RunViewModel {
  export interface IOptions {
    /** The run id (or a unique prefix). */
    id: string;
    which: RunNotebook;
    service: INbxService;
    /** Bytes of output to fetch at most (default `LOG_TAIL_BYTES`). */
    logTailBytes?: number;
  }
}

/** True for a run that executes a notebook itself (not a sweep's batch or a pipeline). */
function executesNotebook(record: RunMeta | null): boolean {
  return record !== null && record.kind !== 'batch' && record.kind !== 'pipeline';
}
