/**
 * Flag values are recorded exactly as the notebook gets them: numbers nbx cannot record
 * exactly are refused before anything runs, a Python int flag takes whole numbers only,
 * and flags named like `Object.prototype` members (`__proto__`, `constructor`) are
 * injected and recorded like any other.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertOneLine, cliProject, executedText, readMeta, runIds } from '../testing/cli-project';
import { code, nbx, notebook, writeNotebook } from '../testing/fixtures';

const FLAGS = code("lr = 0.01\nepochs = 3\n__proto__ = 1\nconstructor = 'c'", ['parameters']);
const PRINT = code('print(lr, epochs, __proto__, constructor)');

describe('flag values as run', () => {
  it('refuses inf, nan, inexact integers and fractions for an int, in one line', () => {
    const { dir, home, env } = cliProject();
    const nb = writeNotebook(dir, 'p.ipynb', notebook('python3', [FLAGS, PRINT]));
    const cases: [string[], RegExp][] = [
      [['lr=1e999'], /^nbx: invalid value for flag 'lr': '1e999' is not a finite number/],
      [['lr=NaN'], /^nbx: invalid value for flag 'lr': 'NaN' is not a finite number/],
      [['lr=-inf'], /^nbx: invalid value for flag 'lr': '-inf' is not a finite number/],
      [['lr=[0.1,inf]'], /^nbx: invalid value for flag 'lr': 'inf' is not a finite number/],
      [
        ['epochs=99999999999999999999999'],
        /^nbx: invalid value for flag 'epochs': '99999999999999999999999' is not an integer nbx can record exactly/
      ],
      [['epochs=1.5'], /^nbx: invalid value for flag 'epochs': '1.5' is not a whole number/],
      [['epochs=[1,2.5]'], /^nbx: invalid value for flag 'epochs': '2.5' is not a whole number/],
      [
        ['epochs=uniform[1:4]', '--max-trials', '2'],
        /^nbx: invalid value for flag 'epochs': 'uniform\[1:4\]' gives fractions/
      ],
      [['--label', '${toString}'], /^nbx: --label refers to unknown flag 'toString'/],
      [['--force-flags', 'extra=1e999'], /^nbx: invalid value for flag 'extra': '1e999'/]
    ];
    for (const [args, pattern] of cases) {
      assertOneLine(nbx(['run', nb, ...args], { cwd: dir, env }), 2, pattern);
    }
    assert.deepEqual(runIds(home), [], 'nothing ran, nothing was recorded');
  });

  it('injects and records __proto__ and constructor like any flag, and labels with them', () => {
    const { dir, home, env } = cliProject();
    const nb = writeNotebook(dir, 'p.ipynb', notebook('python3', [FLAGS, PRINT]));
    const r = nbx(
      [
        'run',
        nb,
        '__proto__=7',
        'constructor=x',
        'epochs=1e3',
        '--label',
        '${constructor}-${__proto__}'
      ],
      { cwd: dir, env }
    );
    assert.equal(r.status, 0, r.stderr);
    const [id] = runIds(home);
    assert.equal(executedText(home, id), '0.01 1000 7 x\n');
    const meta = readMeta(home, id);
    assert.deepEqual(meta.flags, { lr: 0.01, epochs: 1000, ['__proto__']: 7, constructor: 'x' });
    assert.ok(Object.hasOwn(meta.flags, '__proto__'));
    assert.deepEqual(meta.flagDefaults, {
      lr: 0.01,
      epochs: 3,
      ['__proto__']: 1,
      constructor: 'c'
    });
    assert.equal(meta.label, 'x-7');
    const listed = nbx(['runs', '--where', '=__proto__ = 7', '--json'], { cwd: dir, env });
    assert.equal(listed.status, 0, listed.stderr);
    assert.deepEqual(
      (JSON.parse(listed.stdout) as { id: string }[]).map(run => run.id),
      [id]
    );
  });
});
