/**
 * The charts' data over a comparison: parallel-coordinates axes (numbers as they are,
 * strings as ranks with their texts), ranges brushed on them turned into the grid's row
 * filter, and the points of a scatter of the rows shown.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Float64, Table, Utf8, vectorFromArray } from 'apache-arrow';
import { brushFilters, parcoordsAxes, scatterPoints } from './chart-data';
import { CompareModel } from './model';

function model(): CompareModel {
  return new CompareModel({
    table: new Table({
      id: vectorFromArray(['r1', 'r2', 'r3', 'r4'], new Utf8()),
      '=optimizer': vectorFromArray(['sgd', 'adam', null, 'adam'], new Utf8()),
      '=lr': vectorFromArray([0.1, 0.01, 0.001, 0.03], new Float64()),
      '#loss': vectorFromArray([0.9, 0.2, 0.5, null], new Float64())
    })
  });
}

function ids(m: CompareModel): string[] {
  return Array.from({ length: m.rowCount }, (_, row) => String(m.cell(row, 'id')));
}

describe('parcoordsAxes', () => {
  it('plots numbers as they are and strings as ranks labelled by their text', () => {
    const [optimizer, lr, loss] = parcoordsAxes(model(), ['=optimizer', '=lr', '#loss']);
    assert.deepEqual(optimizer.values, [1, 0, null, 0]);
    assert.deepEqual(optimizer.tickvals, [0, 1]);
    assert.deepEqual(optimizer.ticktext, ['adam', 'sgd']);
    assert.deepEqual(lr.values, [0.1, 0.01, 0.001, 0.03]);
    assert.equal(lr.tickvals, undefined);
    assert.deepEqual(loss.values, [0.9, 0.2, 0.5, null]);
  });

  it('carries the brushed ranges back to the axes', () => {
    const m = model();
    m.setRangeFilters([{ column: '=lr', ranges: [[0.005, 0.05]] }]);
    const [lr, loss] = parcoordsAxes(m, ['=lr', '#loss']);
    assert.deepEqual(lr.constraintrange, [[0.005, 0.05]]);
    assert.equal(loss.constraintrange, undefined);
  });
});

describe('brushFilters', () => {
  it('reads one range, several ranges and cleared axes as plotly reports them', () => {
    const m = model();
    const filters = brushFilters(
      [
        { column: '=lr', constraintrange: [0.05, 0.005] },
        {
          column: '#loss',
          constraintrange: [
            [0, 0.3],
            [0.8, 1]
          ]
        },
        { column: '=optimizer', constraintrange: undefined }
      ],
      column => m.kind(column)
    );
    assert.deepEqual(filters, [
      { column: '=lr', ranges: [[0.005, 0.05]] },
      {
        column: '#loss',
        ranges: [
          [0, 0.3],
          [0.8, 1]
        ]
      }
    ]);
  });

  it('widens a range on a string axis to the ranks it covers', () => {
    const m = model();
    const filters = brushFilters([{ column: '=optimizer', constraintrange: [-0.2, 0.4] }], column =>
      m.kind(column)
    );
    assert.deepEqual(filters, [{ column: '=optimizer', ranges: [[0, 0]] }]);
    m.setRangeFilters(filters);
    assert.deepEqual(ids(m), ['r2', 'r4']);
  });

  it('filters the rows shown, sorted, every filter holding; cleared shows all again', () => {
    const m = model();
    let changes = 0;
    m.changed.connect(() => changes++);
    m.setSort([{ column: '#loss', direction: 'ascending' }]);
    m.setRangeFilters(
      brushFilters(
        [
          { column: '=lr', constraintrange: [0.005, 0.2] },
          { column: '#loss', constraintrange: [0, 1] }
        ],
        column => m.kind(column)
      )
    );
    // r4 has no loss: a range on an axis drops rows without a value on it.
    assert.deepEqual(ids(m), ['r2', 'r1']);
    assert.equal(m.rowCount, 2);
    assert.equal(m.toCsv().split('\n').length, 4);
    m.setRangeFilters([]);
    assert.deepEqual(ids(m), ['r2', 'r3', 'r1', 'r4']);
    assert.equal(changes, 3);
  });
});

describe('scatterPoints', () => {
  it('pairs the rows shown that have both values, in the order shown', () => {
    const m = model();
    m.setSort([{ column: '=lr', direction: 'ascending' }]);
    assert.deepEqual(scatterPoints(m, '=optimizer', '#loss'), {
      x: ['adam', 'sgd'],
      y: [0.2, 0.9],
      rows: [1, 0]
    });
    assert.deepEqual(scatterPoints(m, '=lr', '#loss').x, [0.001, 0.01, 0.1]);
  });
});
