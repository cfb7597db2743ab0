/**
 * Reducing a long scalar series to a bounded number of points for a chart, without ever
 * losing its extremes, and cutting the window of an x range when the user zooms in.
 *
 * Method: M4-style min/max buckets (what W&B's "full fidelity" lines do). The points are
 * split into equal-count buckets in record order, and each bucket keeps its first, last,
 * lowest and highest point (and its first NaN, so a gap stays a gap). A line through the
 * kept points covers the same vertical extent as the full series in every bucket, so a
 * spike is never averaged away, which random sampling (TensorBoard's reservoir) or LTTB
 * (not guaranteed to keep extrema) can do. Buckets are by count, not by x, so the result
 * serves every x axis the Scalars panel offers (step, wall time, relative time) and steps
 * that restart (a restarted run) are no problem.
 */

/** One key's points as columns, in record (time) order. */
export interface ISeriesColumns {
  step: Float64Array;
  /** Wall time, ms since the epoch. */
  time: Float64Array;
  value: Float64Array;
}

/** An x range, both ends included. */
export interface IXWindow {
  /** What `from` and `to` are: steps, or wall times in ms since the epoch. */
  axis: 'step' | 'time';
  from: number;
  to: number;
}

/** Options of `selectPoints`. */
export interface IDownsampleOptions {
  /** At most this many points are kept (at least 5). */
  maxPoints: number;
  /** Only the points in this x range; all points when absent. */
  window?: IXWindow;
}

/** The smallest `maxPoints`: one bucket's first, last, min, max and NaN. */
export const MIN_POINTS = 5;

/**
 * The indices (ascending) of the points to draw: every point of the window when they are
 * at most `maxPoints`, else its min/max buckets. `total` is the number of points in the
 * window, so a caller knows whether the result is full resolution (`total` equal to the
 * number of indices).
 */
export function selectPoints(
  series: ISeriesColumns,
  options: IDownsampleOptions
): { indices: Uint32Array; total: number } {
  const { maxPoints } = options;
  if (!Number.isInteger(maxPoints) || maxPoints < MIN_POINTS) {
    throw new RangeError(`maxPoints must be a whole number of at least ${MIN_POINTS}`);
  }
  const candidates = options.window
    ? windowIndices(options.window.axis === 'step' ? series.step : series.time, options.window)
    : allIndices(series.value.length);
  if (candidates.length <= maxPoints) {
    return { indices: candidates, total: candidates.length };
  }
  return { indices: minMaxBuckets(series.value, candidates, maxPoints), total: candidates.length };
}

/** The columns of `series` at `indices`. */
export function takePoints(series: ISeriesColumns, indices: Uint32Array): ISeriesColumns {
  const n = indices.length;
  const out: ISeriesColumns = {
    step: new Float64Array(n),
    time: new Float64Array(n),
    value: new Float64Array(n)
  };
  for (let i = 0; i < n; i++) {
    const j = indices[i];
    out.step[i] = series.step[j];
    out.time[i] = series.time[j];
    out.value[i] = series.value[j];
  }
  return out;
}

function allIndices(n: number): Uint32Array {
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = i;
  }
  return out;
}

/** The indices of the points whose x lies in the window (x need not be monotone). */
function windowIndices(x: Float64Array, window: IXWindow): Uint32Array {
  const { from, to } = window;
  let count = 0;
  for (let i = 0; i < x.length; i++) {
    if (x[i] >= from && x[i] <= to) {
      count++;
    }
  }
  const out = new Uint32Array(count);
  let o = 0;
  for (let i = 0; i < x.length && o < count; i++) {
    if (x[i] >= from && x[i] <= to) {
      out[o++] = i;
    }
  }
  return out;
}

/**
 * Per equal-count bucket of `candidates`: first, last, min, max and first NaN, in index
 * order, without repeats. Infinities count as the extremes they are. Five points per
 * bucket when the series has a NaN, else four.
 */
function minMaxBuckets(
  value: Float64Array,
  candidates: Uint32Array,
  maxPoints: number
): Uint32Array {
  const n = candidates.length;
  let hasNaN = false;
  for (let c = 0; c < n && !hasNaN; c++) {
    hasNaN = Number.isNaN(value[candidates[c]]);
  }
  const buckets = Math.floor(maxPoints / (hasNaN ? 5 : 4));
  const out = new Uint32Array(maxPoints);
  const picked = [0, 0, 0, 0, 0];
  let o = 0;
  for (let b = 0; b < buckets; b++) {
    const start = Math.floor((b * n) / buckets);
    const end = Math.floor(((b + 1) * n) / buckets);
    let min = -1;
    let max = -1;
    let nan = -1;
    for (let c = start; c < end; c++) {
      const v = value[candidates[c]];
      if (v !== v) {
        if (nan < 0) {
          nan = c;
        }
      } else {
        if (min < 0 || v < value[candidates[min]]) {
          min = c;
        }
        if (max < 0 || v > value[candidates[max]]) {
          max = c;
        }
      }
    }
    let k = 0;
    for (const c of [start, min, max, nan, end - 1]) {
      if (c >= 0) {
        picked[k++] = c;
      }
    }
    const sorted = picked.slice(0, k).sort((a, z) => a - z);
    for (let i = 0; i < k; i++) {
      if (i === 0 || sorted[i] !== sorted[i - 1]) {
        out[o++] = candidates[sorted[i]];
      }
    }
  }
  return out.slice(0, o);
}
