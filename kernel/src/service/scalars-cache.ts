/**
 * The runs' series the Scalars panel asked for recently, kept in memory while their logs
 * are unchanged: zooming in and out, switching the x axis and exporting CSV ask for the
 * same series again. Each run's series come from its cache on disk (see
 * tracking/series-cache), checked against the logs' names, sizes and modification times
 * on every use (the logs are append-only); the least recently used runs go first once the
 * cache holds `maxBytes`.
 */
import {
  logsSignature,
  openRunSeries,
  type IOpenRunSeriesOptions,
  type IRunRef,
  type RunSeries
} from '../tracking/series-cache';

export class SeriesCache {
  constructor(readonly maxBytes = 256 * 1024 * 1024) {}

  /** Bytes of the series held. */
  get bytes(): number {
    let total = 0;
    for (const series of this._runs.values()) {
      total += series.bytes;
    }
    return total;
  }

  /**
   * The series of `run`: those held while its logs are unchanged, else opened again
   * (`open`, by default from the cache on disk or the logs).
   */
  get(
    run: IRunRef,
    options: IOpenRunSeriesOptions = {},
    open: (run: IRunRef, signature: string) => RunSeries = (r, signature) =>
      openRunSeries(r, { ...options, signature })
  ): RunSeries {
    const signature = logsSignature(run.path);
    let series = this._runs.get(run.path);
    this._runs.delete(run.path);
    if (!series || series.signature !== signature) {
      series = open(run, signature);
    }
    // Most recently used last.
    this._runs.set(run.path, series);
    this._evict(run.path);
    return series;
  }

  /** Drops the least recently used runs' series until the cache fits (never `keep`'s). */
  private _evict(keep: string): void {
    let total = this.bytes;
    for (const [runPath, series] of this._runs) {
      if (total <= this.maxBytes || runPath === keep) {
        break;
      }
      this._runs.delete(runPath);
      total -= series.bytes;
    }
  }

  private readonly _runs = new Map<string, RunSeries>();
}
