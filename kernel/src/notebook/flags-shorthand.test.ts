import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { code, markdown, notebook } from '../testing/fixtures';
import { findShorthandFlagUse } from './flags-shorthand';

describe('findShorthandFlagUse', () => {
  const flags = code('const lr = 0.01;\nconst layers = [64];', ['parameters']);

  it('finds a flag used as a shorthand property in a later cell', () => {
    const nb = notebook('tslab', [
      flags,
      markdown('{ lr }'),
      code('console.log(lr, { layers: 1 });'),
      code('const f = () => ({ a: 1, layers });')
    ]);
    assert.deepEqual(findShorthandFlagUse(nb, 0, ['lr', 'layers']), {
      cellIndex: 3,
      name: 'layers'
    });
  });

  it('ignores a cell declaring the name itself, other names and the flags cell', () => {
    const nb = notebook('tslab', [
      code('const lr = 0.01;\nconsole.log({ lr });', ['parameters']),
      code('const lr = 2;\nconsole.log({ lr });'),
      code('const other = 1;\nconsole.log({ other });')
    ]);
    assert.equal(findShorthandFlagUse(nb, 0, ['lr']), null);
  });
});
