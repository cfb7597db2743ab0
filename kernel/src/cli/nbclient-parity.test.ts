/**
 * nbclient's behaviour where nbx must match it, on notebooks with the semantics of
 * nbclient's own test files: `Interrupt.ipynb` (a cell looping forever, run with a
 * timeout, interrupt_on_timeout and allow_errors: the interrupt is the cell's error and
 * the next cell runs) and `Check History in Memory.ipynb` (IPython's history database is
 * `:memory:`). The interrupt case also runs through `jupyter nbconvert --execute` and the
 * two executed notebooks are compared.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parseNotebook } from '../notebook/io';
import type { ICodeCell, IErrorOutput, INotebook } from '../notebook/nbformat';
import { PACKAGE_ROOT } from '../base/paths';
import { code, nbx, notebook, writeNotebook, type KernelName } from '../testing/fixtures';
import { cliProject, readMeta, runIds, streamText } from '../testing/cli-project';

const JUPYTER = path.join(PACKAGE_ROOT, '.venv', 'bin', 'jupyter');

function readExecuted(home: string, id: string): INotebook {
  const file = path.join(home, 'runs', id, 'executed.ipynb');
  return parseNotebook(fs.readFileSync(file, 'utf8'), file);
}

/** Per code cell: its execution count, output types, error name and stream text. */
function summary(nb: INotebook): unknown[] {
  return nb.cells
    .filter((c): c is ICodeCell => c.cell_type === 'code')
    .map(c => ({
      count: c.execution_count,
      outputs: c.outputs.map(o => o.output_type).filter((t, i, all) => all.indexOf(t) === i),
      error: c.outputs.find((o): o is IErrorOutput => o.output_type === 'error')?.ename ?? null,
      text: streamText(c)
    }));
}

const LOOP: Record<KernelName, string> = {
  python3: 'while True: continue',
  tslab: 'while (true) {}'
};
const DONE: Record<KernelName, string> = {
  python3: 'print("done")',
  tslab: 'console.log("done")'
};

function runInterrupt(kernel: KernelName): { nb: INotebook; dir: string } {
  const { dir, home, env } = cliProject();
  writeNotebook(dir, 'Interrupt.ipynb', notebook(kernel, [code(LOOP[kernel]), code(DONE[kernel])]));
  const r = nbx(['run', 'Interrupt.ipynb', '--timeout', '3', '--allow-errors', '-q'], {
    cwd: dir,
    env
  });
  assert.equal(r.status, 0, r.stderr);
  const [id] = runIds(home);
  assert.equal(readMeta(home, id).status, 'completed');
  return { nb: readExecuted(home, id), dir };
}

describe('nbclient parity', () => {
  it('--timeout with --allow-errors records the interrupt and runs the next cell (python3), as nbconvert does', () => {
    const { nb, dir } = runInterrupt('python3');
    assert.deepEqual(summary(nb), [
      { count: 1, outputs: ['error'], error: 'KeyboardInterrupt', text: '' },
      { count: 2, outputs: ['stream'], error: null, text: 'done\n' }
    ]);
    if (!fs.existsSync(JUPYTER)) {
      return;
    }
    const out = path.join(dir, 'nbconvert.ipynb');
    const r = spawnSync(
      JUPYTER,
      [
        'nbconvert',
        '--to',
        'notebook',
        '--execute',
        '--allow-errors',
        '--ExecutePreprocessor.timeout=3',
        '--ExecutePreprocessor.interrupt_on_timeout=True',
        '--output',
        out,
        path.join(dir, 'Interrupt.ipynb')
      ],
      { cwd: dir, encoding: 'utf8', timeout: 120_000 }
    );
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(summary(parseNotebook(fs.readFileSync(out, 'utf8'), out)), summary(nb));
  });

  it('--timeout with --allow-errors runs the next cell after an interrupted tslab cell', () => {
    const { nb } = runInterrupt('tslab');
    const [looped, done] = summary(nb) as { count: number; error: string | null; text: string }[];
    assert.equal(looped.count, 1);
    assert.notEqual(looped.error, null, 'the interrupt is the cell error');
    assert.deepEqual(done, { count: 2, outputs: ['stream'], error: null, text: 'done\n' });
  });

  it('gives IPython kernels an in-memory history, or the file NBX_IPYTHON_HIST_FILE names', () => {
    const { dir, home, env } = cliProject();
    writeNotebook(
      dir,
      'history.ipynb',
      notebook('python3', [
        code('from IPython import get_ipython'),
        code('ip = get_ipython()\nprint(ip.history_manager.hist_file)')
      ])
    );
    const inMemory = nbx(['run', 'history.ipynb', '-q'], { cwd: dir, env });
    assert.equal(inMemory.status, 0, inMemory.stderr);
    const file = path.join(dir, 'history.sqlite');
    const onFile = nbx(['run', 'history.ipynb', '-q'], {
      cwd: dir,
      env: { ...env, NBX_IPYTHON_HIST_FILE: file }
    });
    assert.equal(onFile.status, 0, onFile.stderr);
    const printed = runIds(home)
      .map(id => ({ id, created: readMeta(home, id).created }))
      .sort((a, b) => (a.created < b.created ? -1 : 1))
      .map(({ id }) => streamText(readExecuted(home, id).cells[1] as ICodeCell).trim());
    assert.deepEqual(printed, [':memory:', file]);
  });

  it('sends tslab nothing it does not know (no "unknown msg_type" in any log)', () => {
    const { dir, home, env } = cliProject();
    writeNotebook(dir, 'plain.ipynb', notebook('tslab', [code('console.log(1 + 1)')]));
    const r = nbx(['run', 'plain.ipynb', '-q'], { cwd: dir, env });
    assert.equal(r.status, 0, r.stderr);
    const [id] = runIds(home);
    const runDir = path.join(home, 'runs', id);
    for (const name of ['output.log', 'kernel.log', 'executed.ipynb']) {
      assert.doesNotMatch(fs.readFileSync(path.join(runDir, name), 'utf8'), /unknown msg_type/);
    }
  });
});
