import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { ICodeCell, Output } from '../notebook/nbformat';
import type { JSONObject } from '../base/json';
import { IIopubMessage, OutputReducer, resolveOverwrites } from './outputs';

function codeCell(): ICodeCell {
  return { cell_type: 'code', metadata: {}, source: '', execution_count: null, outputs: [] };
}

function stream(text: string, name = 'stdout'): IIopubMessage {
  return { msg_type: 'stream', content: { name, text } };
}

function display(data: JSONObject, displayId?: string, metadata?: JSONObject): IIopubMessage {
  const content: Record<string, unknown> = { data, metadata: metadata ?? {} };
  if (displayId !== undefined) {
    content.transient = { display_id: displayId };
  }
  return { msg_type: 'display_data', content };
}

function update(data: JSONObject, displayId: string, metadata?: JSONObject): IIopubMessage {
  return {
    msg_type: 'update_display_data',
    content: { data, metadata: metadata ?? {}, transient: { display_id: displayId } }
  };
}

function clear(wait: boolean): IIopubMessage {
  return { msg_type: 'clear_output', content: { wait } };
}

function msg(msgType: string, content: Record<string, unknown> = {}): IIopubMessage {
  return { msg_type: msgType, content };
}

function out(text: string, name: 'stdout' | 'stderr' = 'stdout'): Output {
  return { output_type: 'stream', name, text };
}

function shown(data: JSONObject, metadata: JSONObject = {}): Output {
  return { output_type: 'display_data', data, metadata };
}

interface ICase {
  name: string;
  messages: IIopubMessage[];
  expected: Output[];
  /** What `handle` returns for each message, when checked. */
  returns?: boolean[];
  coalesceStreams?: boolean;
  /** Whether a deferred clear is still pending at the end (default false). */
  pendingClear?: boolean;
}

/** Message sequences for one cell, modelled on nbclient's `prepare_cell_mocks` tests. */
const CASES: ICase[] = [
  {
    name: 'a stream becomes a stream output',
    messages: [stream('foo')],
    expected: [out('foo')],
    returns: [true]
  },
  {
    name: 'consecutive streams of the same name are merged',
    messages: [stream('foo\n'), stream('bar'), stream('\n')],
    expected: [out('foo\nbar\n')],
    returns: [true, true, true]
  },
  {
    name: 'streams of different names are not merged',
    messages: [stream('foo', 'stdout'), stream('bar', 'stderr'), stream('baz', 'stdout')],
    expected: [out('foo'), out('bar', 'stderr'), out('baz')]
  },
  {
    name: 'a stream is merged only into the immediately preceding output',
    messages: [stream('a'), display({ 'text/plain': 'x' }), stream('b')],
    expected: [out('a'), shown({ 'text/plain': 'x' }), out('b')]
  },
  {
    name: 'stream text given as a list of strings is joined',
    messages: [msg('stream', { name: 'stdout', text: ['a\n', 'b'] })],
    expected: [out('a\nb')]
  },
  {
    name: 'a stream with a missing name or text defaults to stdout and empty text',
    messages: [msg('stream', {})],
    expected: [out('')]
  },
  {
    name: 'without coalescing every stream is its own output, text untouched',
    coalesceStreams: false,
    messages: [stream('0%\r'), stream('100%\n'), stream('a\b')],
    expected: [out('0%\r'), out('100%\n'), out('a\b')]
  },
  {
    name: 'a \\r progress bar keeps only its last state',
    messages: [stream('  0%\r'), stream(' 50%\r'), stream('100%\n'), stream('done\n')],
    expected: [out('100%\ndone\n')]
  },
  {
    name: '\\r within one message overwrites the line',
    messages: [stream('step 1/3\rstep 2/3\rstep 3/3\n')],
    expected: [out('step 3/3\n')]
  },
  {
    name: 'a shorter line after \\r overwrites only its width, as in a terminal',
    messages: [stream('abcdef'), stream('\rXY')],
    expected: [out('XYcdef')]
  },
  {
    name: '\\r\\n is a newline and lines before the last are never touched',
    messages: [stream('a\r\nb\n'), stream('c\rd')],
    expected: [out('a\nb\nd')]
  },
  {
    name: '\\b deletes the previous character, also across messages',
    messages: [stream('abc'), stream('\b\bX'), stream('Y\bZ')],
    expected: [out('aXZ')]
  },
  {
    name: '\\b at the start of a line does not reach into the previous line',
    messages: [stream('a\n'), stream('\bb')],
    expected: [out('a\nb')]
  },
  {
    name: 'display_data keeps data and metadata and drops transient',
    messages: [display({ 'text/plain': 'x', 'text/html': '<b>x</b>' }, 'd1', { isolated: true })],
    expected: [shown({ 'text/plain': 'x', 'text/html': '<b>x</b>' }, { isolated: true })]
  },
  {
    name: 'display_data without metadata gets {}',
    messages: [msg('display_data', { data: { 'text/plain': 'x' } })],
    expected: [shown({ 'text/plain': 'x' })]
  },
  {
    name: 'execute_result takes the execution count given, not the kernel one',
    messages: [msg('execute_result', { data: { 'text/plain': '42' }, execution_count: 99 })],
    expected: [
      {
        output_type: 'execute_result',
        execution_count: 7,
        data: { 'text/plain': '42' },
        metadata: {}
      }
    ]
  },
  {
    name: 'error keeps ename, evalue and traceback',
    messages: [
      msg('error', {
        ename: 'ZeroDivisionError',
        evalue: 'division by zero',
        traceback: ['a', 'b']
      })
    ],
    expected: [
      {
        output_type: 'error',
        ename: 'ZeroDivisionError',
        evalue: 'division by zero',
        traceback: ['a', 'b']
      }
    ]
  },
  {
    name: 'error without fields gets the nbclient defaults',
    messages: [msg('error', {})],
    expected: [{ output_type: 'error', ename: '<Error>', evalue: '', traceback: [] }]
  },
  {
    name: 'clear_output(wait=false) clears at once',
    messages: [stream('foo'), display({ 'text/plain': 'x' }), clear(false)],
    expected: [],
    returns: [true, true, true]
  },
  {
    name: 'clear_output(wait=false) on an empty cell changes nothing',
    messages: [clear(false)],
    expected: [],
    returns: [false]
  },
  {
    name: 'clear_output(wait=true) keeps outputs until the next output',
    messages: [stream('foo'), clear(true)],
    expected: [out('foo')],
    returns: [true, false],
    pendingClear: true
  },
  {
    name: 'clear_output(wait=true) then a stream: only the new stream remains',
    messages: [stream('foo'), clear(true), stream('bar', 'stderr')],
    expected: [out('bar', 'stderr')]
  },
  {
    name: 'clear_output(wait=true) then a stream of the same name: not merged into the cleared one',
    messages: [stream('frame 1\n'), clear(true), stream('frame 2\n')],
    expected: [out('frame 2\n')]
  },
  {
    name: 'clear_output(wait=true) then update_display_data: the clear stays pending',
    messages: [
      display({ 'text/plain': 'old' }, 'd1'),
      clear(true),
      update({ 'text/plain': 'new' }, 'd1', { m: 1 })
    ],
    expected: [shown({ 'text/plain': 'new' }, { m: 1 })],
    returns: [true, false, true],
    pendingClear: true
  },
  {
    name: 'clear_output(wait=true), update_display_data, then display: cleared at the display',
    messages: [
      stream('foo'),
      clear(true),
      update({ 'text/plain': 'x' }, 'unknown'),
      display({ 'text/plain': 'after' })
    ],
    expected: [shown({ 'text/plain': 'after' })]
  },
  {
    name: 'clear_output(wait=true) then an error: cleared',
    messages: [stream('foo'), clear(true), msg('error', { ename: 'E' })],
    expected: [{ output_type: 'error', ename: 'E', evalue: '', traceback: [] }]
  },
  {
    name: 'update_display_data updates the output in place and never appends',
    messages: [
      stream('before\n'),
      display({ 'text/plain': '1' }, 'd1'),
      stream('after\n'),
      update({ 'text/plain': '2' }, 'd1', { k: 'v' })
    ],
    expected: [out('before\n'), shown({ 'text/plain': '2' }, { k: 'v' }), out('after\n')],
    returns: [true, true, true, true]
  },
  {
    name: 'update_display_data of an unknown id is a no-op',
    messages: [display({ 'text/plain': '1' }, 'd1'), update({ 'text/plain': '2' }, 'd2')],
    expected: [shown({ 'text/plain': '1' })],
    returns: [true, false]
  },
  {
    name: 'update_display_data without a display id is a no-op',
    messages: [display({ 'text/plain': '1' }, 'd1'), msg('update_display_data', { data: {} })],
    expected: [shown({ 'text/plain': '1' })],
    returns: [true, false]
  },
  {
    name: 'a display with a known id updates the earlier one and is appended',
    messages: [display({ 'text/plain': '1' }, 'd1'), display({ 'text/plain': '2' }, 'd1')],
    expected: [shown({ 'text/plain': '2' }), shown({ 'text/plain': '2' })]
  },
  {
    name: 'execute_result with a display id takes part in updates',
    messages: [
      msg('execute_result', { data: { 'text/plain': '1' }, transient: { display_id: 'r' } }),
      update({ 'text/plain': '2' }, 'r')
    ],
    expected: [
      {
        output_type: 'execute_result',
        execution_count: 7,
        data: { 'text/plain': '2' },
        metadata: {}
      }
    ]
  },
  {
    name: 'after clear_output the display id no longer reaches the cleared output',
    messages: [
      display({ 'text/plain': '1' }, 'd1'),
      clear(false),
      update({ 'text/plain': '2' }, 'd1')
    ],
    expected: [],
    returns: [true, true, false]
  },
  {
    name: 'status, execute_input, comm_* and unknown types are ignored',
    messages: [
      msg('status', { execution_state: 'busy' }),
      msg('execute_input', { code: '1', execution_count: 1 }),
      msg('comm_open', { comm_id: 'c', target_name: 'jupyter.widget', data: {} }),
      msg('comm_msg', { comm_id: 'c', data: {} }),
      msg('comm_close', { comm_id: 'c', data: {} }),
      msg('input_request', { prompt: '' }),
      msg('no_such_type', { anything: 1 }),
      msg('status', { execution_state: 'idle' })
    ],
    expected: [],
    returns: [false, false, false, false, false, false, false, false]
  }
];

describe('OutputReducer', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const reducer = new OutputReducer({ coalesceStreams: c.coalesceStreams });
      const cell = codeCell();
      reducer.startCell(cell);
      const returns = c.messages.map(m => reducer.handle(cell, 7, m));
      assert.deepEqual(cell.outputs, c.expected);
      if (c.returns !== undefined) {
        assert.deepEqual(returns, c.returns);
      }
      assert.equal(reducer.hasPendingClear(cell), c.pendingClear ?? false);
    });
  }

  it('coalesces streams by default', () => {
    assert.equal(new OutputReducer().coalesceStreams, true);
  });

  it('updates a display id across two cells, then updates both without appending', () => {
    const reducer = new OutputReducer();
    const first = codeCell();
    const second = codeCell();
    reducer.startCell(first);
    reducer.handle(first, 1, display({ 'text/plain': 'here 1' }, 'here'));
    reducer.handle(first, 1, stream('first\n'));
    reducer.startCell(second);
    assert.equal(reducer.handle(second, 2, display({ 'text/plain': 'here 2' }, 'here')), true);
    assert.deepEqual(first.outputs, [shown({ 'text/plain': 'here 2' }), out('first\n')]);
    assert.deepEqual(second.outputs, [shown({ 'text/plain': 'here 2' })]);

    assert.equal(reducer.handle(second, 2, update({ 'text/plain': 'here 8' }, 'here')), true);
    assert.deepEqual(first.outputs, [shown({ 'text/plain': 'here 8' }), out('first\n')]);
    assert.deepEqual(second.outputs, [shown({ 'text/plain': 'here 8' })]);
  });

  it('a clear in one cell leaves the same display id in another cell updatable', () => {
    const reducer = new OutputReducer();
    const first = codeCell();
    const second = codeCell();
    reducer.startCell(first);
    reducer.handle(first, 1, display({ 'text/plain': '1' }, 'd'));
    reducer.startCell(second);
    reducer.handle(second, 2, display({ 'text/plain': '2' }, 'd'));
    reducer.handle(second, 2, clear(false));
    reducer.handle(second, 2, update({ 'text/plain': '3' }, 'd'));
    assert.deepEqual(first.outputs, [shown({ 'text/plain': '3' })]);
    assert.deepEqual(second.outputs, []);
  });

  it('startCell empties outputs, cancels a pending clear and forgets display ids', () => {
    const reducer = new OutputReducer();
    const cell = codeCell();
    cell.outputs = [out('stale')];
    reducer.startCell(cell);
    assert.deepEqual(cell.outputs, []);
    reducer.handle(cell, 1, display({ 'text/plain': '1' }, 'd'));
    reducer.handle(cell, 1, clear(true));
    assert.equal(reducer.hasPendingClear(cell), true);
    const previous = cell.outputs;
    reducer.startCell(cell);
    assert.equal(reducer.hasPendingClear(cell), false);
    assert.equal(reducer.handle(cell, 2, update({ 'text/plain': '2' }, 'd')), false);
    assert.deepEqual(previous, [shown({ 'text/plain': '1' })]);
    reducer.handle(cell, 2, stream('x'));
    assert.deepEqual(cell.outputs, [out('x')]);
  });

  it('copies message data instead of sharing it', () => {
    const reducer = new OutputReducer();
    const first = codeCell();
    const second = codeCell();
    const data = { 'application/json': { values: [1, 2] } };
    reducer.handle(first, 1, display(data, 'd'));
    data['application/json'].values.push(3);
    assert.deepEqual(first.outputs, [shown({ 'application/json': { values: [1, 2] } })]);
    reducer.handle(second, 2, display({ 'text/plain': 'x' }, 'd'));
    const [a] = first.outputs;
    const [b] = second.outputs;
    assert.ok(a.output_type === 'display_data' && b.output_type === 'display_data');
    assert.notEqual(a.data, b.data);
  });

  it('keeps merging fast for many small chunks', () => {
    const reducer = new OutputReducer();
    const cell = codeCell();
    const chunks = 20000;
    for (let i = 0; i < chunks; i++) {
      reducer.handle(cell, 1, stream(i % 100 === 99 ? `${i}\n` : `\r${i}`));
    }
    assert.equal(cell.outputs.length, 1);
    const [only] = cell.outputs;
    assert.ok(only.output_type === 'stream');
    assert.equal(only.text.length < 20 * (chunks / 100) + 10, true);
    assert.equal(String(only.text).split('\n')[0], '9899');
  });
});

describe('resolveOverwrites', () => {
  const table: Array<[string, string]> = [
    ['plain text\n', 'plain text\n'],
    ['', ''],
    ['10%\r20%\r30%', '30%'],
    ['10%\r20%\r', '20%\r'],
    ['abcdef\rXY', 'XYcdef'],
    ['line\r\nnext', 'line\nnext'],
    ['a\nb\rc\n', 'a\nc\n'],
    ['ab\b', 'a'],
    ['ab\b\b\bc', 'c'],
    ['\bx', 'x'],
    ['abc\rX\bY', 'Ybc'],
    ['x\n\r', 'x\n'],
    ['☃☃\b!', '☃!']
  ];
  for (const [input, expected] of table) {
    it(`${JSON.stringify(input)} → ${JSON.stringify(expected)}`, () => {
      assert.equal(resolveOverwrites(input), expected);
    });
  }
});
