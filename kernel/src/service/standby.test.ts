/**
 * The service's standby kernel, with real kernels and the service's own `startRun`: a run
 * that takes the standby sees exactly what a cold run sees (environment, working directory,
 * command line, imports resolved from its run directory, GPUs from a fake nvidia-smi) and
 * records `kernelWarm`; a standby of other GPUs is not used; a dead standby kernel or runner
 * gives way to a cold start; stopping or SIGKILLing the runner kills the kernel; closing the
 * service ends the standby runner and kernel and removes the reserved directory, which is
 * never listed as a run; with the setting off no standby process is left.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { stopRun } from '../scheduler/control';
import type { RunMeta } from '../store/meta';
import { RunDir } from '../store/run-dir';
import { listRuns } from '../store/runs';
import {
  code,
  FAKE_BIN,
  notebook,
  pidAlive,
  processesIn,
  tempDir,
  waitFor,
  writeNotebook
} from '../testing/fixtures';
import { PYTHON_PROBE, TSLAB_PROBE } from '../testing/probes';
import { createContext } from './context';
import { startRunMethod } from './methods-start';
import type { Params } from './params';
import type { IServiceContext } from './protocol';
import { ServiceStandby } from './standby';

interface IProject {
  dir: string;
  home: string;
  context: IServiceContext;
  standby: ServiceStandby;
}

function project(files: Record<string, string> = {}): IProject {
  const dir = tempDir('nbx-standby-');
  const home = path.join(dir, '.nbx');
  for (const [name, text] of Object.entries(files)) {
    fs.writeFileSync(path.join(dir, name), text);
  }
  const standby = new ServiceStandby();
  const env = {
    ...process.env,
    NBX_HOME: home,
    PATH: `${FAKE_BIN}${path.delimiter}${process.env.PATH ?? ''}`
  };
  const context = createContext({ cwd: dir, env, log: () => undefined, standby });
  return { dir, home, context, standby };
}

async function start(p: IProject, params: Params): Promise<RunMeta> {
  const reply = await startRunMethod({ path: 'probe.ipynb', ...params }, p.context);
  return (reply.json as { meta: RunMeta }).meta;
}

const FINAL = ['completed', 'error', 'terminated'];

async function finished(p: IProject, id: string): Promise<RunMeta> {
  const run = new RunDir(p.home, id);
  return waitFor(
    () => {
      const meta = run.readMeta();
      return FINAL.includes(meta.status) ? meta : undefined;
    },
    120_000,
    `run ${id} to finish`
  );
}

/** The probe line a run printed, its project directory replaced. */
function probeOf(p: IProject, meta: RunMeta): unknown {
  const out = fs.readFileSync(path.join(p.home, 'runs', meta.id, 'output.log'), 'utf8');
  const line = out.split('\n').find(l => l.startsWith('{'));
  assert.ok(line, `run ${meta.id} printed its probe: ${out}`);
  return JSON.parse(line.split(p.dir).join('<dir>'));
}

/** A cold run, then one on the standby kernel it left: both records and probes. */
async function coldThenStandby(
  kernel: 'tslab' | 'python3',
  cells: ReturnType<typeof code>[],
  files: Record<string, string>
): Promise<{ p: IProject; runs: RunMeta[]; probes: unknown[] }> {
  const p = project(files);
  writeNotebook(p.dir, 'probe.ipynb', notebook(kernel, cells));
  try {
    const cold = await finished(p, (await start(p, { gpus: ['0'] })).id);
    assert.ok((await (await p.standby.get()).ready()) !== null, 'a standby kernel is ready');
    const warm = await finished(p, (await start(p, { gpus: ['0'] })).id);
    const runs = [cold, warm];
    await p.standby.close();
    // Both runners ended with their runs, and the standby left after them with the service.
    await waitFor(() => processesIn(p.dir).length === 0 || undefined, 10_000, 'no process left');
    return { p, runs, probes: runs.map(m => probeOf(p, m)) };
  } finally {
    await p.standby.close();
  }
}

function assertEquivalent(r: Awaited<ReturnType<typeof coldThenStandby>>): void {
  assert.deepEqual(
    r.runs.map(m => [m.status, m.kernelWarm]),
    [
      ['completed', false],
      ['completed', true]
    ],
    'the second run took the standby kernel'
  );
  assert.deepEqual(r.probes[1], r.probes[0], 'the standby kernel saw what a cold one saw');
  const probe = r.probes[1] as { cwd: string; env: Record<string, string>; gpus: string };
  assert.equal(probe.cwd, '<run>');
  assert.equal(probe.env.CUDA_VISIBLE_DEVICES, '0');
  assert.equal(probe.env.NBX_RUN_ID, '<id>');
  assert.match(probe.gpus, /^GPU 0: /);
}

describe('the service standby kernel', () => {
  it('a tslab run on the standby kernel sees what a cold one sees', async () => {
    const r = await coldThenStandby(
      'tslab',
      [
        code('const x = 0;', ['parameters']),
        code("import * as helper from './helper';"),
        code(TSLAB_PROBE)
      ],
      {
        'helper.ts':
          'export function where(): string { return __filename.split(process.env.NBX_RUN_DIR as string).join("<run>"); }\n'
      }
    );
    assertEquivalent(r);
    const probe = r.probes[1] as { nbx: string; helper: string; argv: string[] };
    assert.match(
      probe.helper,
      /^<run>\/helper\.[jt]s$/,
      'the helper resolves in the run directory'
    );
    assert.match(probe.nbx, /^<run>\/node_modules\/nbx\//);
    assert.match(probe.argv[1], /tslab-kernel\.js$/);
    assert.deepEqual(
      fs.readdirSync(path.join(r.p.home, 'runs')).sort(),
      r.runs.map(m => m.id).sort(),
      'closing removed the reserved directory'
    );
  });

  it('a Python run on the standby kernel sees what a cold one sees', async () => {
    const r = await coldThenStandby(
      'python3',
      [code('x = 0', ['parameters']), code(PYTHON_PROBE)],
      {
        'helper.py': 'WHERE = __file__\n'
      }
    );
    assertEquivalent(r);
    assert.equal((r.probes[1] as { helper: string }).helper, '<run>/helper.py');
  });

  it('is keyed by GPUs, falls back to a cold start when dead, and is never listed', async () => {
    const p = project();
    writeNotebook(p.dir, 'probe.ipynb', notebook('python3', [code('print("ok")')]));
    try {
      const standby = await p.standby.get();
      const first = await finished(p, (await start(p, { gpus: ['0'] })).id);
      assert.equal(first.kernelWarm, false);
      const reserved = standby.reserved;
      assert.ok(reserved !== null && (await standby.ready()) !== null);
      const warnings: string[] = [];
      assert.deepEqual(
        listRuns(p.home, { onWarning: w => warnings.push(w) }).map(m => m.id),
        [first.id],
        'the reserved directory is no run'
      );
      assert.deepEqual(warnings, []);
      // Other GPUs: not this standby (a new one replaces it).
      const other = await finished(p, (await start(p, { gpus: ['1'] })).id);
      assert.equal(other.kernelWarm, false);
      assert.notEqual(other.id, reserved.id);
      assert.equal(fs.existsSync(reserved.path), false, 'the replaced standby was removed');
      // A standby that died: the run still runs, cold, in its directory.
      const pid = await standby.ready();
      assert.ok(pid !== null);
      process.kill(-pid, 'SIGKILL');
      await waitFor(() => (pidAlive(pid) ? undefined : true), 5000, 'the standby to die');
      const after = await finished(p, (await start(p, { gpus: ['1'] })).id);
      assert.deepEqual([after.status, after.kernelWarm], ['completed', false]);
      // A standby runner that died (its kernel with it): the same.
      assert.ok((await standby.ready()) !== null);
      const runner = standby.runnerPid;
      assert.ok(runner !== null);
      process.kill(runner, 'SIGKILL');
      await waitFor(() => (pidAlive(runner) ? undefined : true), 5000, 'the runner to die');
      const orphaned = await finished(p, (await start(p, { gpus: ['1'] })).id);
      assert.deepEqual([orphaned.status, orphaned.kernelWarm], ['completed', false]);
      // Off: the standby held is discarded, none is made (no runner, no kernel).
      const held = standby.reserved;
      await finished(p, (await start(p, { standby: false })).id);
      assert.equal(standby.reserved, null);
      assert.ok(held !== null && !fs.existsSync(held.path));
      await waitFor(() => processesIn(p.dir).length === 0 || undefined, 5000, 'no process left');
    } finally {
      await p.standby.close();
    }
  });

  it('closing the service ends the standby runner and its kernel', async () => {
    const p = project();
    writeNotebook(p.dir, 'probe.ipynb', notebook('python3', [code('print("ok")')]));
    const standby = await p.standby.get();
    standby.prepare({
      root: p.home,
      notebook: path.join(p.dir, 'probe.ipynb'),
      kernel: 'python3',
      gpus: null,
      env: { ...p.context.env, NBX_HOME: p.home }
    });
    const kernelPid = await standby.ready();
    assert.ok(kernelPid !== null);
    const working = processesIn(p.dir);
    assert.ok(working.includes(kernelPid) && working.includes(standby.runnerPid ?? -1));
    await p.standby.close();
    assert.ok(!pidAlive(kernelPid), 'the kernel ended when close resolved');
    // The kernel's watchdog follows its runner within moments.
    await waitFor(() => processesIn(p.dir).length === 0 || undefined, 5000, 'no process left');
  });

  for (const how of ['nbx stop', 'SIGKILL of the runner'] as const) {
    it(`${how} kills the kernel the runner took over (within 5 s)`, async () => {
      const p = project();
      writeNotebook(
        p.dir,
        'probe.ipynb',
        notebook('python3', [code('import time\nprint("started", flush=True)\ntime.sleep(600)')])
      );
      try {
        const standby = await p.standby.get();
        standby.prepare({
          root: p.home,
          notebook: path.join(p.dir, 'probe.ipynb'),
          kernel: 'python3',
          gpus: null,
          env: { ...p.context.env, NBX_HOME: p.home }
        });
        const kernelPid = await standby.ready();
        assert.ok(kernelPid !== null);
        const meta = await start(p, {});
        const run = new RunDir(p.home, meta.id);
        const running = await waitFor(
          () => {
            const m = run.readMeta();
            return m.status === 'running' && m.kernelPid !== null ? m : undefined;
          },
          60_000,
          'the run to run'
        );
        assert.equal(running.kernelPid, kernelPid);
        assert.equal(running.kernelWarm, true);
        // Closing the service leaves a handed-over kernel alone.
        await p.standby.close();
        assert.ok(pidAlive(kernelPid), 'the run keeps its kernel when the service goes');
        if (how === 'nbx stop') {
          await stopRun(run, 2000);
        } else {
          process.kill(running.pid as number, 'SIGKILL');
        }
        await waitFor(() => (pidAlive(kernelPid) ? undefined : true), 5000, 'the kernel to die');
      } finally {
        await p.standby.close();
      }
    });
  }
});
