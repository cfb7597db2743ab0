/**
 * `nbx.sweep()` for real: a tslab kernel runs the cell, the real CLI starts the trials as
 * detached runs, and the cell's output is checked — one display, updated in place — as is
 * what an interrupt leaves behind. Plain Node gets lines instead of a display.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { NotebookExecutor, type IExecuteResult } from '../executor/execute';
import type { ICodeCell, INotebook, Output } from '../notebook/nbformat';
import type { JSONObject } from '../base/json';
import { getKernelSpec } from '../protocol/kernelspec';
import { PACKAGE_ROOT } from '../base/paths';
import { KernelManager } from '../protocol/manager';
import type { RunMeta } from '../store/meta';
import { listRuns, withEffectiveStatus } from '../store/runs';
import { code, notebook, tempDir, waitFor } from '../testing/fixtures';
import { ensureNbxResolvable } from '../scheduler/nbx-package';
import { sweepEnv } from './sweep';

const API_MAIN = path.join(PACKAGE_ROOT, 'kernel', 'lib', 'api', 'index.js');

/** A project with `train.ipynb` (a flags cell, a cell printing `loss:` after `sleepMs`). */
function project(sleepMs: number): { dir: string; home: string; env: NodeJS.ProcessEnv } {
  const dir = tempDir();
  const home = path.join(dir, 'home');
  const train = notebook('tslab', [
    code('const lr = 0.1;', ['parameters']),
    code(
      `await new Promise(resolve => setTimeout(resolve, ${sleepMs}));\n` +
        'console.log(`loss: ${lr * 2}`);'
    )
  ]);
  fs.writeFileSync(path.join(dir, 'train.ipynb'), JSON.stringify(train));
  ensureNbxResolvable(dir, dir);
  const env: NodeJS.ProcessEnv = { ...process.env, NBX_HOME: home };
  delete env.NBX_RUN_DIR;
  delete env.NBX_RUN_ID;
  return { dir, home, env };
}

function displays(cell: ICodeCell): Output[] {
  return cell.outputs.filter(o => o.output_type === 'display_data');
}

function plain(output: Output): string {
  const data = (output as { data?: JSONObject }).data ?? {};
  const text = data['text/plain'];
  return Array.isArray(text) ? text.join('') : String(text ?? '');
}

function stdout(cell: ICodeCell): string {
  return cell.outputs
    .filter(o => o.output_type === 'stream' && (o as { name?: string }).name === 'stdout')
    .map(o => {
      const text = (o as { text?: string | string[] }).text ?? '';
      return Array.isArray(text) ? text.join('') : text;
    })
    .join('');
}

function trialsOf(home: string): { batch: RunMeta; trials: RunMeta[] } {
  const runs = listRuns(home).map(m => withEffectiveStatus(m));
  const batch = runs.find(r => r.kind === 'batch');
  assert.ok(batch, 'a batch was made');
  const trials = batch.trials.map(id => {
    const t = runs.find(r => r.id === id);
    assert.ok(t, `trial ${id} exists`);
    return t;
  });
  return { batch, trials };
}

function execute(km: KernelManager, nb: INotebook): Promise<IExecuteResult> {
  return new NotebookExecutor(km, nb).run();
}

const FINAL = ['completed', 'error', 'terminated'];

describe('nbx.sweep in a tslab cell', () => {
  it('starts the trials and shows ONE display, updated in place until all completed', async () => {
    const { dir, home, env } = project(300);
    const nb = notebook('tslab', [
      code('import * as nbx from "nbx";'),
      code(
        "const s = await nbx.sweep('train.ipynb', { lr: [0.1, 0.2] }, { parallel: 2 });\n" +
          'const t = await s.done();\n' +
          'console.log(t.numRows);\n' +
          "console.log(JSON.stringify(t.toArray().map(r => [r.trial, r.status, r.lr, r['#loss']])));\n" +
          "const lr = t.getChild('lr');\n" +
          'await new Promise(resolve => setImmediate(resolve));\n' +
          "console.log(s.id === s.status().id, s.trials.length, process.listenerCount('SIGINT'));"
      )
    ]);
    const km = await KernelManager.start({ spec: getKernelSpec('tslab'), cwd: dir, env });
    try {
      const r = await execute(km, nb);
      const cell = nb.cells[1] as ICodeCell;
      assert.equal(r.status, 'completed', `${r.error ?? ''} ${JSON.stringify(cell.outputs)}`);
      const shown = displays(cell);
      assert.equal(shown.length, 1, 'one display, updated in place, never appended');
      const data = (shown[0] as { data: JSONObject }).data;
      assert.match(String(data['text/html']), /^<div class="nbx-sweep">/);
      const text = plain(shown[0]);
      assert.match(text, /^sweep [0-9a-f]{8} · train\.ipynb · 2 trials: 2 completed$/m);
      assert.match(text, /^1\s+[0-9a-f]{8}\s+0\.1\s+completed\s+\d+s\s+0\.2$/m);
      assert.match(text, /^2\s+[0-9a-f]{8}\s+0\.2\s+completed\s+\d+s\s+0\.4$/m);
      assert.match(text, /finished: all 2 trials completed/);
      const out = stdout(cell).split('\n');
      assert.equal(out[0], '2');
      assert.deepEqual(JSON.parse(out[1]), [
        [1, 'completed', 0.1, 0.2],
        [2, 'completed', 0.2, 0.4]
      ]);
      assert.equal(out[2], 'true 2 1', "only tslab's SIGINT listener is left once done");
      const { batch, trials } = trialsOf(home);
      assert.equal(batch.kind, 'batch');
      assert.deepEqual(
        trials.map(t => [t.status, t.flags.lr, t.parent]),
        [
          ['completed', 0.1, batch.id],
          ['completed', 0.2, batch.id]
        ]
      );
    } finally {
      await km.shutdown();
    }
  });

  it('an interrupt stops waiting and says so; the trials keep running; done() waits again', async () => {
    const { dir, home, env } = project(5000);
    // `await s.done()` in a cell of its own: the listener must not be added while the cell's
    // synchronous part runs (Node's breakOnSigint), or the interrupt kills the kernel.
    const nb = notebook('tslab', [
      code('import * as nbx from "nbx";'),
      code("const s = await nbx.sweep('train.ipynb', { lr: [0.1, 0.2] }, { parallel: 2 });"),
      code('await s.done();')
    ]);
    const km = await KernelManager.start({ spec: getKernelSpec('tslab'), cwd: dir, env });
    try {
      const running = execute(km, nb);
      await waitFor(
        () => {
          const trials = fs.existsSync(home) ? listRuns(home).filter(r => r.parent !== null) : [];
          return trials.length === 2 && trials.every(t => t.status === 'running')
            ? true
            : undefined;
        },
        60_000,
        'both trials running'
      );
      await new Promise(resolve => setTimeout(resolve, 300));
      await km.interrupt();
      const r = await running;
      assert.equal(r.status, 'error');
      assert.doesNotMatch(r.error ?? '', /died/, 'the kernel survived the interrupt');
      const cell = nb.cells[1] as ICodeCell;
      const shown = displays(cell);
      assert.equal(shown.length, 1);
      const { batch } = trialsOf(home);
      const short = batch.id.slice(0, 8);
      assert.match(
        plain(shown[0]),
        new RegExp(`interrupted: the trials keep running — nbx runs / nbx stop ${short}`)
      );
      assert.match(plain(shown[0]), /2 running/);
      // No listener of ours is left. (tslab aborts what arrives in the 200 ms after a failed
      // cell; Node's vm takes SIGINT listeners away while a cell's synchronous part runs.)
      await new Promise(resolve => setTimeout(resolve, 500));
      const after = notebook('tslab', [
        code(
          'await new Promise(resolve => setTimeout(resolve, 10));\n' +
            "console.log(process.listenerCount('SIGINT'));"
        ),
        code(
          'const t = await s.done();\n' + "console.log(t.toArray().map(r => r.status).join(','));"
        )
      ]);
      const r2 = await execute(km, after);
      assert.equal(r2.status, 'completed', r2.error ?? '');
      assert.equal(stdout(after.cells[0] as ICodeCell), '1\n');
      assert.equal(
        stdout(after.cells[1] as ICodeCell),
        'completed,completed\n',
        'the interrupt did not reach the trials, and done() waited again'
      );
      assert.deepEqual(
        trialsOf(home).trials.map(t => t.status),
        ['completed', 'completed']
      );
      assert.equal(displays(cell).length, 1, 'still one display');
    } finally {
      await km.shutdown();
    }
  });
});

/** Runs a Node script in `cwd`; resolves with its exit status and output. */
function node(
  script: string,
  cwd: string,
  env: NodeJS.ProcessEnv
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise(resolve => {
    const child = spawn(process.execPath, ['-e', script], { cwd, env });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', status => resolve({ status, stdout: out, stderr: err }));
  });
}

describe('nbx.sweep in plain Node', () => {
  it('prints lines instead of a display, and done() keeps the process until the end', async () => {
    const { dir, env } = project(0);
    const r = await node(
      `const nbx = require(${JSON.stringify(API_MAIN)});` +
        "nbx.sweep('train.ipynb', { lr: [0.1, 0.2] }, { parallel: 2, objective: '#loss' })" +
        '.then(s => s.done()).then(t => console.log("rows", t.numRows));',
      dir,
      env
    );
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0], /^sweep [0-9a-f]{8} · train\.ipynb · 2 trials: /);
    assert.ok(
      lines.some(l =>
        /^ {2}trial 1 \([0-9a-f]{8}\) lr=0\.1: completed in \d+s {2}loss=0\.2$/.test(l)
      ),
      r.stdout
    );
    assert.ok(
      lines.some(l => /2 completed · best #loss 0\.2 \(trial 1\)$/.test(l)),
      r.stdout
    );
    assert.match(lines[lines.length - 2], /^finished: all 2 trials completed \(\d+s\)$/);
    assert.equal(lines[lines.length - 1], 'rows 2');
  });

  it('stop() stops the running trial and cancels the queued one', async () => {
    const { dir, home, env } = project(30_000);
    const r = await node(
      `const nbx = require(${JSON.stringify(API_MAIN)});` +
        '(async () => {' +
        "  const s = await nbx.sweep('train.ipynb', { lr: [0.1, 0.2] }, { parallel: 1 });" +
        "  while (s.status().trials[0].status !== 'running') await new Promise(r => setTimeout(r, 100));" +
        '  await s.stop();' +
        '  const t = await s.done();' +
        '  console.log(JSON.stringify(t.toArray().map(r => r.status)));' +
        '})();',
      dir,
      env
    );
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines[lines.length - 1], '["terminated","terminated"]', r.stdout);
    assert.match(lines[lines.length - 2], /^finished \(\d+s\) — 0 of 2 completed$/);
    const { batch, trials } = trialsOf(home);
    assert.ok(FINAL.includes(batch.status), batch.status);
    assert.equal(trials[1].started, null, 'the queued trial never started');
  });

  it('refuses what the CLI refuses, with its one-line message, and starts nothing', async () => {
    const { dir, home, env } = project(0);
    const lists = notebook('tslab', [code('const layers = [64, 32];', ['parameters'])]);
    fs.writeFileSync(path.join(dir, 'lists.ipynb'), JSON.stringify(lists));
    const r = await node(
      `const nbx = require(${JSON.stringify(API_MAIN)});` +
        "nbx.sweep('train.ipynb', { lrr: [1, 2] }).catch(e => console.log(e.message));" +
        "nbx.sweep('missing.ipynb', { lr: [1, 2] }).catch(e => console.log(e.message));" +
        "nbx.sweep('lists.ipynb', { layers: [64, 32] }).catch(e => console.log(e.message));",
      dir,
      env
    );
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n').sort();
    assert.equal(lines.length, 3, r.stdout);
    assert.match(lines[0], /^nbx\.sweep: flag 'layers' is a list flag, and an array in nbx\.sweep/);
    assert.match(lines[1], /^nbx\.sweep: no such notebook: .*missing\.ipynb$/);
    assert.match(lines[2], /^nbx\.sweep: unknown flag 'lrr' for train\.ipynb; flags: lr/);
    assert.ok(!fs.existsSync(home), 'nothing written');
  });

  it('does not pass the run identity of the kernel to the sweep', () => {
    const env = sweepEnv({ NBX_RUN_ID: 'x', NBX_RUN_DIR: '/r', NBX_HOME: '/h', PATH: '/bin' });
    assert.deepEqual(env, { NBX_HOME: '/h', PATH: '/bin' });
  });
});
