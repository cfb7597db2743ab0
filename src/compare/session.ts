/**
 * One comparison, without DOM: which runs (ids, or every run), the `--where` filter the
 * service applies, and the `CompareModel` of the last table the service sent, with the
 * person's choices (columns, "only columns that differ", sort, brushed ranges) carried
 * over to each new table. A bad filter leaves the last table shown and sets `error` to
 * the service's one line.
 */
import type { IDisposable } from '@lumino/disposable';
import { Signal, type ISignal } from '@lumino/signaling';
import type { Table } from 'apache-arrow';
import { isMetricColumn } from '../../kernel/lib/base/display';
import { errorMessage } from '../errors';
import type { INbxService } from '../tokens';
import type { IListRunsParams } from '../../kernel/src/contract/service';
import type { SortDirection } from './direction';
import { CompareModel, type ISortKey } from './model';
import type { ICompareView } from './views';

/** Columns first in the grid, in this order: the run's name, then what it is. */
export const LEADING_COLUMNS = ['label', 'id', 'status', 'notebook', 'started', 'duration'];

/**
 * The columns shown by default: the leading ones, every flag, every metric summary but
 * system metrics (`#sys/...`). The chooser offers every column of the table (the last
 * steps, `#key:step`, too).
 */
export function defaultShown(columns: readonly string[]): string[] {
  return columns.filter(
    name =>
      LEADING_COLUMNS.includes(name) ||
      name.startsWith('=') ||
      (isMetricColumn(name) && !name.startsWith('#sys/'))
  );
}

/** The table with the leading columns first, then the others in the table's order. */
export function leadingFirst(table: Table): Table {
  const names = table.schema.fields.map(f => f.name);
  const lead = LEADING_COLUMNS.filter(name => names.includes(name));
  return table.select([...lead, ...names.filter(name => !lead.includes(name))]);
}

/** A comparison of runs, fetched from the nbx service. */
export class CompareSession implements IDisposable {
  constructor(options: CompareSession.IOptions) {
    this._service = options.service;
    this.ids = options.ids ?? null;
    this._where = options.where ?? '';
    this._marked = options.marked ?? null;
    this._directions = options.directions ?? {};
    this._initialSort = options.sort ?? [];
  }

  /** The run whose row is marked (a sweep's best trial), kept across tables. */
  get marked(): string | null {
    return this._marked;
  }

  set marked(id: string | null) {
    this._marked = id;
    if (this._model) {
      this._model.marked = id;
    }
  }

  /** The runs compared (null: every run of the root). */
  readonly ids: readonly string[] | null;

  /** Emitted when a table arrived, the filter's error changed, or loading began or ended. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The model of the last table, or null before the first arrives. */
  get model(): CompareModel | null {
    return this._model;
  }

  /** The `--where` filter of the table shown ('' for none). */
  get where(): string {
    return this._where;
  }

  /** The one-line error of the last request ('' when it succeeded). */
  get error(): string {
    return this._error;
  }

  /** How many of the runs compared no longer exist (deleted since they were chosen). */
  get missing(): number {
    return this._missing;
  }

  /** True while a request is out. */
  get loading(): boolean {
    return this._pending > 0;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Fetches the runs with `where` (the current filter when absent); stale replies are dropped. */
  async load(where = this._where): Promise<void> {
    const ticket = ++this._ticket;
    this._pending++;
    this._changed.emit();
    const params: IListRunsParams = {};
    if (this.ids) {
      // A run deleted since it was chosen is left out, not the whole comparison.
      params.ids = [...this.ids];
      params.skipMissing = true;
    }
    if (where.trim() !== '') {
      params.where = where;
    }
    try {
      const [reply, arrow] = await Promise.all([
        this._service.request('listRuns', params),
        import('apache-arrow')
      ]);
      const buffer = reply.buffers[0];
      if (!buffer) {
        throw new Error('the nbx service sent no runs table');
      }
      if (ticket === this._ticket && !this._isDisposed) {
        const table = arrow.tableFromIPC(
          new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
        );
        this._where = where;
        this._error = '';
        this._missing = reply.result.missing?.length ?? 0;
        this._setTable(leadingFirst(table));
      }
    } catch (err) {
      if (ticket === this._ticket) {
        this._error = errorMessage(err);
      }
    } finally {
      this._pending--;
      if (!this._isDisposed) {
        this._changed.emit();
      }
    }
  }

  /** What a saved view keeps of this comparison now. */
  view(name: string): ICompareView {
    const model = this._model;
    return {
      name,
      columns: model
        ? [
            ...model
              .choices()
              .filter(c => c.visible)
              .map(c => c.name)
          ]
        : null,
      onlyDiffering: model?.onlyDiffering ?? false,
      sort: model ? [...model.sort] : [],
      where: this._where
    };
  }

  /** Applies a saved view: its columns, sort and "only differing" now, its filter fetched. */
  async applyView(view: ICompareView): Promise<void> {
    const model = this._model;
    if (model) {
      model.setColumns(view.columns ?? defaultShown(model.columns));
      model.onlyDiffering = view.onlyDiffering;
      model.setSort(view.sort);
    }
    this._pendingView = view;
    await this.load(view.where);
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._model?.dispose();
    Signal.clearData(this);
  }

  private _setTable(table: Table): void {
    const previous = this._model;
    const view = this._pendingView;
    this._pendingView = null;
    const model = new CompareModel({
      table,
      columns:
        view?.columns ??
        previous
          ?.choices()
          .filter(c => c.visible)
          .map(c => c.name) ??
        defaultShown(table.schema.fields.map(f => f.name)),
      pinned: ['label', 'id'],
      directions: this._directions,
      marked: this._marked
    });
    model.onlyDiffering = view?.onlyDiffering ?? previous?.onlyDiffering ?? false;
    model.setSort(view?.sort ?? previous?.sort ?? this._initialSort);
    if (previous) {
      // Columns new in this table (a flag first used by a run now included) are shown.
      const known = new Set(previous.columns);
      for (const name of defaultShown(model.columns)) {
        if (!known.has(name)) {
          model.setColumnVisible(name, true);
        }
      }
      model.setRangeFilters(previous.rangeFilters);
      previous.dispose();
    }
    this._model = model;
  }

  private readonly _service: INbxService;
  private readonly _changed = new Signal<this, void>(this);
  private _model: CompareModel | null = null;
  private _pendingView: ICompareView | null = null;
  private _where: string;
  private _error = '';
  private _missing = 0;
  private _marked: string | null;
  private readonly _directions: Readonly<Record<string, SortDirection>>;
  private readonly _initialSort: readonly ISortKey[];
  private _pending = 0;
  private _ticket = 0;
  private _isDisposed = false;
}

/** The statics of CompareSession. */
export namespace CompareSession {
  export interface IOptions {
    service: INbxService;
    /** The runs to compare; every run of the root when absent. */
    ids?: readonly string[];
    /** The `--where` filter to start with. */
    where?: string;
    /** A run whose row is marked (a sweep's best trial). */
    marked?: string | null;
    /** Sort directions per column (a sweep's objective: its best first). */
    directions?: Readonly<Record<string, SortDirection>>;
    /** The sort of the first table. */
    sort?: readonly ISortKey[];
  }
}
