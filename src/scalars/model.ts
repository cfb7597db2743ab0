/**
 * The Scalars panel's state, without the DOM: the runs shown, their keys grouped by
 * prefix (folded groups, search), the points of each key per run (downsampled by the
 * service, exact in a zoom window, grown by live pushes), and the view options (x axis,
 * smoothing, log scale, outliers). `chart(key)` is what one chart draws; the widget turns
 * it into plotly traces.
 */
import type { IDisposable } from '@lumino/disposable';
import { Signal, type ISignal } from '@lumino/signaling';
import type { RunMeta } from '../../kernel/src/contract/run';
import type { IScalarKeyCount, IScalarWindow } from '../../kernel/src/contract/service';
import { csvText } from '../compare/csv';
import { errorMessage } from '../errors';
import { runColors } from '../run-colors';
import { isLive } from '../run-status';
import type { INbxConnection, IScalarsAppended } from '../tokens';
import { appendPoints, decodePoints, outlierFreeRange, type IPoints } from './series';
import { smooth } from './smoothing';

/** What the x axis shows. */
export type XAxis = 'step' | 'time' | 'relative';

/** The prefix of the keys folded until opened. */
export const FOLDED_PREFIX = 'sys';

/** One run's points of a key, as the service sent them. */
interface ISeries extends IPoints {
  /** Wall time of the run's first point (the origin of relative time). */
  start: number;
  /** True when the service left points out (a narrower window shows more). */
  downsampled: boolean;
}

/** Keys sharing a prefix (the text before the first `/`; '' for keys without one). */
export interface IKeyGroup {
  prefix: string;
  /** The keys that match the search, sorted. */
  keys: string[];
  folded: boolean;
}

/** A run in the legend the charts share. */
export interface ILegendEntry {
  runId: string;
  /** The run's label, else its notebook and short id. */
  name: string;
  color: string;
  /** The flags that differ among the runs shown, as `name=value` lines. */
  flags: string[];
}

/** One run in one chart. */
export interface ITrace extends ILegendEntry {
  x: Float64Array;
  step: Float64Array;
  /** The values as recorded. */
  raw: Float64Array;
  /** The values smoothed (`raw` itself when smoothing is 0). */
  smoothed: Float64Array;
}

/** What one chart draws. */
export interface IChart {
  key: string;
  traces: ITrace[];
  /** The y range without outliers (log10 units on a log axis), or null for plotly's own. */
  yRange: [number, number] | null;
  /** True while some trace is downsampled (zooming in fetches more). */
  downsampled: boolean;
  /** The x window fetched at full resolution, or null for the whole series. */
  window: [number, number] | null;
}

/** Live points appended to a chart's traces. */
export interface IAppended {
  key: string;
  runId: string;
  x: Float64Array;
  step: Float64Array;
  raw: Float64Array;
  smoothed: Float64Array;
}

/** The service as the model uses it. */
export type IScalarsService = Pick<INbxConnection, 'request' | 'scalarsAppended'>;

export class ScalarsModel implements IDisposable {
  constructor(options: ScalarsModel.IOptions) {
    this._service = options.service;
    this._maxPoints = options.maxPoints ?? 1500;
    this._service.scalarsAppended.connect(this._onAppended, this);
  }

  /** Runs, keys, points or options changed: redraw. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Live points arrived for charts already drawn: append them. */
  get appended(): ISignal<this, IAppended[]> {
    return this._appended;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  /** The runs shown, in the order asked for. */
  get runs(): readonly RunMeta[] {
    return this._runs;
  }

  /** Every key of the runs, with its points per run. */
  get keys(): readonly IScalarKeyCount[] {
    return this._keys;
  }

  /** Why the runs could not be read, or null. */
  get error(): string | null {
    return this._error;
  }

  /** The runs that may still append points (watched while shown). */
  get liveIds(): string[] {
    return this._runs.filter(meta => isLive(meta.status)).map(meta => meta.id);
  }

  get xAxis(): XAxis {
    return this._xAxis;
  }
  set xAxis(value: XAxis) {
    if (value !== this._xAxis) {
      this._xAxis = value;
      // Zoom windows are in the old axis' units.
      this._zoomed.clear();
      this._viewChanged();
    }
  }

  /** Smoothing weight, 0 (none) to 0.999 (TensorBoard's slider). */
  get smoothing(): number {
    return this._smoothing;
  }
  set smoothing(value: number) {
    const weight = Math.min(0.999, Math.max(0, Number.isFinite(value) ? value : 0));
    if (weight !== this._smoothing) {
      this._smoothing = weight;
      this._viewChanged();
    }
  }

  get logY(): boolean {
    return this._logY;
  }
  set logY(value: boolean) {
    if (value !== this._logY) {
      this._logY = value;
      this._viewChanged();
    }
  }

  /** True: each chart's y range leaves out the 5% most extreme values at each end. */
  get ignoreOutliers(): boolean {
    return this._ignoreOutliers;
  }
  set ignoreOutliers(value: boolean) {
    if (value !== this._ignoreOutliers) {
      this._ignoreOutliers = value;
      this._viewChanged();
    }
  }

  /** Text keys must contain (case-insensitive); '' shows every key. */
  get search(): string {
    return this._search;
  }
  set search(value: string) {
    if (value !== this._search) {
      this._search = value;
      this._changed.emit();
      void this._loadVisible();
    }
  }

  /** The keys by prefix (groups without a matching key left out), prefixes sorted. */
  get groups(): IKeyGroup[] {
    const needle = this._search.trim().toLowerCase();
    const groups = new Map<string, string[]>();
    for (const { key } of this._keys) {
      if (needle !== '' && !key.toLowerCase().includes(needle)) {
        continue;
      }
      const prefix = Private.prefixOf(key);
      const keys = groups.get(prefix) ?? [];
      keys.push(key);
      groups.set(prefix, keys);
    }
    return [...groups.keys()].sort(Private.compareText).map(prefix => ({
      prefix,
      keys: groups.get(prefix) as string[],
      folded: this._isFolded(prefix)
    }));
  }

  /** The keys charted now: those of unfolded groups that match the search. */
  get visibleKeys(): string[] {
    return this.groups.filter(g => !g.folded).flatMap(g => g.keys);
  }

  /** Folds or unfolds a prefix's group. */
  setFolded(prefix: string, folded: boolean): void {
    if (folded !== this._isFolded(prefix)) {
      this._folds.set(prefix, folded);
      this._changed.emit();
      void this._loadVisible();
    }
  }

  /**
   * Shows `ids` (full ids, prefixes or indexes): reads their records and keys, follows the
   * live ones, then fetches the points of the visible keys.
   */
  async setRuns(ids: readonly string[]): Promise<void> {
    const generation = ++this._generation;
    this._unwatch();
    try {
      const reply = await this._service.request('scalarKeys', { ids: [...ids] });
      if (generation !== this._generation || this._disposed) {
        return;
      }
      this._runs = reply.result.runs;
      this._keys = reply.result.keys;
      this._error = null;
    } catch (err) {
      if (generation === this._generation) {
        this._runs = [];
        this._keys = [];
        this._error = errorMessage(err);
        this._viewChanged();
      }
      return;
    }
    this._points.clear();
    this._zoomed.clear();
    this._colors = runColors(this._runs.map(meta => meta.id));
    this._viewChanged();
    // Watched before the points are fetched, so no point falls between the two.
    await this._watch(generation);
    await this._loadVisible();
  }

  /** The runs shown, as every chart colours and names them. */
  get legend(): ILegendEntry[] {
    const differing = this._differingFlags();
    return this._runs.map(meta => ({
      runId: meta.id,
      name: Private.runName(meta),
      color: this._colors.get(meta.id) ?? '#888',
      flags: differing.map(flag => `${flag}=${JSON.stringify(meta.flags[flag] ?? null)}`)
    }));
  }

  /** What the chart of `key` draws (traces of the runs that have the key). */
  chart(key: string): IChart {
    const zoom = this._zoomed.get(key);
    const byRun = zoom?.series ?? this._points.get(key);
    const traces: ITrace[] = [];
    for (const entry of this.legend) {
      const series = byRun?.get(entry.runId);
      if (!series || series.value.length === 0) {
        continue;
      }
      traces.push({
        ...entry,
        x: this._xOf(series),
        step: series.step,
        raw: series.value,
        smoothed: this._smoothing > 0 ? smooth(series.value, this._smoothing) : series.value
      });
    }
    return {
      key,
      traces,
      yRange: this._ignoreOutliers
        ? outlierFreeRange(
            traces.map(t => t.raw),
            this._logY
          )
        : null,
      downsampled: traces.some(t => byRun?.get(t.runId)?.downsampled),
      window: zoom?.window ?? null
    };
  }

  /** True once the points of `key` are fetched. */
  hasPoints(key: string): boolean {
    return this._points.has(key);
  }

  /**
   * Changes whenever `chart(key)` would draw something else, except for points handed
   * out by `appended` (the chart grows by those): a chart drawn at this revision is
   * up to date.
   */
  chartRevision(key: string): string {
    return `${this._view}:${this._revisions.get(key) ?? 0}`;
  }

  /**
   * Zooms the chart of `key` to x in `[from, to]` (units of the x axis: steps, ms since the
   * epoch, seconds since the start): the window is fetched at full resolution when the
   * whole series was downsampled. `null` goes back to the whole series.
   */
  async zoom(key: string, range: [number, number] | null): Promise<void> {
    if (range === null) {
      if (this._zoomed.delete(key)) {
        this._touch(key);
        this._changed.emit();
      }
      return;
    }
    const full = this._points.get(key);
    if (!full || ![...full.values()].some(s => s.downsampled)) {
      return;
    }
    const [from, to] = range;
    const window: IScalarWindow =
      this._xAxis === 'relative'
        ? { axis: 'relative', from: from * 1000, to: to * 1000 }
        : { axis: this._xAxis, from, to };
    const generation = this._generation;
    const series = await this._fetch([key], window);
    if (generation === this._generation && !this._disposed) {
      this._zoomed.set(key, { window: range, series: series.get(key) ?? new Map() });
      this._touch(key);
      this._changed.emit();
    }
  }

  /** The points of `key` at full resolution as CSV (`run,label,step,time,value`). */
  async csv(key: string): Promise<string> {
    const series = (await this._fetch([key], undefined, 100_000)).get(key) ?? new Map();
    const rows: string[][] = [];
    for (const meta of this._runs) {
      const points = series.get(meta.id);
      const name = Private.runName(meta);
      for (let i = 0; i < (points?.value.length ?? 0); i++) {
        const p = points as ISeries;
        const time = new Date(p.time[i]).toISOString();
        rows.push([meta.id, name, String(p.step[i]), time, String(p.value[i])]);
      }
    }
    // The Compare panel's CSV rules (RFC 4180 quoting, ISO times).
    return csvText(['run', 'label', 'step', 'time', 'value'], rows);
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this._generation++;
    this._unwatch();
    Signal.clearData(this);
  }

  /** The x axis, smoothing, scales or runs changed: every chart draws anew. */
  private _viewChanged(): void {
    this._view++;
    this._changed.emit();
  }

  /** The chart of `key` draws anew. */
  private _touch(key: string): void {
    this._revisions.set(key, (this._revisions.get(key) ?? 0) + 1);
  }

  private _isFolded(prefix: string): boolean {
    return this._folds.get(prefix) ?? prefix === FOLDED_PREFIX;
  }

  private _xOf(series: ISeries): Float64Array {
    switch (this._xAxis) {
      case 'step':
        return series.step;
      case 'time':
        return series.time;
      case 'relative':
        return series.time.map(t => (t - series.start) / 1000);
    }
  }

  /** Flags whose values are not the same in every run shown, sorted. */
  private _differingFlags(): string[] {
    const names = new Set(this._runs.flatMap(meta => Object.keys(meta.flags ?? {})));
    return [...names].sort(Private.compareText).filter(name => {
      const values = new Set(this._runs.map(meta => JSON.stringify(meta.flags?.[name] ?? null)));
      return values.size > 1;
    });
  }

  /** Fetches the visible keys not fetched yet. */
  private async _loadVisible(): Promise<void> {
    const missing = this.visibleKeys.filter(
      key => !this._points.has(key) && !this._loading.has(key)
    );
    if (missing.length === 0 || this._runs.length === 0) {
      return;
    }
    missing.forEach(key => this._loading.add(key));
    const generation = this._generation;
    try {
      const fetched = await this._fetch(missing);
      if (generation !== this._generation || this._disposed) {
        return;
      }
      for (const key of missing) {
        const byRun = fetched.get(key) ?? new Map<string, ISeries>();
        // Points pushed while the fetch was under way (those it read too are skipped).
        for (const [id, more] of this._pushedWhileLoading.get(key) ?? []) {
          const series = byRun.get(id);
          byRun.set(
            id,
            series
              ? { ...series, ...appendPoints(series, more) }
              : { ...more, start: more.time[0] ?? NaN, downsampled: false }
          );
        }
        this._points.set(key, byRun);
        this._touch(key);
      }
      this._error = null;
    } catch (err) {
      if (generation === this._generation) {
        this._error = errorMessage(err);
      }
    } finally {
      missing.forEach(key => {
        this._loading.delete(key);
        this._pushedWhileLoading.delete(key);
      });
    }
    this._changed.emit();
  }

  /** The points of `keys` for the runs shown, by key and run id. */
  private async _fetch(
    keys: string[],
    window?: IScalarWindow,
    maxPoints = this._maxPoints
  ): Promise<Map<string, Map<string, ISeries>>> {
    const ids = this._runs.map(meta => meta.id);
    const reply = await this._service.request('scalarPoints', { ids, keys, maxPoints, window });
    const out = new Map<string, Map<string, ISeries>>(keys.map(key => [key, new Map()]));
    reply.result.series.forEach((info, i) => {
      const points = decodePoints(reply.buffers[i]);
      out
        .get(info.key)
        ?.set(info.id, { ...points, start: info.start, downsampled: info.downsampled });
    });
    return out;
  }

  private async _watch(generation: number): Promise<void> {
    const ids = this.liveIds;
    if (ids.length === 0) {
      return;
    }
    try {
      const reply = await this._service.request('watchScalars', { ids });
      if (generation !== this._generation || this._disposed) {
        void this._service
          .request('unwatchScalars', { watch: reply.result.watch })
          .catch(() => undefined);
        return;
      }
      this._watching = reply.result.watch;
    } catch {
      // No live points (an older service): the charts still show what was recorded.
    }
  }

  private _unwatch(): void {
    if (this._watching !== null) {
      const watch = this._watching;
      this._watching = null;
      void this._service.request('unwatchScalars', { watch }).catch(() => undefined);
    }
  }

  private _onAppended(_sender: INbxConnection, pushed: IScalarsAppended): void {
    if (this._watching === null) {
      return;
    }
    this.appendLive(
      pushed.id,
      new Map(pushed.keys.map((key, i) => [key, decodePoints(pushed.buffers[i])]))
    );
  }

  /**
   * Appends live points of run `id` (by key), as the service pushes them: a chart drawn
   * grows by `appended` (its traces extended), unless a trace grows past twice the
   * points a fetch brings: then the key is fetched again, downsampled by the service like
   * any fetch (min/max buckets, extremes kept), and the chart redrawn, so a long live run
   * stays cheap to draw.
   */
  appendLive(id: string, points: ReadonlyMap<string, IPoints>): void {
    const meta = this._runs.find(m => m.id === id);
    if (!meta) {
      return;
    }
    const appended: IAppended[] = [];
    let newKeys = false;
    for (const [key, more] of points) {
      if (!this._keys.some(k => k.key === key)) {
        this._keys = [...this._keys, { key, points: { [meta.id]: 0 } }].sort((a, b) =>
          Private.compareText(a.key, b.key)
        );
        newKeys = true;
      }
      const byRun = this._points.get(key);
      if (!byRun) {
        if (this._loading.has(key)) {
          const pushed = this._pushedWhileLoading.get(key) ?? new Map<string, IPoints>();
          const earlier = pushed.get(meta.id);
          pushed.set(meta.id, earlier ? appendPoints(earlier, more) : more);
          this._pushedWhileLoading.set(key, pushed);
        }
        continue;
      }
      const before = byRun.get(meta.id);
      const series: ISeries = before ?? { ...more, start: more.time[0] ?? NaN, downsampled: false };
      const grown = before ? { ...series, ...appendPoints(before, more) } : series;
      const added = grown.value.length - (before?.value.length ?? 0);
      if (added <= 0) {
        continue;
      }
      const entry = this._keys.find(k => k.key === key);
      if (entry) {
        entry.points[meta.id] = (entry.points[meta.id] ?? 0) + added;
      }
      if (grown.value.length > 2 * this._maxPoints) {
        // Too long to keep drawing whole: the key is fetched again, downsampled by the
        // service as any fetch is (points pushed meanwhile are added to it); the chart
        // keeps what it shows until then.
        this._points.delete(key);
        this._touch(key);
        newKeys = true;
        continue;
      }
      byRun.set(meta.id, grown);
      if (!before || this._zoomed.has(key)) {
        // A new trace, or a zoomed chart: redrawn whole.
        this._touch(key);
        newKeys = true;
        continue;
      }
      const from = grown.value.length - added;
      const smoothed = this._smoothing > 0 ? smooth(grown.value, this._smoothing) : grown.value;
      appended.push({
        key,
        runId: meta.id,
        x: this._xOf(grown).subarray(from),
        step: grown.step.subarray(from),
        raw: grown.value.subarray(from),
        smoothed: smoothed.subarray(from)
      });
    }
    if (newKeys) {
      this._changed.emit();
      void this._loadVisible();
    }
    // Also when keys are new (a system metric's first sample): the charts drawn already
    // are not drawn again for those, so they grow by these points.
    if (appended.length > 0) {
      this._appended.emit(appended);
    }
  }

  private readonly _service: IScalarsService;
  private readonly _maxPoints: number;
  private _runs: RunMeta[] = [];
  private _keys: IScalarKeyCount[] = [];
  private _colors = new Map<string, string>();
  private _error: string | null = null;
  private _points = new Map<string, Map<string, ISeries>>();
  private _zoomed = new Map<string, { window: [number, number]; series: Map<string, ISeries> }>();
  private _loading = new Set<string>();
  private _pushedWhileLoading = new Map<string, Map<string, IPoints>>();
  private _folds = new Map<string, boolean>();
  private _xAxis: XAxis = 'step';
  private _smoothing = 0.6;
  private _logY = false;
  private _ignoreOutliers = false;
  private _search = '';
  private _generation = 0;
  private _view = 0;
  private _revisions = new Map<string, number>();
  private _watching: number | null = null;
  private _disposed = false;
  private _changed = new Signal<this, void>(this);
  private _appended = new Signal<this, IAppended[]>(this);
}

export namespace ScalarsModel {
  export interface IOptions {
    service: IScalarsService;
    /** Points per run and key the service sends (default 1500). */
    maxPoints?: number;
  }
}

namespace Private {
  export function prefixOf(key: string): string {
    const slash = key.indexOf('/');
    return slash < 0 ? '' : key.slice(0, slash);
  }

  export function compareText(a: string, b: string): number {
    return a < b ? -1 : a > b ? 1 : 0;
  }

  export function runName(meta: RunMeta): string {
    return meta.label || `${meta.notebookName} ${meta.id.slice(0, 8)}`;
  }
}
