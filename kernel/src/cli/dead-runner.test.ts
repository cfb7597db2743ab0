/**
 * A runner killed with SIGKILL writes nothing more. The kernel dies with it (the orphan
 * watcher), its connection file goes too, and the next `nbx show` records the run as
 * `terminated` with `error: runner died` and `stopped` at the runner's last heartbeat, so
 * its duration stops growing.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import type { RunMeta } from '../store/meta';
import { code, nbx, notebook, pidAlive, waitFor, writeNotebook } from '../testing/fixtures';
import { cliProject, readMeta, runIds } from '../testing/cli-project';

function show(id: string, dir: string, env: NodeJS.ProcessEnv): RunMeta {
  const r = nbx(['show', id, '--json'], { cwd: dir, env });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as RunMeta;
}

describe('a runner killed with SIGKILL', () => {
  it('leaves an honest record and no connection file', async () => {
    const { dir, home, env: baseEnv } = cliProject();
    const runtime = path.join(dir, 'runtime');
    const env = { ...baseEnv, JUPYTER_RUNTIME_DIR: runtime };
    writeNotebook(
      dir,
      'sleep.ipynb',
      notebook('python3', [code('import time\nprint("started", flush=True)\ntime.sleep(600)')])
    );
    const r = nbx(['run', 'sleep.ipynb', '--detach'], { cwd: dir, env });
    assert.equal(r.status, 0, r.stderr);
    const [id] = runIds(home);
    const logPath = path.join(home, 'runs', id, 'output.log');
    const running = await waitFor(
      () => {
        const meta = readMeta(home, id);
        const log = fs.existsSync(logPath) ? fs.readFileSync(logPath, 'utf8') : '';
        return meta.status === 'running' && meta.kernelPid && log.includes('started')
          ? meta
          : undefined;
      },
      60_000,
      'the detached run to start its cell'
    );
    assert.equal(
      fs.readdirSync(runtime).filter(f => f.startsWith('kernel-')).length,
      1,
      'the kernel has a connection file while it runs'
    );
    const killedAt = Date.now();
    process.kill(running.pid as number, 'SIGKILL');
    await waitFor(
      () => (pidAlive(running.kernelPid as number) ? undefined : true),
      10_000,
      'the kernel to die with its runner'
    );
    assert.deepEqual(
      fs.readdirSync(runtime).filter(f => f.startsWith('kernel-')),
      [],
      'the connection file (with its key) is removed'
    );

    const first = show(id, dir, env);
    assert.equal(first.status, 'terminated');
    assert.equal(first.error, 'runner died');
    assert.ok(first.stopped, 'stopped is recorded');
    const stopped = Date.parse(first.stopped);
    assert.ok(stopped >= Date.parse(running.started as string));
    assert.ok(stopped <= killedAt + 1000, 'stopped is the last sign of life, not now');
    assert.equal(readMeta(home, id).status, 'terminated', 'written to meta.json');

    await new Promise(resolve => setTimeout(resolve, 1100));
    assert.equal(show(id, dir, env).stopped, first.stopped, 'the duration no longer grows');
  });
});
