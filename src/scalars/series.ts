/**
 * A run's points of one key as the Scalars panel holds them: columns decoded from the
 * service's Arrow IPC bytes (`scalarPoints`, `scalars-appended`), grown as live points
 * arrive, and the statistics the charts need (the "ignore outliers" y range).
 */
import { tableFromIPC } from 'apache-arrow';

/** One series' columns, in record (time) order. */
export interface IPoints {
  step: Float64Array;
  /** Wall time, ms since the epoch. */
  time: Float64Array;
  value: Float64Array;
}

/** The columns of an Arrow IPC stream with Float64 `step`, `time` and `value`. */
export function decodePoints(buffer: DataView): IPoints {
  const bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const table = tableFromIPC(bytes);
  const column = (name: string): Float64Array => {
    const values = table.getChild(name)?.toArray();
    return values instanceof Float64Array ? values : Float64Array.from(values ?? []);
  };
  return { step: column('step'), time: column('time'), value: column('value') };
}

/** No points. */
export function emptyPoints(): IPoints {
  return { step: new Float64Array(0), time: new Float64Array(0), value: new Float64Array(0) };
}

/**
 * `points` followed by the points of `more` recorded after its last one (by wall time):
 * live pushes may repeat points a fetch already brought.
 */
export function appendPoints(points: IPoints, more: IPoints): IPoints {
  const last = points.time.length > 0 ? points.time[points.time.length - 1] : -Infinity;
  let from = 0;
  while (from < more.time.length && more.time[from] <= last) {
    from++;
  }
  if (from === more.time.length) {
    return points;
  }
  const join = (a: Float64Array, b: Float64Array): Float64Array => {
    const out = new Float64Array(a.length + b.length - from);
    out.set(a);
    out.set(b.subarray(from), a.length);
    return out;
  };
  return {
    step: join(points.step, more.step),
    time: join(points.time, more.time),
    value: join(points.value, more.value)
  };
}

/** The `q`-quantile (0..1) of sorted finite values, linearly interpolated. */
function quantile(sorted: Float64Array, q: number): number {
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}

/**
 * The y range that leaves out outliers: the 5th to 95th percentile of the finite values
 * (positive ones only on a log axis), padded by 10% of its height on each side; null when
 * there are no such values.
 */
export function outlierFreeRange(
  series: readonly Float64Array[],
  log: boolean
): [number, number] | null {
  const kept: number[] = [];
  for (const values of series) {
    for (const v of values) {
      if (Number.isFinite(v) && (!log || v > 0)) {
        kept.push(log ? Math.log10(v) : v);
      }
    }
  }
  if (kept.length === 0) {
    return null;
  }
  const sorted = Float64Array.from(kept).sort();
  const lo = quantile(sorted, 0.05);
  const hi = quantile(sorted, 0.95);
  const pad = (hi - lo) * 0.1 || Math.abs(hi) * 0.1 || 1;
  return [lo - pad, hi + pad];
}
