import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type * as nbformat from '@jupyterlab/nbformat';
import { viewableNotebook } from './notebook-content';

describe('viewableNotebook', () => {
  const nb: nbformat.INotebookContent = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: [
      { cell_type: 'markdown', source: ['# Title\n', 'text'], metadata: { trusted: true } },
      {
        cell_type: 'code',
        source: ['x = 1\n', 'print(x)'],
        metadata: { trusted: true, tags: ['flags'] },
        execution_count: 1,
        outputs: [
          { output_type: 'stream', name: 'stdout', text: ['1\n', '2\n'] },
          {
            output_type: 'display_data',
            metadata: {},
            data: { 'text/html': ['<b>', 'x</b>'], 'application/json': { a: [1, 2] } }
          },
          { output_type: 'error', ename: 'E', evalue: 'v', traceback: ['a', 'b'] }
        ]
      }
    ]
  };

  it('joins multiline sources, stream texts and text outputs; JSON stays as it is', () => {
    const [markdown, code] = viewableNotebook(nb).cells as [
      nbformat.IMarkdownCell,
      nbformat.ICodeCell
    ];
    assert.equal(markdown.source, '# Title\ntext');
    assert.equal(code.source, 'x = 1\nprint(x)');
    const [stream, display, error] = code.outputs;
    assert.equal((stream as nbformat.IStream).text, '1\n2\n');
    assert.deepEqual((display as nbformat.IDisplayData).data, {
      'text/html': '<b>x</b>',
      'application/json': { a: [1, 2] }
    });
    assert.deepEqual((error as nbformat.IError).traceback, ['a', 'b']);
  });

  it('untrusts every cell and keeps its other metadata', () => {
    const cells = viewableNotebook(nb).cells;
    assert.deepEqual(cells[0].metadata, {});
    assert.deepEqual(cells[1].metadata, { tags: ['flags'] });
    assert.equal(nb.cells[1].metadata.trusted, true, 'the input is left as it was');
  });
});
