/**
 * Saved views of the Compare panel: stored and read back whole, replaced by name, and
 * read defensively from state another version (or a hand edit) wrote.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { viewsFromJSON, viewsKey, viewsToJSON, withView, type ICompareView } from './views';

const BEST: ICompareView = {
  name: 'best by loss',
  columns: ['label', '=lr', '#loss'],
  onlyDiffering: true,
  sort: [
    { column: '#loss', direction: 'ascending' },
    { column: '=lr', direction: 'descending' }
  ],
  where: '#loss < 0.5'
};

describe('saved views', () => {
  it('round-trips through the state database form (JSON text included)', () => {
    const all = [BEST, { ...BEST, name: 'all', columns: null, sort: [], where: '' }];
    assert.deepEqual(viewsFromJSON(JSON.parse(JSON.stringify(viewsToJSON(all)))), all);
  });

  it('replaces a view of the same name, else adds it last', () => {
    const other = { ...BEST, name: 'other' };
    const changed = { ...BEST, where: '' };
    assert.deepEqual(withView([BEST, other], changed), [changed, other]);
    assert.deepEqual(withView([other], BEST), [other, BEST]);
  });

  it('keeps what parses of a damaged value', () => {
    assert.deepEqual(viewsFromJSON(null), []);
    assert.deepEqual(viewsFromJSON({ views: 'x' }), []);
    assert.deepEqual(
      viewsFromJSON({
        views: [
          { name: '' },
          7,
          {
            name: 'kept',
            columns: ['a', 3],
            sort: [
              { column: '#loss', direction: 'up' },
              { column: '=lr', direction: 'descending' }
            ],
            onlyDiffering: 'yes'
          }
        ]
      }),
      [
        {
          name: 'kept',
          columns: null,
          onlyDiffering: false,
          sort: [{ column: '=lr', direction: 'descending' }],
          where: ''
        }
      ]
    );
  });

  it('keeps the views of each runs root apart', () => {
    assert.notEqual(viewsKey(''), viewsKey('/data/runs'));
  });
});
