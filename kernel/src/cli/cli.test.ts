/**
 * The `nbx` command line as a person uses it: real processes, real kernels,
 * real signals. Runs go to a temporary NBX_HOME.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { parseNotebook } from '../notebook/io';
import type { ICodeCell } from '../notebook/nbformat';
import type { RunMeta } from '../store/meta';
import {
  code,
  FAKE_BIN,
  nbx,
  nbxAsync,
  notebook,
  pidAlive,
  waitFor,
  writeNotebook
} from '../testing/fixtures';
import { assertOneLine, cliProject, readMeta, runIds, streamText } from '../testing/cli-project';

/** Asserts a bad-input failure: non-zero exit, one line on stderr, no run written. */
function assertOneLineError(
  r: { status: number | null; stderr: string },
  pattern: RegExp,
  home: string
): void {
  assertOneLine(r, 'failed', pattern);
  assert.deepEqual(runIds(home), [], 'nothing written');
}

describe('nbx run', () => {
  it('runs a notebook in its run directory and records everything', async () => {
    const { dir, home, env } = cliProject();
    fs.writeFileSync(path.join(dir, 'data.csv'), 'a,b\n1,2\n');
    const nbPath = writeNotebook(
      dir,
      'train.ipynb',
      notebook('python3', [
        code('import os\nprint(open("data.csv").read().strip())'),
        code('print("cwd", os.getcwd())\nopen("model.txt", "w").write("weights")'),
        code('for step in range(3):\n    print(f"step={step} loss={1/(step+1):.2f}")')
      ])
    );
    const r = nbx(['run', 'train.ipynb'], { cwd: dir, env });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /a,b\n1,2\n/, 'the output is echoed');
    assert.match(r.stderr, /^run [0-9a-f]{8} completed in \d/m);
    const [id] = runIds(home);
    const runDir = path.join(home, 'runs', id);
    const meta = readMeta(home, id);
    assert.equal(meta.status, 'completed');
    assert.equal(meta.exitCode, 0);
    assert.equal(meta.notebook, nbPath);
    assert.equal(meta.kernel?.name, 'python3');
    assert.deepEqual(meta.progress, { cells: 3, done: 3, current: null });
    assert.ok(meta.started && meta.stopped);
    assert.equal(meta.gpus, null);
    const executed = parseNotebook(
      fs.readFileSync(path.join(runDir, 'executed.ipynb'), 'utf8'),
      'x'
    );
    const cells = executed.cells as ICodeCell[];
    assert.equal(streamText(cells[1]), `cwd ${runDir}\n`);
    assert.equal(fs.readFileSync(path.join(runDir, 'model.txt'), 'utf8'), 'weights');
    assert.ok(!fs.existsSync(path.join(dir, 'model.txt')), 'files land in the run, not beside it');
    assert.match(
      fs.readFileSync(path.join(runDir, 'output.log'), 'utf8'),
      /a,b\n1,2\ncwd .*\nstep=0 loss=1.00\nstep=1 loss=0.50\nstep=2 loss=0.33\n$/
    );
    assert.ok(fs.existsSync(path.join(runDir, 'snapshot.ipynb')));

    const list = nbx(['runs'], { cwd: dir, env });
    assert.equal(list.status, 0);
    assert.match(
      list.stdout,
      new RegExp(`^\\[1\\]  ${id.slice(0, 8)}  train.ipynb  \\d{4}-.*completed$`, 'm')
    );
    const shown = nbx(['show', '1', '--json'], { cwd: dir, env });
    assert.equal((JSON.parse(shown.stdout) as RunMeta).id, id);
    const byPrefix = nbx(['show', id.slice(0, 5)], { cwd: dir, env });
    assert.match(byPrefix.stdout, /^status:\s+completed$/m);
    const log = nbx(['log', id], { cwd: dir, env });
    assert.match(log.stdout, /step=2 loss=0.33/);
  });

  it('exits non-zero with the error when a cell fails', () => {
    const { dir, home, env } = cliProject();
    writeNotebook(dir, 'bad.ipynb', notebook('python3', [code('raise RuntimeError("nope")')]));
    const r = nbx(['run', 'bad.ipynb', '--json'], { cwd: dir, env });
    assert.equal(r.status, 1);
    const meta = JSON.parse(r.stdout) as RunMeta;
    assert.equal(meta.status, 'error');
    assert.equal(meta.error, 'cell 1 of 1 failed: RuntimeError: nope');
    assert.equal(readMeta(home, meta.id).exitCode, 1);
  });

  it('gives the kernel exactly the GPUs chosen', () => {
    const { dir, env } = cliProject();
    writeNotebook(
      dir,
      'gpu.ipynb',
      notebook('python3', [code('import os\nprint(repr(os.environ.get("CUDA_VISIBLE_DEVICES")))')])
    );
    const inherited = { ...env, CUDA_VISIBLE_DEVICES: '7' };
    const cases: [string[], string][] = [
      [['--gpus', '0,2'], "'0,2'"],
      [['--no-gpus'], "''"],
      [[], "'7'"]
    ];
    for (const [args, expected] of cases) {
      const r = nbx(['run', 'gpu.ipynb', ...args], { cwd: dir, env: inherited });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.trim(), expected, args.join(' '));
    }
    const bad = nbx(['run', 'gpu.ipynb', '--gpus', '0,,x'], { cwd: dir, env });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /^nbx: invalid --gpus '0,,x'/);
  });

  it('detaches: prints the id at once, and the run completes on its own', async () => {
    const { dir, home, env } = cliProject();
    writeNotebook(
      dir,
      'slow.ipynb',
      notebook('python3', [code('import time\ntime.sleep(1.5)\nprint("done")')])
    );
    const r = nbx(['run', 'slow.ipynb', '--detach'], { cwd: dir, env });
    assert.equal(r.status, 0, r.stderr);
    const id = r.stdout.trim();
    assert.match(id, /^[0-9a-f]{32}$/);
    const early = readMeta(home, id).status;
    assert.ok(early === 'queued' || early === 'running', early);
    const follow = nbx(['log', id, '--follow'], { cwd: dir, env });
    assert.equal(follow.status, 0);
    assert.equal(follow.stdout, 'done\n', 'log --follow prints everything, then returns');
    const final = readMeta(home, id);
    assert.equal(final.status, 'completed');
    assert.notEqual(final.pid, process.pid);
    assert.equal(nbx(['log', id], { cwd: dir, env }).stdout, 'done\n');
  });

  it('stops a running run: status terminated, kernel gone', async () => {
    const { dir, home, env } = cliProject();
    writeNotebook(
      dir,
      'long.ipynb',
      notebook('python3', [code('import time\nprint("started", flush=True)\ntime.sleep(120)')])
    );
    const id = nbx(['run', 'long.ipynb', '--detach'], { cwd: dir, env }).stdout.trim();
    const running = await waitFor(
      () => {
        const m = readMeta(home, id);
        return m.kernelPid !== null && m.progress.current !== null ? m : undefined;
      },
      30_000,
      'the run to start its cell'
    );
    const r = nbx(['stop', id.slice(0, 6)], { cwd: dir, env });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), `${id.slice(0, 8)} terminated`);
    const meta = readMeta(home, id);
    assert.equal(meta.status, 'terminated');
    assert.ok(!pidAlive(running.kernelPid ?? -1), 'kernel is gone');
    assert.ok(!pidAlive(running.pid ?? -1), 'runner is gone');
    const again = nbx(['stop', id], { cwd: dir, env });
    assert.equal(again.status, 2);
    assert.match(again.stderr, /is not running \(status: terminated\)/);
  });

  it('survives its runner being killed with SIGKILL: terminated, valid notebook, no orphan kernel', async () => {
    const { dir, home, env } = cliProject();
    writeNotebook(
      dir,
      'killed.ipynb',
      notebook('tslab', [
        code('console.log("first");'),
        code('console.log("second");\nawait new Promise(r => setTimeout(r, 120000));')
      ])
    );
    const { child, done } = nbxAsync(['run', 'killed.ipynb'], { cwd: dir, env });
    const id = await waitFor(() => runIds(home)[0], 20_000, 'the run directory');
    const running = await waitFor(
      () => {
        // The run directory exists a moment before its meta.json is written.
        if (!fs.existsSync(path.join(home, 'runs', id, 'meta.json'))) {
          return undefined;
        }
        const m = readMeta(home, id);
        return m.progress.current === 2 && m.kernelPid !== null ? m : undefined;
      },
      30_000,
      'the second cell to start'
    );
    child.kill('SIGKILL');
    await done;
    const killedAt = Date.now();
    await waitFor(
      () => (pidAlive(running.kernelPid ?? -1) ? undefined : true),
      5000,
      'the kernel to die'
    );
    assert.ok(Date.now() - killedAt < 5000);
    const shown = JSON.parse(nbx(['show', id, '--json'], { cwd: dir, env }).stdout) as RunMeta;
    assert.equal(shown.status, 'terminated');
    const listed = nbx(['runs'], { cwd: dir, env }).stdout;
    assert.match(listed, /terminated$/m);
    const executed = parseNotebook(
      fs.readFileSync(path.join(home, 'runs', id, 'executed.ipynb'), 'utf8'),
      'executed.ipynb'
    );
    assert.equal(streamText(executed.cells[0] as ICodeCell), 'first\n');
  });

  it('refuses bad input with one clear line and writes nothing', () => {
    const { dir, home, env } = cliProject();
    fs.writeFileSync(path.join(dir, 'broken.ipynb'), '{"cells": [');
    fs.writeFileSync(
      path.join(dir, 'old.ipynb'),
      JSON.stringify({ nbformat: 3, nbformat_minor: 0, metadata: {}, worksheets: [] })
    );
    writeNotebook(dir, 'nokernel.ipynb', notebook('python3', [code('1')]));
    const cases: [string[], RegExp][] = [
      [['run', 'missing.ipynb'], /^nbx: no such notebook: .*missing\.ipynb/],
      [['run', 'broken.ipynb'], /^nbx: .*broken\.ipynb is not valid JSON/],
      [['run', 'old.ipynb'], /^nbx: .*old\.ipynb is nbformat 3/],
      [
        ['run', 'nokernel.ipynb', '--kernel', 'cobol'],
        /^nbx: no kernel named 'cobol'; installed kernels: .*python3.*tslab/
      ],
      [['run', 'nokernel.ipynb', '--timeout', 'soon'], /^nbx: invalid --timeout 'soon'/],
      [['show', 'abc'], /^nbx: no runs yet/]
    ];
    for (const [args, pattern] of cases) {
      assertOneLineError(nbx(args, { cwd: dir, env }), pattern, home);
    }
  });

  it('resolves run references and refuses unknown or ambiguous ones', () => {
    const { dir, home, env } = cliProject();
    writeNotebook(dir, 'quick.ipynb', notebook('python3', [code('pass')]));
    for (let i = 0; i < 3; i++) {
      assert.equal(nbx(['run', 'quick.ipynb', '-q'], { cwd: dir, env }).status, 0);
    }
    const ids = runIds(home);
    const unknown = nbx(['show', 'zzzz'], { cwd: dir, env });
    assert.equal(unknown.status, 2);
    assert.equal(unknown.stderr, "nbx: no run matches 'zzzz' (see nbx runs)\n");
    // Find a prefix shared by two ids, if any; hex ids of 3 runs often share a first char.
    // A digit is read as an index from nbx runs (`nbx show 3`), so only a letter counts.
    const first = ids.map(id => id[0]);
    const shared = first.find((c, i) => first.indexOf(c) !== i && !/^\d$/.test(c));
    if (shared) {
      const amb = nbx(['show', shared], { cwd: dir, env });
      assert.equal(amb.status, 2);
      assert.match(amb.stderr, /is ambiguous/);
    }
    const index = nbx(['show', '3', '--json'], { cwd: dir, env });
    const oldest = JSON.parse(index.stdout) as RunMeta;
    const listed = nbx(['runs', '--json'], { cwd: dir, env });
    const all = JSON.parse(listed.stdout) as RunMeta[];
    assert.equal(all.length, 3);
    assert.equal(all[2].id, oldest.id);
    const rm = nbx(['rm', '-y', '1', '2'], { cwd: dir, env });
    assert.equal(rm.status, 0, rm.stderr);
    assert.deepEqual(runIds(home), [oldest.id]);
    const noConfirm = nbx(['rm', '1'], { cwd: dir, env });
    assert.notEqual(noConfirm.status, 0);
    assert.match(noConfirm.stderr, /pass -y/);
  });
});

describe('nbx gpus', () => {
  it('lists GPUs from nvidia-smi, and says so when there is none', () => {
    const { dir, env } = cliProject();
    const withFake = { ...env, PATH: `${FAKE_BIN}${path.delimiter}${env.PATH ?? ''}` };
    const r = nbx(['gpus', '--json'], { cwd: dir, env: withFake });
    assert.equal(r.status, 0, r.stderr);
    const gpus = JSON.parse(r.stdout) as { index: number; name: string }[];
    assert.deepEqual(
      gpus.map(g => g.index),
      [0, 1, 2, 3]
    );
    assert.match(nbx(['gpus'], { cwd: dir, env: withFake }).stdout, /^3\s+NVIDIA/m);
    const none = nbx(['gpus'], { cwd: dir, env: { ...env, PATH: '/usr/bin:/bin' } });
    assert.equal(none.status, 0);
    assert.equal(none.stdout, 'no GPUs: nvidia-smi not found on PATH (runs use the CPU)\n');
  });
});
