import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { axisNumber, linePath, plotArea } from './live-draw';

/** A `_fullLayout` as plotly lays out a chart: plot area at (56, 8), 400 × 200 px. */
function layout(
  x: { range: unknown[]; type?: string },
  y: { range: unknown[]; type?: string }
): unknown {
  return { _size: { l: 56, t: 8, w: 400, h: 200 }, xaxis: x, yaxis: y };
}

describe('plotArea', () => {
  it('reads the axes as laid out, dates as UTC ms, log axes in log10 units', () => {
    const area = plotArea(
      layout(
        { range: ['2026-03-01 00:00:00', '2026-03-01 00:01:40'], type: 'date' },
        { range: [-2, 1], type: 'log' }
      )
    );
    assert.deepEqual(area, {
      x: {
        from: Date.parse('2026-03-01T00:00:00Z'),
        to: Date.parse('2026-03-01T00:01:40Z'),
        log: false,
        offset: 56,
        length: 400
      },
      y: { from: -2, to: 1, log: true, offset: 8, length: 200 }
    });
  });

  it('is null before the chart is laid out, or for an empty range', () => {
    assert.equal(plotArea(undefined), null);
    assert.equal(plotArea({ xaxis: {}, yaxis: {} }), null);
    assert.equal(plotArea(layout({ range: [0, 0] }, { range: [0, 1] })), null);
    assert.equal(plotArea(layout({ range: ['no date', 1] }, { range: [0, 1] })), null);
  });
});

describe('linePath', () => {
  const area = plotArea(layout({ range: [0, 100] }, { range: [0, 10] }))!;

  it('maps points to the plot pixels, y growing downwards', () => {
    assert.equal(linePath(area, [0, 50, 100], [0, 5, 10]), 'M56.0,208.0L256.0,108.0L456.0,8.0');
  });

  it('draws outside the ranges as well (the redraw rescales)', () => {
    assert.equal(linePath(area, [100, 110], [10, 12]), 'M456.0,8.0L496.0,-32.0');
  });

  it('breaks the line at NaN, and at values a log axis cannot show', () => {
    assert.equal(
      linePath(area, [0, 10, 20, 30], [1, NaN, 2, 3]),
      'M56.0,188.0M136.0,168.0L176.0,148.0'
    );
    const log = plotArea(layout({ range: [0, 100] }, { range: [-1, 1], type: 'log' }))!;
    assert.equal(linePath(log, [0, 50, 100], [1, 0, 10]), 'M56.0,108.0M456.0,8.0');
  });
});

describe('axisNumber', () => {
  it('takes numbers and plotly date strings', () => {
    assert.equal(axisNumber(3.5), 3.5);
    assert.equal(axisNumber('2026-03-01 00:00:01.5'), Date.parse('2026-03-01T00:00:01.500Z'));
    assert.equal(axisNumber(Infinity), null);
    assert.equal(axisNumber('later'), null);
    assert.equal(axisNumber(null), null);
  });
});
