/**
 * The updates the service pushes for a run's notebook: merged per cell within a push,
 * bounded in size, and computed from two versions of the notebook when the file was replaced.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JSONObject } from '../base/json';
import type { IRunCellUpdate } from '../contract';
import { boundUpdate, mergeText, mergeUpdate, notebookDiff, runningCell } from './run-updates';

const stream = (text: string): JSONObject => ({ output_type: 'stream', name: 'stdout', text });
const nb = (...cells: JSONObject[]): JSONObject => ({ cells });
const code = (
  outputs: JSONObject[],
  count: number | null = 1,
  execution?: JSONObject
): JSONObject => ({
  cell_type: 'code',
  source: '',
  execution_count: count,
  metadata: execution ? { execution } : {},
  outputs
});

describe('mergeText', () => {
  it('is the two changes one after the other', () => {
    assert.deepEqual(mergeText({ drop: 1, text: 'abc' }, { drop: 2, text: 'XY' }), {
      drop: 1,
      text: 'aXY'
    });
    assert.deepEqual(mergeText({ drop: 1, text: 'ab' }, { drop: 5, text: 'Z' }), {
      drop: 4,
      text: 'Z'
    });
  });
});

describe('mergeUpdate', () => {
  it('keeps one update per cell: text merged, set outputs whole, cleared ones forgotten', () => {
    const pending = new Map<number, IRunCellUpdate>();
    const output = stream('a');
    mergeUpdate(pending, { cell: 0, outputs: 1, text: [[0, { drop: 0, text: 'a' }]] });
    mergeUpdate(pending, { cell: 0, outputs: 1, text: [[0, { drop: 0, text: 'b' }]] });
    assert.deepEqual(pending.get(0)?.text, [[0, { drop: 0, text: 'ab' }]]);
    mergeUpdate(pending, { cell: 0, outputs: 2, set: [[1, output]], executionCount: 3 });
    mergeUpdate(pending, { cell: 0, outputs: 2, text: [[1, { drop: 0, text: 'more' }]] });
    assert.deepEqual(pending.get(0)?.set, [[1, output]], 'the set output already holds the text');
    assert.equal(pending.get(0)?.executionCount, 3);
    mergeUpdate(pending, { cell: 0, outputs: 0 });
    assert.deepEqual(pending.get(0), { cell: 0, outputs: 0, executionCount: 3 });
  });
});

describe('boundUpdate', () => {
  it('sends a stream that grew past the bound as its end', () => {
    const text = 'line\n'.repeat(1000);
    const notebook = nb(code([stream(text)]));
    const bounded = boundUpdate(
      notebook,
      { cell: 0, outputs: 1, text: [[0, { drop: 0, text }]] },
      100
    );
    assert.equal(bounded.text, undefined);
    const [[index, output]] = bounded.set ?? [];
    assert.equal(index, 0);
    const sent = String(output.text);
    assert.match(sent, /^\[\d+ characters before these are not shown while the run is live\]\n/);
    assert.ok(sent.endsWith('line\n') && sent.length < 200);
  });
});

describe('notebookDiff', () => {
  it('says text appended, outputs set and counts changed; null for other cells', () => {
    const before = nb(code([stream('a\n')], null), code([]));
    const after = nb(code([stream('a\nb\n'), stream('x')], 1), code([]));
    assert.deepEqual(notebookDiff(before, after), [
      {
        cell: 0,
        outputs: 2,
        set: [[1, stream('x')]],
        text: [[0, { drop: 0, text: 'b\n' }]],
        executionCount: 1
      }
    ]);
    assert.equal(notebookDiff(before, nb(code([]))), null);
  });
});

describe('runningCell', () => {
  it('is the last started cell without an execute reply', () => {
    const done = { 'shell.execute_reply': 'x' };
    assert.equal(runningCell(nb(code([], 1, done), code([], 2, {}), code([], null))), 1);
    assert.equal(runningCell(nb(code([], 1, done), code([], null))), null);
    assert.equal(runningCell(null), null);
  });
});
