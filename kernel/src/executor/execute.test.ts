/**
 * The executor against real kernels: ipykernel and tslab, started fresh for
 * each notebook, as a run would.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { getKernelSpec } from '../protocol/kernelspec';
import { KernelManager } from '../protocol/manager';
import type { ICodeCell, INotebook, IStreamOutput, Output } from '../notebook/nbformat';
import { code, markdown, notebook, tempDir, type KernelName } from '../testing/fixtures';
import { NotebookExecutor, type IExecuteOptions, type IExecuteResult } from './execute';

interface IRunResult extends IExecuteResult {
  nb: INotebook;
  saves: number;
  streamed: string;
}

async function execute(
  kernel: KernelName,
  nb: INotebook,
  options: IExecuteOptions = {}
): Promise<IRunResult> {
  const spec = getKernelSpec(kernel);
  const km = await KernelManager.start({ spec, cwd: tempDir(), env: process.env });
  let saves = 0;
  let streamed = '';
  try {
    const executor = new NotebookExecutor(km, nb, {
      ...options,
      save: () => saves++,
      onStream: (_name, text) => (streamed += text)
    });
    const result = await executor.run();
    return { ...result, nb, saves, streamed };
  } finally {
    await km.shutdown();
  }
}

function cell(nb: INotebook, index: number): ICodeCell {
  const c = nb.cells[index];
  assert.equal(c.cell_type, 'code');
  return c as ICodeCell;
}

function text(out: Output): string {
  assert.equal(out.output_type, 'stream');
  const t = (out as IStreamOutput).text;
  return Array.isArray(t) ? t.join('') : t;
}

function plain(out: Output): unknown {
  assert.ok(out.output_type === 'display_data' || out.output_type === 'execute_result');
  return out.data['text/plain'];
}

describe('NotebookExecutor with ipykernel', () => {
  it('executes code cells in order with sequential counts, skipping the rest', async () => {
    const nb = notebook('python3', [
      markdown('# title'),
      code('x = 1\nprint("a")\nprint("b")'),
      code('   \n'),
      code('print("skipped")', ['skip-execution']),
      code('x + 41')
    ]);
    const r = await execute('python3', nb);
    assert.equal(r.status, 'completed');
    assert.equal(r.error, null);
    assert.equal(cell(nb, 1).execution_count, 1);
    assert.equal(cell(nb, 2).execution_count, null);
    assert.equal(cell(nb, 3).execution_count, null);
    assert.deepEqual(cell(nb, 3).outputs, []);
    assert.equal(cell(nb, 4).execution_count, 2);
    assert.equal(cell(nb, 1).outputs.length, 1, 'two prints coalesce into one stream');
    assert.equal(text(cell(nb, 1).outputs[0]), 'a\nb\n');
    const result = cell(nb, 4).outputs[0];
    assert.equal(result.output_type, 'execute_result');
    assert.equal(plain(result), '42');
    assert.equal((result as { execution_count: number }).execution_count, 2);
    const lang = nb.metadata.language_info as { name: string };
    assert.equal(lang.name, 'python');
    const timing = cell(nb, 1).metadata.execution as Record<string, string>;
    for (const key of ['iopub.status.busy', 'shell.execute_reply', 'iopub.status.idle']) {
      assert.match(timing[key], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/, key);
    }
    assert.ok(r.saves >= 3, `saved at start and after each cell (${r.saves})`);
    assert.equal(r.streamed, 'a\nb\n');
  });

  it('honours clear_output(wait=True) and display_id updates across cells', async () => {
    const nb = notebook('python3', [
      code(
        'from IPython.display import clear_output, display\n' +
          'print("old")\nclear_output(wait=True)\nprint("new")'
      ),
      code('h = display("first", display_id=True)'),
      code('h.update("second")\nprint("after")')
    ]);
    const r = await execute('python3', nb);
    assert.equal(r.status, 'completed');
    assert.deepEqual(cell(nb, 0).outputs.map(text), ['new\n']);
    assert.equal(cell(nb, 1).outputs.length, 1);
    assert.equal(plain(cell(nb, 1).outputs[0]), "'second'");
    assert.deepEqual(cell(nb, 2).outputs.map(text), ['after\n']);
  });

  it('stops at an error, keeps the outputs so far, and names the error', async () => {
    const nb = notebook('python3', [
      code('print("before")'),
      code('raise ValueError("boom")'),
      code('print("never")')
    ]);
    const r = await execute('python3', nb);
    assert.equal(r.status, 'error');
    assert.equal(r.cellIndex, 1);
    assert.equal(r.error, 'cell 2 of 3 failed: ValueError: boom');
    assert.equal(cell(nb, 1).outputs[0].output_type, 'error');
    assert.equal(cell(nb, 2).execution_count, null);
    assert.deepEqual(cell(nb, 2).outputs, []);
  });

  it('goes on after errors in raises-exception cells and with allowErrors', async () => {
    const tagged = notebook('python3', [
      code('raise KeyError("k")', ['raises-exception']),
      code('print("ran")')
    ]);
    const r1 = await execute('python3', tagged);
    assert.equal(r1.status, 'completed');
    assert.deepEqual(cell(tagged, 1).outputs.map(text), ['ran\n']);

    const plainNb = notebook('python3', [code('1/0'), code('print("ran")')]);
    const r2 = await execute('python3', plainNb, { allowErrors: true });
    assert.equal(r2.status, 'completed');
    assert.equal(cell(plainNb, 0).outputs[0].output_type, 'error');
    assert.deepEqual(cell(plainNb, 1).outputs.map(text), ['ran\n']);
  });

  it('fails a cell that asks for input instead of hanging', async () => {
    const nb = notebook('python3', [code('name = input("name? ")')]);
    const r = await execute('python3', nb, { timeoutMs: 20_000 });
    assert.equal(r.status, 'error');
    assert.match(r.error ?? '', /StdinNotImplementedError/);
  });

  it('interrupts a cell that passes the timeout and fails the run', async () => {
    const nb = notebook('python3', [code('import time\ntime.sleep(60)'), code('print("never")')]);
    const started = Date.now();
    const r = await execute('python3', nb, { timeoutMs: 1000 });
    assert.equal(r.status, 'error');
    assert.equal(r.error, 'cell 1 of 2 timed out after 1 s (raise --timeout if it needs longer)');
    assert.ok(Date.now() - started < 10_000);
    assert.equal(cell(nb, 1).execution_count, null);
  });

  it('reports a kernel that dies mid-cell', async () => {
    const nb = notebook('python3', [code('print("hi", flush=True)\nimport os\nos._exit(1)')]);
    const r = await execute('python3', nb);
    assert.equal(r.status, 'error');
    assert.match(r.error ?? '', /^kernel died \(exit code 1\) while running cell 1 of 1$/);
  });
});

describe('NotebookExecutor with tslab', () => {
  it('merges per-write streams, keeps its values and updates displays in place', async () => {
    const nb = notebook('tslab', [
      code('for (let i = 0; i < 5; i++) { console.log(`step=${i}`); }'),
      code('const answer: number = 6 * 7;\nanswer'),
      code(
        "import * as tslab from 'tslab';\nconst d = tslab.newDisplay();\n" +
          "d.text('first');\nd.text('second');"
      )
    ]);
    const r = await execute('tslab', nb);
    assert.equal(r.status, 'completed', r.error ?? '');
    assert.equal(cell(nb, 0).outputs.length, 1);
    assert.equal(text(cell(nb, 0).outputs[0]), 'step=0\nstep=1\nstep=2\nstep=3\nstep=4\n');
    assert.deepEqual(cell(nb, 1).outputs.map(text), ['42\n']);
    assert.deepEqual(cell(nb, 0).execution_count, 1);
    assert.deepEqual(cell(nb, 2).execution_count, 3);
    assert.equal(cell(nb, 2).outputs.length, 1);
    assert.equal(plain(cell(nb, 2).outputs[0]), 'second');
    assert.equal((nb.metadata.language_info as { name: string }).name, 'typescript');
  });

  it('fails on a thrown error, quoting what tslab printed', async () => {
    const nb = notebook('tslab', [code("throw new Error('boom');"), code('console.log(1);')]);
    const r = await execute('tslab', nb);
    assert.equal(r.status, 'error');
    assert.match(r.error ?? '', /^cell 1 of 2 failed: .*boom/);
    assert.equal(cell(nb, 1).execution_count, null);
  });

  it('fails on a type error without running the cell', async () => {
    const nb = notebook('tslab', [code("const n: number = 'text';")]);
    const r = await execute('tslab', nb);
    assert.equal(r.status, 'error');
    assert.match(r.error ?? '', /cell 1 of 1 failed: 1:7 - Type 'string' is not assignable/);
  });

  it('interrupts a synchronous loop on timeout with SIGINT', async () => {
    const nb = notebook('tslab', [code('while (true) {}'), code('console.log("never");')]);
    const r = await execute('tslab', nb, { timeoutMs: 1500 });
    assert.equal(r.status, 'error');
    assert.match(r.error ?? '', /timed out after 1\.5 s/);
  });

  it('reports a kernel that exits mid-cell', async () => {
    const nb = notebook('tslab', [code('console.log("bye");\nprocess.exit(1);')]);
    const r = await execute('tslab', nb);
    assert.equal(r.status, 'error');
    assert.match(r.error ?? '', /^kernel died \(exit code 1\) while running cell 1 of 1$/);
  });
});
