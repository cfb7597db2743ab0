/**
 * The in-notebook API in a real tslab kernel, as a run executes it, and outside a run.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NotebookExecutor } from '../executor/execute';
import type { ICodeCell, INotebook } from '../notebook/nbformat';
import { getKernelSpec } from '../protocol/kernelspec';
import { PACKAGE_ROOT } from '../base/paths';
import { KernelManager } from '../protocol/manager';
import { code, notebook, tempDir } from '../testing/fixtures';
import { readRunAttrs, readScalars } from '../tracking/scalars';
import { RunScalars } from '../tracking/scalars-run';
import { ensureNbxResolvable } from '../scheduler/nbx-package';

const API_MAIN = path.join(PACKAGE_ROOT, 'kernel', 'lib', 'api', 'index.js');

/** The environment without a run. */
function envWithoutRun(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NBX_RUN_DIR;
  delete env.NBX_RUN_ID;
  return env;
}

/** Executes `nb` in a fresh tslab kernel started in `cwd`; returns status, stdout, stderr. */
async function runTslab(
  nb: INotebook,
  cwd: string,
  env: NodeJS.ProcessEnv
): Promise<{ status: string; error: string | null; stdout: string; stderr: string }> {
  const km = await KernelManager.start({ spec: getKernelSpec('tslab'), cwd, env });
  let stdout = '';
  let stderr = '';
  try {
    const result = await new NotebookExecutor(km, nb, {
      onStream: (name, text) => {
        if (name === 'stdout') {
          stdout += text;
        } else {
          stderr += text;
        }
      }
    }).run();
    return { ...result, stdout, stderr };
  } finally {
    await km.shutdown();
  }
}

/** A run directory prepared as the runner does: `<root>/runs/<id>`, nbx resolvable. */
function prepareRunDir(): { run: string; id: string } {
  const id = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
  const run = path.join(tempDir(), 'runs', id);
  fs.mkdirSync(run, { recursive: true });
  ensureNbxResolvable(run, tempDir());
  return { run, id };
}

describe('nbx API in a tslab run', () => {
  it('logs points and attrs from a notebook, type-checked, and the runner sees them', async () => {
    const { run, id } = prepareRunDir();
    const nb = notebook('tslab', [
      code('import * as nbx from "nbx";'),
      code(
        'for (let i = 0; i < 1000; i++) nbx.log({ loss: 1 / (i + 1) }, i);\n' +
          "nbx.attr('best', 3);\n" +
          "nbx.attr('config', { layers: [64, 32], name: 'x' });\n" +
          'nbx.log({ acc: 0.5 });\n' +
          'console.log(nbx.runId(), nbx.runDir());'
      )
    ]);
    const r = await runTslab(nb, run, { ...envWithoutRun(), NBX_RUN_DIR: run, NBX_RUN_ID: id });
    assert.equal(r.status, 'completed', r.error ?? '');
    assert.equal(r.stderr, '');
    assert.equal(r.stdout, `${id} ${run}\n`);
    const points = readScalars(run);
    assert.equal(points.length, 1001);
    const loss = points.filter(p => p.key === 'loss');
    assert.deepEqual(
      loss.map(p => p.step),
      Array.from({ length: 1000 }, (_, i) => i)
    );
    assert.equal(loss[999].value, 1 / 1000);
    assert.deepEqual(
      points.filter(p => p.key === 'acc').map(p => [p.step, p.value]),
      [[1000, 0.5]],
      'no step: the step after the last one'
    );
    assert.ok(Math.abs(loss[0].time - Date.now()) < 120_000);
    assert.deepEqual(readRunAttrs(run), { best: 3, config: { layers: [64, 32], name: 'x' } });
    const final = new RunScalars(run, {}).close();
    assert.deepEqual(final.scalars.loss, {
      first: 1,
      last: 0.001,
      min: 0.001,
      max: 1,
      count: 1000,
      lastStep: 999
    });
    assert.deepEqual(final.attrs.best, 3);
  });

  it('a type error in using the API is reported by tslab', async () => {
    const { run } = prepareRunDir();
    const nb = notebook('tslab', [code('import * as nbx from "nbx";\nnbx.log({ loss: "high" });')]);
    const r = await runTslab(nb, run, { ...envWithoutRun(), NBX_RUN_DIR: run });
    assert.equal(r.status, 'error');
    const cell = nb.cells[0] as ICodeCell;
    assert.match(JSON.stringify(cell.outputs), /not assignable to type 'number'/);
  });

  it('outside a run: no-ops with one warning, runDir() and runId() are null', async () => {
    const dir = tempDir();
    ensureNbxResolvable(dir, dir);
    const nb = notebook('tslab', [
      code('import * as nbx from "nbx";\nnbx.log({ loss: 1 }, 0);\nnbx.log({ loss: 2 });'),
      code("nbx.attr('x', 1);\nnbx.flush();\nconsole.log(nbx.runDir(), nbx.runId());")
    ]);
    const r = await runTslab(nb, dir, envWithoutRun());
    assert.equal(r.status, 'completed', r.error ?? '');
    assert.equal(r.stdout, 'null null\n');
    assert.equal(r.stderr.match(/nbx: warning/g)?.length, 1, r.stderr);
    assert.match(r.stderr, /NBX_RUN_DIR is not set/);
    assert.deepEqual(fs.readdirSync(dir), ['node_modules']);
  });
});

describe('nbx API module', () => {
  it('loads only node builtins and its own small modules', () => {
    const r = spawnSync(
      process.execPath,
      [
        '-e',
        `require(${JSON.stringify(API_MAIN)}); console.log(JSON.stringify(Object.keys(require.cache)))`
      ],
      { encoding: 'utf8', env: envWithoutRun() }
    );
    assert.equal(r.status, 0, r.stderr);
    const loaded = (JSON.parse(r.stdout) as string[])
      .map(f => path.relative(PACKAGE_ROOT, f))
      .sort();
    assert.deepEqual(loaded, ['kernel/lib/api/index.js', 'kernel/lib/tracking/scalars-format.js']);
  });

  it('writes everything on exit, also from a process that never flushes', () => {
    const run = tempDir();
    const r = spawnSync(
      process.execPath,
      [
        '-e',
        `const nbx = require(${JSON.stringify(API_MAIN)});` +
          'for (let i = 0; i < 100000; i++) nbx.log({ a: i, b: -i }, i);'
      ],
      { encoding: 'utf8', env: { ...envWithoutRun(), NBX_RUN_DIR: run } }
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.equal(readScalars(run).length, 200000);
  });

  it('writes within about a second even while a synchronous loop blocks the timers', () => {
    const run = tempDir();
    const script =
      `const nbx = require(${JSON.stringify(API_MAIN)}); const fs = require('fs');` +
      'const t0 = Date.now(); let i = 0;' +
      'while (Date.now() - t0 < 1500) { if (Date.now() - t0 >= i * 100) { nbx.log({ x: i }); i++; } }' +
      `const dir = ${JSON.stringify(path.join(run, 'scalars'))};` +
      'console.log(fs.statSync(dir + "/" + fs.readdirSync(dir)[0]).size, i);';
    const r = spawnSync(process.execPath, ['-e', script], {
      encoding: 'utf8',
      env: { ...envWithoutRun(), NBX_RUN_DIR: run }
    });
    assert.equal(r.status, 0, r.stderr);
    const [bytes, logged] = r.stdout.trim().split(' ').map(Number);
    assert.ok(bytes > 8 + 29 * 5, `points written during the loop (${bytes} bytes)`);
    assert.equal(readScalars(run).length, logged);
  });

  it('warns once and records nothing when NBX_RUN_DIR does not exist', () => {
    const missing = path.join(tempDir(), 'gone');
    const r = spawnSync(
      process.execPath,
      [
        '-e',
        `const nbx = require(${JSON.stringify(API_MAIN)}); nbx.log({ a: 1 }); nbx.attr('b', 2);`
      ],
      { encoding: 'utf8', env: { ...envWithoutRun(), NBX_RUN_DIR: missing } }
    );
    assert.equal(r.status, 0);
    assert.equal(r.stderr.match(/nbx: warning/g)?.length, 1);
    assert.ok(!fs.existsSync(missing));
  });
});
