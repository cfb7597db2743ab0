/**
 * A failing cell's traceback, Python's and TypeScript's, reaches the person wherever they
 * look: printed by `nbx run` (without ANSI colours when stderr is not a terminal), in the
 * run's output.log (so `nbx log` shows it) and in meta.json's `traceback`.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { cliProject, readMeta, runIds } from '../testing/cli-project';
import { code, nbx, notebook, writeNotebook, type KernelName } from '../testing/fixtures';

const ANSI = new RegExp(String.fromCharCode(27) + '\\[');

const CASES: { kernel: KernelName; cells: string[]; frames: RegExp[] }[] = [
  {
    kernel: 'python3',
    cells: ["print('before')", 'def divide(x):\n    return 1 / x\n\ndivide(0)'],
    frames: [
      /Traceback \(most recent call last\)/,
      /in divide/,
      /ZeroDivisionError: division by zero/
    ]
  },
  {
    kernel: 'tslab',
    cells: [
      "console.log('before');",
      "function explode(n: number): number {\n  throw new Error('boom ' + n);\n}\nexplode(3);"
    ],
    frames: [/Error: boom 3/, /at explode/]
  }
];

describe('a failing cell', () => {
  for (const { kernel, cells, frames } of CASES) {
    it(`shows its ${kernel} traceback in nbx run, output.log, nbx log and meta.json`, () => {
      const { dir, home, env } = cliProject();
      const nb = writeNotebook(
        dir,
        'fails.ipynb',
        notebook(
          kernel,
          cells.map(c => code(c))
        )
      );
      for (const quiet of [false, true]) {
        const before = new Set(runIds(home));
        const r = nbx(['run', nb, ...(quiet ? ['--quiet'] : [])], { cwd: dir, env });
        assert.equal(r.status, 1, r.stderr);
        for (const frame of frames) {
          assert.match(r.stderr, frame, `nbx run${quiet ? ' --quiet' : ''} prints the traceback`);
        }
        assert.doesNotMatch(r.stderr, ANSI, 'no colours when stderr is not a terminal');
        const id = runIds(home).find(i => !before.has(i)) as string;
        const meta = readMeta(home, id);
        assert.equal(meta.status, 'error');
        assert.equal(typeof meta.traceback, 'string');
        const log = fs.readFileSync(path.join(home, 'runs', id, 'output.log'), 'utf8');
        const shown = nbx(['log', id], { cwd: dir, env });
        assert.equal(shown.status, 0, shown.stderr);
        for (const frame of frames) {
          assert.match(meta.traceback as string, frame);
          assert.match(log, frame);
          assert.match(shown.stdout, frame);
        }
        assert.doesNotMatch(meta.traceback as string, ANSI);
        assert.doesNotMatch(log, ANSI);
        assert.match(log, /^before\n/, 'the log keeps the output before it');
      }
    });
  }

  it('leaves no traceback in the record of a run that completes', () => {
    const { dir, home, env } = cliProject();
    const nb = writeNotebook(dir, 'ok.ipynb', notebook('python3', [code('x = 1')]));
    const r = nbx(['run', nb], { cwd: dir, env });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readMeta(home, runIds(home)[0]).traceback, undefined);
    assert.ok(!('traceback' in readMeta(home, runIds(home)[0])));
  });
});
