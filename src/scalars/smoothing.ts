/**
 * The Scalars panel's smoothing: TensorBoard's debiased exponential moving average (the
 * "classic" smoothing of its line charts, which W&B and DVC reproduce), so a curve looks
 * the same here as there for the same slider value.
 *
 * With weight `s`, the n-th finite value smooths to `Σ s^(n-i)·y_i / Σ s^(n-i)` over the
 * finite values so far: an exponentially weighted mean that starts at the first value
 * instead of being pulled toward 0 (the division by `1 - s^n` is the debias). It is
 * index-based (x spacing is ignored, as in TensorBoard), causal, and O(n), so a live chart
 * smooths only the points it appends (`DebiasedEma`).
 *
 * Where this departs from TensorBoard's code, it is toward the value its formula means:
 * at `s = 1` TensorBoard outputs zeros (its debias is forced to 1), here the limit of the
 * formula, the running mean; and while every finite value so far is equal, the output is
 * that value exactly (TensorBoard returns a wholly constant series unchanged, so that
 * rounding does not draw a flat line as noise; doing it per prefix keeps that true for
 * appended points too).
 */

/** The weight as used: non-finite counts as 0 (no smoothing), clamped to [0, 1]. */
export function smoothingWeight(weight: number): number {
  return Number.isFinite(weight) ? Math.min(1, Math.max(0, weight)) : 0;
}

/**
 * The smoothing state of one series, fed one value at a time. Non-finite values (NaN,
 * ±Infinity) pass through as they are and do not move the average.
 */
export class DebiasedEma {
  constructor(weight: number) {
    this._weight = smoothingWeight(weight);
  }

  /** The smoothed value of the next point `y`. */
  push(y: number): number {
    if (!Number.isFinite(y)) {
      return y;
    }
    const s = this._weight;
    this._count++;
    if (this._count === 1) {
      this._first = y;
    }
    this._constant = this._constant && y === this._first;
    if (s === 1) {
      this._sum += y;
      return this._constant ? y : this._sum / this._count;
    }
    this._last = this._last * s + (1 - s) * y;
    if (this._constant) {
      return y;
    }
    return this._last / (1 - Math.pow(s, this._count));
  }

  private readonly _weight: number;
  private _count = 0;
  private _last = 0;
  private _sum = 0;
  private _first = 0;
  private _constant = true;
}

/** The smoothed values of `values` (e.g. an Arrow Float64 column's array) with `weight`. */
export function smooth(values: ArrayLike<number>, weight: number): Float64Array {
  const ema = new DebiasedEma(weight);
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    out[i] = ema.push(values[i]);
  }
  return out;
}
