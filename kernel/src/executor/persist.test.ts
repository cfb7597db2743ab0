/**
 * The executed notebook on disk while it runs: the file plus its journal read back as the
 * notebook at every moment (checkpoints in flight included), and what that costs in bytes
 * against real kernels, for a flood of output and for many small cells.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { serializeNotebook } from '../notebook/io';
import type { ICodeCell, INotebook } from '../notebook/nbformat';
import { getKernelSpec } from '../protocol/kernelspec';
import { KernelManager } from '../protocol/manager';
import { code, markdown, notebook, tempDir } from '../testing/fixtures';
import { NotebookExecutor } from './execute';
import { readExecutedNotebook } from './journal';
import { OutputReducer, type IIopubMessage } from './outputs';
import { NotebookPersister } from './persist';

/** The notebook as Jupyter would write it, parsed: equal for equal notebooks. */
function canonical(nb: unknown): unknown {
  return JSON.parse(serializeNotebook(nb as INotebook));
}

/** A small deterministic pseudo-random generator (mulberry32). */
function random(seed: number): (n: number) => number {
  let a = seed;
  return n => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

const PIECES = ['step 1\n', 'loss: 0.5\n', 'abc', '10%\r', '20%\r', 'x\b', '\n', 'é ✓\r\n', ''];

/** A random iopub message of the kinds the reducer handles. */
function randomMessage(pick: (n: number) => number): IIopubMessage {
  const id = `d${pick(2)}`;
  switch (pick(9)) {
    case 0:
      return { msg_type: 'display_data', content: { data: { 'text/plain': `shown ${pick(99)}` } } };
    case 1:
      return {
        msg_type: 'display_data',
        content: { data: { 'text/plain': `first ${id}` }, transient: { display_id: id } }
      };
    case 2:
      return {
        msg_type: 'update_display_data',
        content: { data: { 'text/plain': `now ${pick(99)}` }, transient: { display_id: id } }
      };
    case 3:
      return { msg_type: 'clear_output', content: { wait: pick(2) === 0 } };
    case 4:
      return { msg_type: 'error', content: { ename: 'E', evalue: 'v', traceback: ['t'] } };
    default: {
      const text = Array.from({ length: 1 + pick(4) }, () => PIECES[pick(PIECES.length)]).join('');
      return { msg_type: 'stream', content: { name: pick(4) === 0 ? 'stderr' : 'stdout', text } };
    }
  }
}

const tick = (): Promise<void> => new Promise(resolve => setImmediate(resolve));

describe('NotebookPersister', () => {
  it('reads back as the notebook after every flush, with checkpoints written meanwhile', async () => {
    for (const seed of [1, 2, 3]) {
      const dir = tempDir();
      const file = path.join(dir, 'executed.ipynb');
      const journal = path.join(dir, 'executed.journal');
      const nb = notebook('python3', [code('a'), markdown('m'), code('b'), code('c'), code('d')]);
      const cells = nb.cells.filter((c): c is ICodeCell => c.cell_type === 'code');
      const persister = new NotebookPersister(nb, {
        path: file,
        journalPath: journal,
        flushMs: 3_600_000,
        slackBytes: 50_000,
        onError: err => assert.fail(err)
      });
      const reducer = new OutputReducer({ onChange: (cell, c) => persister.change(cell, c) });
      const pick = random(seed);
      persister.save();
      let current = cells[0];
      reducer.startCell(current);
      // Until some checkpoints were written in the middle of it all (slow on a loaded machine).
      for (let step = 0; step < 600 || persister.checkpoints < 3; step++) {
        assert.ok(step < 100_000, 'checkpoints are written');
        if (pick(40) === 0 && current !== cells[cells.length - 1]) {
          current = cells[cells.indexOf(current) + 1];
          reducer.startCell(current);
          current.execution_count = step;
          current.metadata.execution = { started: String(step) };
          persister.change(current, { kind: 'cell' });
          persister.save();
        }
        reducer.handle(current, step, randomMessage(pick));
        if (pick(8) === 0) {
          persister.save();
        }
        if (pick(5) === 0) {
          persister.flush();
          if (fs.existsSync(file)) {
            assert.deepEqual(
              canonical(readExecutedNotebook(file, journal)),
              canonical(nb),
              `seed ${seed}, step ${step}`
            );
          }
        }
        for (let i = pick(3); i > 0; i--) {
          await tick();
        }
      }
      await persister.close();
      assert.equal(fs.existsSync(journal), false, 'the journal is gone');
      assert.equal(fs.readFileSync(file, 'utf8'), serializeNotebook(nb));
    }
  });

  it('ignores a journal that belongs to another version of the file', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'executed.ipynb');
    const journal = path.join(dir, 'executed.journal');
    const nb = notebook('python3', [code('print(1)')]);
    const persister = new NotebookPersister(nb, { path: file, journalPath: journal });
    persister.save();
    await persister.close();
    const stat = fs.statSync(file);
    const entry = { c: 0, n: 1, set: [[0, { output_type: 'stream', name: 'stdout', text: 'x' }]] };
    const header = { checkpoint: { dev: stat.dev, ino: stat.ino + 1 } };
    fs.writeFileSync(journal, `${JSON.stringify(header)}\n${JSON.stringify(entry)}\n`);
    assert.deepEqual(canonical(readExecutedNotebook(file, journal)), canonical(nb));
    header.checkpoint.ino = stat.ino;
    fs.writeFileSync(journal, `${JSON.stringify(header)}\n${JSON.stringify(entry)}\n{"c":0,`);
    const read = readExecutedNotebook(file, journal) as unknown as { cells: ICodeCell[] };
    assert.equal(read.cells[0].outputs.length, 1, 'complete lines apply, a partial one waits');
  });
});

/** Runs `nb` in a fresh kernel with a persister; returns it and the final file's size. */
async function persistRun(
  nb: INotebook
): Promise<{ persister: NotebookPersister; size: number; file: string }> {
  const dir = tempDir();
  const file = path.join(dir, 'executed.ipynb');
  const persister = new NotebookPersister(nb, {
    path: file,
    journalPath: path.join(dir, 'executed.journal'),
    slackBytes: SLACK
  });
  const kernel = nb.metadata.kernelspec as { name: string };
  const km = await KernelManager.start({
    spec: getKernelSpec(kernel.name),
    cwd: dir,
    env: process.env
  });
  try {
    const result = await new NotebookExecutor(km, nb, {
      save: () => persister.save(),
      onChange: (cell, change) => persister.change(cell, change)
    }).run();
    assert.equal(result.status, 'completed', result.error ?? '');
  } finally {
    await km.shutdown();
  }
  await persister.close();
  return { persister, size: fs.statSync(file).size, file };
}

const SLACK = 64 * 1024;
/**
 * Checkpoints come to at most 1.5 times the final size plus the slack, then come the final
 * file and the journal (about the size of the output, some of it twice): 5 is generous.
 */
const FACTOR = 5;

describe('NotebookPersister against real kernels: bytes written', () => {
  it('a flood of output from one cell costs a constant factor of the notebook', async () => {
    const nb = notebook('python3', [
      code('x = 1'),
      code(
        'for i in range(150000):\n' +
          '    print(f"line {i} of a flood of output, padded to be a little longer")'
      ),
      code('print("after")')
    ]);
    const { persister, size } = await persistRun(nb);
    assert.ok(size > 8_000_000, `the notebook holds the flood (${size} bytes)`);
    assert.ok(
      persister.bytesWritten <= FACTOR * size + SLACK,
      `${persister.bytesWritten} bytes written for a notebook of ${size}`
    );
  });

  it('a thousand small cells cost a constant factor of the notebook', async () => {
    const cells = Array.from({ length: 1000 }, (_, i) => code(`x${i} = ${i}\nprint(x${i})`));
    const nb = notebook('python3', cells);
    const { persister, size, file } = await persistRun(nb);
    assert.ok(
      persister.bytesWritten <= FACTOR * size + SLACK,
      `${persister.bytesWritten} bytes written for a notebook of ${size}`
    );
    const written = JSON.parse(fs.readFileSync(file, 'utf8')) as { cells: ICodeCell[] };
    assert.equal(written.cells[999].execution_count, 1000);
  });
});
