/**
 * Downsampling a scalar series: the bound, extremes kept, NaN gaps kept, exact zoom
 * windows, and a 100,000-point key read back from a run's real scalar logs as Arrow IPC.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { arrow } from '../store/index-arrow';
import { tempDir } from '../testing/fixtures';
import { selectPoints, takePoints, type ISeriesColumns } from './downsample';
import { OUTPUT_SCALAR_LOG, ScalarLogWriter, scalarsDir } from './scalars-format';
import { scalarPointsIPC, seriesByKey } from './scalars-points';
import { readScalarColumns } from './scalars';

/** A deterministic random walk of `n` points, steps 0..n-1, one point per 10 ms. */
function walk(n: number, seed = 1): ISeriesColumns {
  let state = seed;
  const random = (): number => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  const series: ISeriesColumns = {
    step: new Float64Array(n),
    time: new Float64Array(n),
    value: new Float64Array(n)
  };
  let v = 0;
  for (let i = 0; i < n; i++) {
    v += random() - 0.5;
    series.step[i] = i;
    series.time[i] = 1.7e12 + 10 * i;
    series.value[i] = v;
  }
  return series;
}

function assertAscendingUnique(indices: Uint32Array): void {
  for (let i = 1; i < indices.length; i++) {
    assert.ok(indices[i] > indices[i - 1], `index ${i} not ascending`);
  }
}

function argExtremes(values: Float64Array): { min: number; max: number } {
  let min = 0;
  let max = 0;
  values.forEach((v, i) => {
    min = v < values[min] ? i : min;
    max = v > values[max] ? i : max;
  });
  return { min, max };
}

describe('selectPoints', () => {
  it('keeps every point of a series within the bound', () => {
    const series = walk(800);
    const { indices, total } = selectPoints(series, { maxPoints: 800 });
    assert.equal(total, 800);
    assert.deepEqual([...indices], [...Array(800).keys()]);
  });

  it('reduces 100,000 points to the bound, first, last and extremes kept', () => {
    const series = walk(100_000);
    for (const maxPoints of [5, 1000, 1001, 4096]) {
      const { indices, total } = selectPoints(series, { maxPoints });
      assert.equal(total, 100_000);
      assert.ok(indices.length <= maxPoints, `${indices.length} > ${maxPoints}`);
      // Fewer when a bucket's first or last point is also its min or max.
      assert.ok(indices.length >= maxPoints / 2, `${indices.length} points for ${maxPoints}`);
      assertAscendingUnique(indices);
      assert.equal(indices[0], 0);
      assert.equal(indices[indices.length - 1], 99_999);
      const { min, max } = argExtremes(series.value);
      assert.ok(indices.includes(min) && indices.includes(max), 'global min and max kept');
    }
  });

  it('never loses a one-point spike, infinities included', () => {
    const series = walk(100_000, 7);
    const spikes = [12_345, 50_001, 77_777, 99_998];
    series.value[12_345] = 1e6;
    series.value[50_001] = -1e6;
    series.value[77_777] = Infinity;
    series.value[99_998] = -Infinity;
    const { indices } = selectPoints(series, { maxPoints: 400 });
    const kept = takePoints(series, indices);
    for (const spike of spikes) {
      assert.ok(indices.includes(spike), `spike at ${spike} kept`);
    }
    assert.equal(Math.max(...kept.value), Infinity);
    assert.equal(Math.min(...kept.value), -Infinity);
  });

  it('keeps the extent of every bucket: each stretch of the series is covered by the kept points', () => {
    const series = walk(100_000, 3);
    const { indices } = selectPoints(series, { maxPoints: 1000 });
    // Between consecutive kept points, no dropped point lies outside the range that the
    // neighbouring kept points of its bucket span: the drawn band is the true band.
    for (let b = 0; b < 250; b++) {
      const start = Math.floor((b * 100_000) / 250);
      const end = Math.floor(((b + 1) * 100_000) / 250);
      const bucket = series.value.subarray(start, end);
      const keptHere = [...indices].filter(i => i >= start && i < end).map(i => series.value[i]);
      assert.equal(Math.min(...keptHere), Math.min(...bucket));
      assert.equal(Math.max(...keptHere), Math.max(...bucket));
    }
  });

  it('keeps a NaN of each bucket that has one, so gaps stay gaps, within the bound', () => {
    const series = walk(10_000);
    series.value.fill(NaN, 5000, 5003);
    const { indices } = selectPoints(series, { maxPoints: 100 });
    assert.ok(indices.length <= 100);
    const kept = takePoints(series, indices);
    assert.equal(kept.value.filter(v => Number.isNaN(v)).length, 1);
    const { min, max } = argExtremes(series.value.map(v => (Number.isNaN(v) ? 0 : v)));
    assert.ok(indices.includes(min) && indices.includes(max));
  });

  it('returns exactly the points of a zoom window by step or by wall time', () => {
    const series = walk(100_000);
    const byStep = selectPoints(series, {
      maxPoints: 1000,
      window: { axis: 'step', from: 20_000, to: 20_500 }
    });
    assert.equal(byStep.total, 501);
    assert.deepEqual(
      [...byStep.indices],
      Array.from({ length: 501 }, (_, i) => 20_000 + i)
    );
    const kept = takePoints(series, byStep.indices);
    assert.deepEqual(kept.value, series.value.slice(20_000, 20_501));
    const byTime = selectPoints(series, {
      maxPoints: 1000,
      window: { axis: 'time', from: series.time[300], to: series.time[309] - 1 }
    });
    assert.deepEqual([...byTime.indices], [300, 301, 302, 303, 304, 305, 306, 307, 308]);
  });

  it('downsamples a window wider than the bound, staying inside it', () => {
    const series = walk(100_000);
    const { indices, total } = selectPoints(series, {
      maxPoints: 200,
      window: { axis: 'step', from: 10_000, to: 59_999 }
    });
    assert.equal(total, 50_000);
    assert.ok(indices.length <= 200);
    assert.equal(indices[0], 10_000);
    assert.equal(indices[indices.length - 1], 59_999);
    const window = series.value.subarray(10_000, 60_000);
    const kept = takePoints(series, indices).value;
    assert.equal(Math.min(...kept), Math.min(...window));
    assert.equal(Math.max(...kept), Math.max(...window));
  });

  it('finds a window in steps that restart (a restarted run)', () => {
    const series = walk(20);
    series.step.set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const { indices } = selectPoints(series, {
      maxPoints: 10,
      window: { axis: 'step', from: 2, to: 3 }
    });
    assert.deepEqual([...indices], [2, 3, 12, 13]);
  });

  it('rejects a bound too small to hold a bucket', () => {
    assert.throws(() => selectPoints(walk(10), { maxPoints: 4 }), RangeError);
    assert.throws(() => selectPoints(walk(10), { maxPoints: 10.5 }), RangeError);
  });
});

describe('scalarPointsIPC', () => {
  it("reads 100,000 points of a key from a run's logs and sends them as bounded Arrow columns", () => {
    const run = tempDir();
    const writer = new ScalarLogWriter(path.join(scalarsDir(run), OUTPUT_SCALAR_LOG));
    const loss = walk(100_000, 11);
    loss.value[42_424] = -1e6;
    for (let i = 0; i < loss.value.length; i++) {
      writer.point('loss', loss.step[i], loss.time[i], loss.value[i]);
      if (i % 10 === 0) {
        writer.point('acc', loss.step[i], loss.time[i], i / 100_000);
      }
    }
    writer.close();
    const split = seriesByKey(readScalarColumns(run), ['loss', 'acc', 'no-such-key']);
    assert.deepEqual(split.get('loss'), loss);
    assert.equal(split.get('acc')?.value.length, 10_000);
    assert.equal(split.get('no-such-key')?.value.length, 0);
    const points = (key: string, options: Parameters<typeof scalarPointsIPC>[2]) =>
      arrow.tableFromIPC(scalarPointsIPC(run, [key], options).get(key) as Uint8Array);

    const table = points('loss', { maxPoints: 2000 });
    assert.deepEqual(
      table.schema.fields.map(f => `${f.name}:${f.type}`),
      ['step:Float64', 'time:Float64', 'value:Float64']
    );
    assert.equal(table.schema.metadata.get('nbx.key'), 'loss');
    assert.equal(table.schema.metadata.get('nbx.total'), '100000');
    assert.equal(table.schema.metadata.get('nbx.downsampled'), 'true');
    assert.ok(table.numRows <= 2000 && table.numRows > 1900);
    const value = table.getChild('value')?.toArray() as Float64Array;
    const step = table.getChild('step')?.toArray() as Float64Array;
    assert.equal(Math.min(...value), -1e6);
    assert.equal(step[value.indexOf(-1e6)], 42_424);
    assert.equal(Math.max(...value), Math.max(...loss.value));

    const zoom = points('loss', {
      maxPoints: 2000,
      window: { axis: 'step', from: 42_000, to: 42_999 }
    });
    assert.equal(zoom.schema.metadata.get('nbx.downsampled'), 'false');
    assert.equal(zoom.numRows, 1000);
    assert.deepEqual(zoom.getChild('value')?.toArray(), loss.value.slice(42_000, 43_000));
    assert.deepEqual(zoom.getChild('time')?.toArray(), loss.time.slice(42_000, 43_000));

    const both = scalarPointsIPC(run, ['acc', 'no-such-key'], { maxPoints: 20_000 });
    assert.deepEqual([...both.keys()], ['acc', 'no-such-key']);
    const acc = arrow.tableFromIPC(both.get('acc') as Uint8Array);
    assert.equal(acc.numRows, 10_000);
    assert.equal(acc.schema.metadata.get('nbx.key'), 'acc');
    const none = arrow.tableFromIPC(both.get('no-such-key') as Uint8Array);
    assert.equal(none.numRows, 0);
    assert.equal(none.schema.metadata.get('nbx.total'), '0');
  });
});
