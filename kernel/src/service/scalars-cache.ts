/**
 * Series the Scalars panel asked for recently, kept while their run's logs are unchanged:
 * zooming in and out, switching the x axis and exporting CSV ask for the same series
 * again, and reading a run's logs means decoding every point of every key (about 45 ms
 * for 500,000 points). A run's logs are unchanged while their names, sizes and
 * modification times are (they are append-only); the least recently used series go
 * first once the cache holds `maxBytes`.
 */
import * as fs from 'fs';
import type { ISeriesColumns } from '../tracking/downsample';
import { scalarLogFiles, type IScalarColumns } from '../tracking/scalars';
import { seriesByKey } from '../tracking/scalars-points';

/** A run's series of some keys, and the wall time of its first point (NaN without points). */
export interface IRunSeries {
  start: number;
  series: Map<string, ISeriesColumns>;
}

interface IEntry extends IRunSeries {
  signature: string;
  bytes: number;
}

/** What a run's logs look like now: names, sizes, modification times. */
function logsSignature(runPath: string): string {
  return scalarLogFiles(runPath)
    .map(file => {
      try {
        const stat = fs.statSync(file);
        return `${file}:${stat.size}:${stat.mtimeMs}`;
      } catch {
        return `${file}:gone`;
      }
    })
    .join('\n');
}

function seriesBytes(series: ISeriesColumns): number {
  return series.step.byteLength + series.time.byteLength + series.value.byteLength;
}

export class SeriesCache {
  constructor(readonly maxBytes = 256 * 1024 * 1024) {}

  /** Bytes of the series held. */
  get bytes(): number {
    let total = 0;
    for (const entry of this._runs.values()) {
      total += entry.bytes;
    }
    return total;
  }

  /**
   * The series of `keys` of the run at `runPath`: from the cache while its logs are
   * unchanged, else from `read` (every point of the run), whose series are kept.
   */
  get(runPath: string, keys: readonly string[], read: () => IScalarColumns): IRunSeries {
    const signature = logsSignature(runPath);
    let entry = this._runs.get(runPath);
    if (entry && entry.signature !== signature) {
      entry = undefined;
    }
    this._runs.delete(runPath);
    const missing = keys.filter(key => !entry?.series.has(key));
    if (!entry || missing.length > 0) {
      const columns = read();
      // Merged by wall time, so the first point is the earliest.
      const start = columns.length > 0 ? columns.time[0] : NaN;
      entry ??= { signature, start, series: new Map(), bytes: 0 };
      for (const [key, series] of seriesByKey(columns, missing)) {
        entry.series.set(key, series);
        entry.bytes += seriesBytes(series);
      }
    }
    const held: IEntry = entry;
    // Most recently used last.
    this._runs.set(runPath, held);
    this._evict(runPath);
    return {
      start: held.start,
      series: new Map(keys.map(key => [key, held.series.get(key) as ISeriesColumns]))
    };
  }

  /** Drops the least recently used runs' series until the cache fits (never `keep`'s). */
  private _evict(keep: string): void {
    let total = this.bytes;
    for (const [runPath, entry] of this._runs) {
      if (total <= this.maxBytes || runPath === keep) {
        break;
      }
      this._runs.delete(runPath);
      total -= entry.bytes;
    }
  }

  private readonly _runs = new Map<string, IEntry>();
}
