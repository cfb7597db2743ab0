/**
 * The debiased exponential moving average, checked against its closed form computed
 * independently here: the debias, NaN and infinities, weight 0 and 1, constant series,
 * and appending point by point.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DebiasedEma, smooth, smoothingWeight } from './smoothing';

/** `Σ s^(n-i)·y_i / Σ s^(n-i)` over the finite values up to each point (the definition). */
function closedForm(values: number[], s: number): number[] {
  const finite: number[] = [];
  return values.map(y => {
    if (!Number.isFinite(y)) {
      return y;
    }
    finite.push(y);
    let num = 0;
    let den = 0;
    finite.forEach((v, i) => {
      const w = Math.pow(s, finite.length - 1 - i);
      num += w * v;
      den += w;
    });
    return num / den;
  });
}

function assertClose(actual: ArrayLike<number>, expected: number[]): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (!Number.isFinite(e)) {
      assert.ok(Object.is(a, e), `point ${i}: ${a} is not ${e}`);
    } else {
      assert.ok(Math.abs(a - e) <= 1e-12 * Math.max(1, Math.abs(e)), `point ${i}: ${a} vs ${e}`);
    }
  }
}

const NOISY = [10.2, 9.7, 10.5, 9.9, 8.1, 7.4, 7.9, 6.2, 5.5, 5.9, 4.1, 4.4, 3.0, 3.3];

describe('smooth', () => {
  it('is the normalised exponentially weighted mean for every weight', () => {
    for (const s of [0.1, 0.5, 0.6, 0.9, 0.99, 0.999]) {
      assertClose(smooth(NOISY, s), closedForm(NOISY, s));
    }
  });

  it('is not pulled toward 0 at the start: the first point is the first value', () => {
    const out = smooth(NOISY, 0.9);
    assert.equal(out[0], 10.2);
    // A plain EMA started at 0 would give 1.02 and 1.888 here.
    assert.ok(out[1] > 9.7 && out[1] < 10.2);
    assert.ok(out.slice(0, 4).every(v => v > 9.5));
  });

  it('is the raw series at weight 0 (and for a non-finite or negative weight)', () => {
    const values = [3, NaN, -1.5, Infinity, 2e-300, 7];
    for (const s of [0, -0.5, NaN, -Infinity]) {
      const out = smooth(values, s);
      values.forEach((v, i) => assert.ok(Object.is(out[i], v), `${s}: point ${i}`));
    }
  });

  it('passes NaN and infinities through without moving the average', () => {
    const values = [1, NaN, 3, Infinity, -Infinity, 5, NaN];
    const out = smooth(values, 0.5);
    assertClose(out, closedForm(values, 0.5));
    assert.ok(Number.isNaN(out[1]) && Number.isNaN(out[6]));
    assert.equal(out[3], Infinity);
    assert.equal(out[4], -Infinity);
    // The same as smoothing the finite values alone.
    assertClose([out[0], out[2], out[5]], closedForm([1, 3, 5], 0.5));
  });

  it('is the running mean at weight 1 (the limit of the formula), and clamps above 1', () => {
    const mean = NOISY.map((_, i) => NOISY.slice(0, i + 1).reduce((a, b) => a + b) / (i + 1));
    assertClose(smooth(NOISY, 1), mean);
    assertClose(smooth(NOISY, 3), mean);
  });

  it('keeps a constant series, and a constant start, exactly', () => {
    const constant = new Array(1000).fill(0.1);
    assert.deepEqual([...smooth(constant, 0.6)], constant);
    const out = smooth([0.3, 0.3, 0.3, NaN, 0.3, 1.3], 0.95);
    assert.deepEqual([...out.slice(0, 3)], [0.3, 0.3, 0.3]);
    assert.equal(out[4], 0.3);
    assertClose([out[5]], [closedForm([0.3, 0.3, 0.3, 0.3, 1.3], 0.95)[4]]);
  });

  it('reads typed arrays (an Arrow column) and handles an empty series', () => {
    assertClose(smooth(Float64Array.from(NOISY), 0.6), closedForm(NOISY, 0.6));
    assert.equal(smooth(new Float64Array(0), 0.6).length, 0);
  });
});

describe('DebiasedEma', () => {
  it('smooths appended points as the whole series would be smoothed', () => {
    const series = Array.from({ length: 5000 }, (_, i) => Math.sin(i / 50) + (i % 7) / 10);
    series[1234] = NaN;
    const whole = smooth(series, 0.8);
    const live = new DebiasedEma(0.8);
    series.forEach((y, i) => assert.ok(Object.is(live.push(y), whole[i]), `point ${i}`));
  });
});

describe('smoothingWeight', () => {
  it('clamps to [0, 1] and reads non-finite weights as 0', () => {
    assert.deepEqual(
      [-1, 0, 0.6, 1, 2, NaN, Infinity].map(smoothingWeight),
      [0, 0, 0.6, 1, 1, 0, 0]
    );
  });
});
