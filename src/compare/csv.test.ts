/**
 * CSV fields and cells as `nbx compare --csv` writes them (RFC 4180 quoting).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { csvCell, csvField, csvText } from './csv';

describe('csvField', () => {
  it('quotes a field holding a quote, comma, CR or LF, doubling its quotes', () => {
    assert.equal(csvField('plain text'), 'plain text');
    assert.equal(csvField('a,b'), '"a,b"');
    assert.equal(csvField('say "hi"'), '"say ""hi"""');
    assert.equal(csvField('line\r\nbreak'), '"line\r\nbreak"');
    assert.equal(csvField('cr\ronly'), '"cr\ronly"');
    assert.equal(csvField(''), '');
  });
});

describe('csvCell', () => {
  it('writes numbers in full, times in ISO 8601, tags joined, nulls empty', () => {
    assert.equal(csvCell(0.1 + 0.2, 'number'), '0.30000000000000004');
    assert.equal(csvCell(Date.UTC(2026, 0, 2, 3, 4, 5, 6), 'time'), '2026-01-02T03:04:05.006Z');
    assert.equal(csvCell(['a', 'b'], 'list'), 'a,b');
    assert.equal(csvCell(false, 'bool'), 'false');
    assert.equal(csvCell(null, 'number'), '');
  });
});

describe('csvText', () => {
  it('writes a header and rows, each line ended by LF', () => {
    assert.equal(
      csvText(
        ['id', '#a,b'],
        [
          ['x', '1'],
          ['y', '']
        ]
      ),
      'id,"#a,b"\nx,1\ny,\n'
    );
  });
});
