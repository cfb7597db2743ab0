/**
 * Injected flags run for real: a tslab and a Python notebook get new values and are
 * executed by `jupyter nbconvert --execute` (both at once, ~5 s), printing the values.
 */

import assert from 'node:assert/strict';
import { code } from '../testing/fixtures';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

import { serializeNotebook } from './io';
import type { Cell, INotebook } from './nbformat';
import type { JSONObject, JSONValue } from '../base/json';
import {
  injectFlags,
  notebookLanguage,
  parseAssignments,
  parseFlags,
  resolveFlagValues
} from './flags';

const JUPYTER = path.resolve(__dirname, '../../../.venv/bin/jupyter');

function notebook(kernelspec: JSONObject, cells: Cell[]): INotebook {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec },
    cells: cells.map((cell, i) => ({ ...cell, id: `cell-${i}` }))
  };
}

/** Injects `args` (NAME=VALUE, forced allowed), executes, and returns the printed lines. */
async function runWith(nb: INotebook, args: string[], dir: string, name: string): Promise<string> {
  const language = notebookLanguage(nb);
  const values = resolveFlagValues(parseFlags(nb, language), parseAssignments(args), {
    force: true
  });
  const file = path.join(dir, name);
  fs.writeFileSync(file, serializeNotebook(injectFlags(nb, language, values)));
  const { stdout } = await promisify(execFile)(
    JUPYTER,
    ['nbconvert', '--to', 'notebook', '--execute', '--stdout', file],
    { timeout: 60_000, maxBuffer: 16 << 20 }
  );
  const executed = JSON.parse(stdout) as INotebook;
  const printed: string[] = [];
  for (const cell of executed.cells) {
    if (cell.cell_type !== 'code') {
      continue;
    }
    for (const output of cell.outputs) {
      if (output.output_type === 'stream') {
        printed.push(Array.isArray(output.text) ? output.text.join('') : output.text);
      }
    }
  }
  return printed.join('');
}

test('injected tslab and Python notebooks run and print the new values', async t => {
  if (!fs.existsSync(JUPYTER)) {
    t.skip('no .venv/bin/jupyter (run npm run setup)');
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nbx-flags-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const ts = notebook({ name: 'tslab', display_name: 'TypeScript', language: 'typescript' }, [
    code(
      [
        "import * as os from 'os';",
        'const lr: number = 1e-3; // learning rate',
        'const layers = [64, 32];',
        "let name = 'adam';",
        'const debug = false, seed: number | null = null;',
        'const host = os.hostname();',
        'await Promise.resolve();'
      ].join('\n'),
      ['parameters']
    ),
    // tslab does not resolve shorthand properties ({ lr }) across cells: spell them out.
    code(
      'console.log(JSON.stringify({ lr: lr, layers: layers, name: name, debug: debug, seed: seed, extra: extra }));'
    )
  ]);
  const py = notebook({ name: 'python3', display_name: 'Python 3', language: 'python' }, [
    code(
      [
        'import json',
        'lr: float = 1e-3  # learning rate',
        'layers = [',
        '    64,  # first',
        '    32,',
        ']',
        "name = 'adam'",
        'doc = """x"""',
        'shape = (28, 28)',
        'debug = False',
        'seed = None'
      ].join('\n'),
      ['parameters']
    ),
    code('print(json.dumps([lr, layers, name, doc, list(shape), debug, seed, extra]))')
  ]);

  const [tsOut, pyOut] = await Promise.all([
    runWith(
      ts,
      ['lr=0.5', 'layers=[1,2,3]', 'name=it\'s "q"', 'debug=yes', 'seed=7', 'extra=[a,1]'],
      dir,
      'ts.ipynb'
    ),
    runWith(
      py,
      [
        'lr=2',
        'layers=[8,4]',
        'name=it\'s "q"',
        'doc=a"""b\\',
        'shape=[1]',
        'debug=true',
        'seed=7',
        'extra=[a,1]'
      ],
      dir,
      'py.ipynb'
    )
  ]);
  const expectTs: Record<string, JSONValue> = {
    lr: 0.5,
    layers: [1, 2, 3],
    name: 'it\'s "q"',
    debug: true,
    seed: 7,
    extra: ['a', 1]
  };
  assert.deepEqual(JSON.parse(tsOut), expectTs);
  assert.deepEqual(JSON.parse(pyOut), [2, [8, 4], 'it\'s "q"', 'a"""b\\', [1], true, 7, ['a', 1]]);
});
