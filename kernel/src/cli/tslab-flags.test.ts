/**
 * A TypeScript flags cell under `nbx run`: changed flags reach the later cells, whatever
 * the shape of the reference. tslab 1.0.22 rewrites a reference to an earlier cell's
 * variable `x` as `exports.x`, but not in a shorthand property: without the install-time
 * patch (patches/tslab-1.0.22.patch), `console.log({ lr })` threw
 * `ReferenceError: lr is not defined` although the flags cell ran without error.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { parseNotebook } from '../notebook/io';
import { code, nbx, notebook, writeNotebook } from '../testing/fixtures';
import { assertOneLine, cliProject, readMeta, runIds, streamText } from '../testing/cli-project';
import type { ICodeCell } from '../notebook/nbformat';

const FLAGS_CELL = [
  '// Learning rate for the optimizer\n',
  'const lr = 1e-3;\n',
  'let epochs: number = 10; // number of passes\n',
  'const name = "baseline";\n',
  'const layers = [64, 32];\n',
  'var debug = false;\n',
  'const neg = -0.5;\n',
  'const computed = lr * 2; // derived, not a flag'
];

describe('a tslab flags cell', () => {
  it('runs with its flags changed and its comments kept; later cells see the values', () => {
    const { dir, home, env } = cliProject();
    writeNotebook(
      dir,
      'flags.ipynb',
      notebook('tslab', [
        code(FLAGS_CELL, ['parameters']),
        code('console.log(JSON.stringify({ lr, epochs, name, layers, debug, neg, computed }));'),
        code('console.log(`plain ${lr} ${name} ${layers.join("x")} ${debug} ${computed}`);'),
        code(
          'const seen = { lr, layers: [...layers] };\nconsole.log(seen.lr * 100, seen.layers[0]);'
        )
      ])
    );
    const r = nbx(
      ['run', 'flags.ipynb', 'lr=0.01', 'layers=[128,64]', 'debug=true', 'name=wide', '-q'],
      { cwd: dir, env }
    );
    assert.equal(r.status, 0, r.stderr);
    const [id] = runIds(home);
    assert.equal(readMeta(home, id).status, 'completed');
    const runDir = path.join(home, 'runs', id);
    const snapshot = parseNotebook(
      fs.readFileSync(path.join(runDir, 'snapshot.ipynb'), 'utf8'),
      'snapshot.ipynb'
    );
    const flags = snapshot.cells[0].source;
    const text = Array.isArray(flags) ? flags.join('') : flags;
    assert.equal(
      text,
      FLAGS_CELL.join('')
        .replace('1e-3', '0.01')
        .replace('"baseline"', '"wide" as string')
        .replace('[64, 32]', '[128, 64]')
        .replace('var debug = false', 'var debug = true'),
      'values replaced in place, comments kept'
    );
    const executed = parseNotebook(
      fs.readFileSync(path.join(runDir, 'executed.ipynb'), 'utf8'),
      'executed.ipynb'
    );
    const out = executed.cells.map(c => (c.cell_type === 'code' ? streamText(c as ICodeCell) : ''));
    assert.deepEqual(JSON.parse(out[1]), {
      lr: 0.01,
      epochs: 10,
      name: 'wide',
      layers: [128, 64],
      debug: true,
      neg: -0.5,
      computed: 0.02
    });
    assert.equal(out[2], 'plain 0.01 wide 128x64 true 0.02\n');
    assert.equal(out[3], '1 128\n');
  });
  it('is refused in one line before the run when the tslab it would run cannot read { flag }', () => {
    const { dir, home, env } = cliProject();
    // tslab prefers a local install found from the kernel's directory upwards: this one
    // is a published 1.0.22 converter (without the fix), as far as nbx can tell.
    const local = path.join(dir, 'node_modules', 'tslab', 'dist');
    fs.mkdirSync(local, { recursive: true });
    fs.writeFileSync(path.join(local, 'main.js'), 'exports.startKernel = null;\n');
    fs.writeFileSync(path.join(local, 'converter.js'), '// wrapPrevIdentifier without the fix\n');
    writeNotebook(
      dir,
      'flags.ipynb',
      notebook('tslab', [
        code(FLAGS_CELL, ['parameters']),
        code('console.log(lr);'),
        code('console.log({ lr, epochs });')
      ])
    );
    const r = nbx(['run', 'flags.ipynb', 'lr=0.01'], { cwd: dir, env });
    assertOneLine(
      r,
      2,
      /^nbx: cell 3 uses flag 'lr' as a shorthand property \(\{ lr \}\), which the tslab in .* runs as "ReferenceError: lr is not defined"/
    );
    assert.deepEqual(runIds(home), [], 'nothing written');
  });
});
