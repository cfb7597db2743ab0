/**
 * Runs under a flood of output, through the real CLI and a real ipykernel: the cell timeout,
 * SIGTERM, SIGINT and `nbx stop` act at once however fast the kernel prints, no cell starts
 * after a stop, and the output shows while the cell runs (`nbx log --follow`, the run view's
 * notebook).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { ICodeCell, INotebook } from '../notebook/nbformat';
import { createContext } from '../service/context';
import { getNotebookMethod } from '../service/methods-read';
import type { RunMeta } from '../store/meta';
import { cliProject, readMeta, runIds, streamText } from '../testing/cli-project';
import {
  code,
  nbx,
  nbxAsync,
  notebook,
  pidAlive,
  waitFor,
  within,
  writeNotebook
} from '../testing/fixtures';

/**
 * A cell printing for two minutes as fast as it can (some 10 MB a second), each line
 * starting with the kernel's clock; the next cell leaves a file behind if it ever runs.
 */
const FLOOD = notebook('python3', [
  code('x = 1'),
  code(
    'import time\n' +
      't0 = time.time()\n' +
      "print(f'start {t0:.3f}', flush=True)\n" +
      "pad = 'a flood of output ' * 8\n" +
      'i = 0\n' +
      'while time.time() - t0 < 120:\n' +
      "    print(f'{time.time():.3f} {i} {pad}')\n" +
      '    i += 1\n' +
      "print('finished')"
  ),
  code("open('next-cell-ran', 'w').close()")
]);

/** The kernel's clock when the cell started, and at its last line of flood, in ms. */
function floodTimes(runDir: string): { start: number; last: number } {
  const log = fs.readFileSync(path.join(runDir, 'output.log'), 'utf8');
  const start = /^start (\d+\.\d+)$/m.exec(log);
  assert.ok(start, 'the cell started');
  const lines = log.match(/^\d+\.\d+ \d+ a flood/gm) ?? [];
  assert.ok(lines.length > 1000, `the cell flooded (${lines.length} lines)`);
  const last = lines[lines.length - 1];
  assert.doesNotMatch(log, /^finished$/m, 'the loop did not run to its end');
  return { start: Number(start[1]) * 1000, last: Number(last.split(' ')[0]) * 1000 };
}

function executed(runDir: string): INotebook {
  return JSON.parse(fs.readFileSync(path.join(runDir, 'executed.ipynb'), 'utf8')) as INotebook;
}

/**
 * Starts a flooding run; resolves once 30 MB of its output are in the log, when rewriting
 * the whole notebook on every save would have long fallen behind.
 */
async function startFlood(): Promise<{
  runDir: string;
  id: string;
  home: string;
  dir: string;
  env: NodeJS.ProcessEnv;
  run: ReturnType<typeof nbxAsync>;
}> {
  const { dir, home, env } = cliProject();
  writeNotebook(dir, 'flood.ipynb', FLOOD);
  const run = nbxAsync(['run', 'flood.ipynb', '--quiet'], { cwd: dir, env });
  const id = await waitFor(() => runIds(home)[0], 30_000, 'the run directory');
  const runDir = path.join(home, 'runs', id);
  await waitFor(
    () => {
      try {
        return fs.statSync(path.join(runDir, 'output.log')).size > 30 << 20 ? true : undefined;
      } catch {
        return undefined;
      }
    },
    60_000,
    '30 MB of output'
  );
  return { runDir, id, home, dir, env, run };
}

/** Asserts the run was stopped at `stoppedAt` (ms) promptly and went no further. */
async function assertStopped(
  flood: Awaited<ReturnType<typeof startFlood>>,
  stoppedAt: number,
  reason: RegExp
): Promise<void> {
  const result = await within(flood.run.done, 30_000, 'the runner to exit');
  assert.equal(result.status, 1, result.stderr);
  const meta: RunMeta = readMeta(flood.home, flood.id);
  assert.equal(meta.status, 'terminated');
  assert.match(meta.error ?? '', reason);
  assert.ok(meta.kernelPid !== null && !pidAlive(meta.kernelPid), 'the kernel is gone');
  const { last } = floodTimes(flood.runDir);
  // The kernel's own clock: it printed nothing more than 2 s after the stop.
  assert.ok(last - stoppedAt < 2000, `the kernel printed ${last - stoppedAt} ms after the stop`);
  const cells = executed(flood.runDir).cells as ICodeCell[];
  assert.equal(cells[2].execution_count, null, 'no cell started after the stop');
  assert.ok(!fs.existsSync(path.join(flood.runDir, 'next-cell-ran')));
}

describe('a run that floods its output', () => {
  it('is interrupted within a second of its --timeout, and says it timed out', async () => {
    const { dir, home, env } = cliProject();
    writeNotebook(dir, 'flood.ipynb', FLOOD);
    const run = nbxAsync(['run', 'flood.ipynb', '--quiet', '--timeout', '6'], { cwd: dir, env });
    const r = await within(run.done, 90_000, 'the run').finally(() => run.child.kill('SIGKILL'));
    assert.equal(r.status, 1, r.stderr);
    const id = runIds(home)[0];
    const meta = readMeta(home, id);
    assert.equal(meta.status, 'error');
    assert.equal(
      meta.error,
      'cell 2 of 3 timed out after 6 s (raise --timeout if it needs longer)'
    );
    const runDir = path.join(home, 'runs', id);
    const { start, last } = floodTimes(runDir);
    // The timer starts as the request leaves, the kernel's clock a little later.
    assert.ok(last - start < 7000, `the cell printed for ${last - start} ms`);
    const cells = executed(runDir).cells as ICodeCell[];
    assert.ok(
      cells[1].outputs.some(o => o.output_type === 'error' && o.ename === 'KeyboardInterrupt'),
      'the kernel was interrupted'
    );
    assert.equal(cells[2].execution_count, null);
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`stops within 2 s of a ${signal} to its runner, and runs no later cell`, async () => {
      const flood = await startFlood();
      try {
        const stoppedAt = Date.now();
        flood.run.child.kill(signal);
        await assertStopped(flood, stoppedAt, new RegExp(`stopped by ${signal}`));
      } finally {
        flood.run.child.kill('SIGKILL');
      }
    });
  }

  it('stops within 2 s of nbx stop, and runs no later cell', async () => {
    const flood = await startFlood();
    try {
      const stoppedAt = Date.now();
      const stop = nbx(['stop', flood.id], { cwd: flood.dir, env: flood.env });
      assert.equal(stop.status, 0, stop.stderr);
      await assertStopped(flood, stoppedAt, /stopped by nbx stop/);
    } finally {
      flood.run.child.kill('SIGKILL');
    }
  });

  it('shows its output while the cell runs: nbx log --follow and the run view', async () => {
    const { dir, home, env } = cliProject();
    writeNotebook(
      dir,
      'live.ipynb',
      notebook('python3', [
        code(
          'import os, time\n' +
            "print('first marker', flush=True)\n" +
            "while not os.path.exists('go'):\n" +
            '    time.sleep(0.05)\n' +
            "print('second marker')"
        )
      ])
    );
    const run = nbxAsync(['run', 'live.ipynb', '--quiet'], { cwd: dir, env });
    const id = await waitFor(() => runIds(home)[0], 30_000, 'the run directory');
    const follow = nbxAsync(['log', id, '--follow'], { cwd: dir, env });
    let followed = '';
    follow.child.stdout?.on('data', d => (followed += String(d)));
    await waitFor(
      () => (followed.includes('first marker') ? true : undefined),
      60_000,
      'nbx log --follow to show the first line'
    );
    const context = createContext({ cwd: dir, env, log: () => undefined });
    const shown = await waitFor(
      () => {
        try {
          const nb = getNotebookMethod({ id }, context).json as unknown as INotebook;
          const text = streamText(nb.cells[0] as ICodeCell);
          return text.includes('first marker') ? text : undefined;
        } catch {
          return undefined;
        }
      },
      30_000,
      'the run view to show the first line'
    );
    assert.equal(shown, 'first marker\n');
    assert.equal(readMeta(home, id).status, 'running', 'all of it while the cell runs');
    fs.writeFileSync(path.join(home, 'runs', id, 'go'), '');
    assert.equal((await within(run.done, 60_000, 'the run')).status, 0);
    const followEnd = await within(follow.done, 30_000, 'nbx log --follow to end with the run');
    assert.equal(followEnd.stdout, 'first marker\nsecond marker\n');
    const nb = getNotebookMethod({ id }, context).json as unknown as INotebook;
    assert.equal(streamText(nb.cells[0] as ICodeCell), 'first marker\nsecond marker\n');
    assert.ok(!fs.existsSync(path.join(home, 'runs', id, '.nbx', 'executed.journal')));
  });
});
