/**
 * The display rules: numbers, durations, clocks and objectives as every surface writes them.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  bestBy,
  formatClock,
  formatDuration,
  formatElapsed,
  formatNumber,
  parseObjective
} from './display';

describe('formatNumber', () => {
  it('keeps integers, gives others 4 significant digits, exponents when tiny or huge', () => {
    const cases: [number, string][] = [
      [42, '42'],
      [123456, '123456'],
      [-0.5, '-0.5'],
      [0.001, '0.001'],
      [0.25, '0.25'],
      [1 / 3, '0.3333'],
      [1234.5678, '1235'],
      [12345.678, '12350'],
      [0.00001234, '1.234e-5'],
      [2.5e-7, '2.5e-7'],
      [1.5e9, '1.5e+9'],
      [1e12, '1e+12'],
      [NaN, 'NaN'],
      [Infinity, 'Infinity']
    ];
    for (const [n, text] of cases) {
      assert.equal(formatNumber(n), text, String(n));
    }
  });
});

describe('durations', () => {
  it('writes how long something took with tenths below 10 s, then s, m, h', () => {
    assert.equal(formatDuration(400), '0.4s');
    assert.equal(formatDuration(12_000), '12s');
    assert.equal(formatDuration(185_000), '3m05s');
    assert.equal(formatDuration(7_440_000), '2h04m');
  });

  it('writes a clock as m:ss, h:mm:ss; in a table cell whole seconds below a minute', () => {
    assert.equal(formatClock(0), '0:00');
    assert.equal(formatClock(83_000), '1:23');
    assert.equal(formatClock(3_723_000), '1:02:03');
    assert.equal(formatElapsed(4_999), '4s');
    assert.equal(formatElapsed(65_000), '1:05');
    assert.equal(formatElapsed(3_723_000), '1:02:03');
  });
});

describe('objectives', () => {
  it('reads an objective as --sort reads a key: - is descending, higher is better', () => {
    assert.deepEqual(parseObjective('-#acc'), { key: 'acc', descending: true, text: '-#acc' });
    assert.deepEqual(parseObjective('#loss'), { key: 'loss', descending: false, text: '#loss' });
    assert.deepEqual(parseObjective(' + loss '), {
      key: 'loss',
      descending: false,
      text: '#loss'
    });
    assert.equal(parseObjective(''), null);
    assert.equal(parseObjective('-#'), null);
    assert.equal(parseObjective('#val loss'), null);
  });

  it('picks the highest value for -#acc and the lowest for #loss, skipping NaN and none', () => {
    const runs = [{ acc: 0.7 }, { acc: 0.9 }, {}, { acc: NaN }, { acc: 0.6 }];
    const acc = (r: { acc?: number }): number | undefined => r.acc;
    assert.deepEqual(bestBy(runs, parseObjective('-#acc')!, acc), { item: runs[1], value: 0.9 });
    assert.deepEqual(bestBy(runs, parseObjective('#acc')!, acc), { item: runs[4], value: 0.6 });
    assert.equal(bestBy([{}], parseObjective('-#acc')!, acc), null);
  });
});
