import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type * as nbformat from '@jupyterlab/nbformat';
import {
  applyCellUpdate,
  applyLogChange,
  changedText,
  composeTextChanges,
  keptText,
  LIVE_TEXT_CHARS,
  mergeCellChanges
} from './live-output';

const stream = (text: string): nbformat.IStream => ({
  output_type: 'stream',
  name: 'stdout',
  text
});

const cell = (...outputs: nbformat.IOutput[]): nbformat.ICodeCell => ({
  cell_type: 'code',
  source: '',
  metadata: {},
  execution_count: 1,
  outputs
});

describe('applyCellUpdate', () => {
  it('appends text to the last stream, a `\\r` line rewritten in place', () => {
    const c = cell(stream('a\nprogress 10%'));
    const change = applyCellUpdate(c, {
      cell: 0,
      outputs: 1,
      text: [[0, { drop: 12, text: 'progress 20%' }]]
    });
    assert.deepEqual(change.append, { drop: 12, text: 'progress 20%' });
    assert.equal((c.outputs[0] as nbformat.IStream).text, 'a\nprogress 20%');
  });

  it('shows the cell anew when outputs are added, replaced or cleared', () => {
    const c = cell(stream('a\n'), {
      output_type: 'display_data',
      data: { 'text/plain': 'v0' },
      metadata: {}
    });
    const updated = applyCellUpdate(c, {
      cell: 0,
      outputs: 2,
      set: [[1, { output_type: 'display_data', data: { 'text/plain': ['v', '1'] }, metadata: {} }]]
    });
    assert.equal(updated.append, null);
    assert.deepEqual((c.outputs[1] as nbformat.IDisplayData).data, { 'text/plain': 'v1' });
    const cleared = applyCellUpdate(c, { cell: 0, outputs: 0, executionCount: 2 });
    assert.equal(cleared.append, null);
    assert.deepEqual(c.outputs, []);
    assert.equal(c.execution_count, 2);
  });

  it('keeps the end of a stream that grows past the live limit', () => {
    const line = 'x'.repeat(99) + '\n';
    const c = cell(stream(line.repeat(LIVE_TEXT_CHARS / 100)));
    const change = applyCellUpdate(c, {
      cell: 0,
      outputs: 1,
      text: [[0, { drop: 0, text: line.repeat(10) }]]
    });
    assert.equal(change.append, null, 'trimmed: shown anew');
    const text = (c.outputs[0] as nbformat.IStream).text as string;
    assert.ok(text.length <= LIVE_TEXT_CHARS / 2 + 100);
    assert.ok(text.startsWith('x') && text.endsWith('\n'));
  });
});

describe('applyLogChange', () => {
  it('rewrites the last line, replaces on reset, and keeps the end', () => {
    const log = { text: 'a\n50%', size: 5, truncated: false };
    assert.deepEqual(applyLogChange(log, { drop: 3, text: '60%', size: 9 }, 100), {
      text: 'a\n60%',
      size: 9,
      truncated: false
    });
    assert.deepEqual(applyLogChange(log, { drop: 0, text: 'end\n', size: 900, reset: true }, 100), {
      text: 'end\n',
      size: 900,
      truncated: true
    });
    assert.equal(keptText('1\n2\n3\n4\n', 4), '4\n');
  });
});

describe('mergeCellChanges', () => {
  it('composes appends made between two renders, `\\r` rewrites included', () => {
    const c = cell(stream('a\nprogress 10%'));
    const first = applyCellUpdate(c, {
      cell: 0,
      outputs: 1,
      text: [[0, { drop: 12, text: 'progress 20%' }]]
    });
    const second = applyCellUpdate(c, {
      cell: 0,
      outputs: 1,
      text: [[0, { drop: 12, text: 'progress 30%\ndone\n' }]]
    });
    const merged = mergeCellChanges(first, second);
    assert.deepEqual(merged.append, { drop: 12, text: 'progress 30%\ndone\n' });
    assert.deepEqual(merged.grow, merged.append);
    assert.equal(
      changedText('a\nprogress 10%', merged.append ?? { drop: 0, text: '' }),
      'a\nprogress 30%\ndone\n'
    );
    assert.deepEqual(composeTextChanges({ drop: 1, text: 'ab' }, { drop: 3, text: 'c' }), {
      drop: 2,
      text: 'c'
    });
  });

  it('shows the cell anew when either change was more than an append', () => {
    const c = cell(stream('a\n'));
    const appended = applyCellUpdate(c, {
      cell: 0,
      outputs: 1,
      text: [[0, { drop: 0, text: 'b\n' }]]
    });
    const added = applyCellUpdate(c, {
      cell: 0,
      outputs: 2,
      set: [[1, { output_type: 'display_data', data: { 'text/plain': 'x' }, metadata: {} }]]
    });
    const merged = mergeCellChanges(appended, added);
    assert.equal(merged.append, null);
    assert.equal(merged.grow, null);
    assert.equal(merged.outputs.length, 2);
  });

  it('keeps appending to a live stream whose start the live limit cut', () => {
    const line = 'x'.repeat(99) + '\n';
    const c = cell(stream(line.repeat(LIVE_TEXT_CHARS / 100)));
    const change = applyCellUpdate(c, {
      cell: 0,
      outputs: 1,
      text: [[0, { drop: 0, text: line }]]
    });
    assert.equal(change.append, null);
    assert.deepEqual(change.grow, { drop: 0, text: line });
  });
});

describe('applyCellUpdate of a stream sent whole', () => {
  it('replaces the last stream text, for a live stream to show anew', () => {
    const c = cell(stream('line 1\n'));
    const change = applyCellUpdate(c, {
      cell: 0,
      outputs: 1,
      set: [[0, { output_type: 'stream', name: 'stdout', text: ['[...]\n', 'line 9\n'] }]]
    });
    assert.equal(change.append, null);
    assert.deepEqual(change.grow, { drop: 7, text: '[...]\nline 9\n' });
    assert.equal((c.outputs[0] as nbformat.IStream).text, '[...]\nline 9\n');
    const other = applyCellUpdate(c, {
      cell: 0,
      outputs: 1,
      set: [[0, { output_type: 'stream', name: 'stderr', text: 'oops\n' }]]
    });
    assert.equal(other.grow, null, 'another stream: shown anew');
  });
});
