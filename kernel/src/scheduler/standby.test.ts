/**
 * A standby runner and its kernel (a real ipykernel) are ended, both, when the standby is
 * left idle, and when the process holding it dies, even by SIGKILL: no process is left
 * working in the runs root. A run handed to the runner whose kernel would start otherwise
 * than the standby kernel did runs cold.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { it } from 'node:test';
import {
  code,
  notebook,
  pidAlive,
  processesIn,
  tempDir,
  waitFor,
  writeNotebook
} from '../testing/fixtures';
import { RunDir } from '../store/run-dir';
import { claimRunDir, materializeRun, planRun } from './prepare';
import { handOverStandby, StandbyKernel, type IStandbyTarget } from './standby';

function target(dir: string): IStandbyTarget {
  const home = path.join(dir, '.nbx');
  const source = 'import os\nprint("probe", os.environ.get("NBX_PROBE"))';
  const nb = writeNotebook(dir, 'idle.ipynb', notebook('python3', [code(source)]));
  return {
    root: home,
    notebook: nb,
    kernel: 'python3',
    gpus: null,
    env: { ...process.env, NBX_HOME: home }
  };
}

it('a standby kernel idle for its time is killed with its runner and its directory removed', async () => {
  const dir = tempDir('nbx-standby-idle-');
  const standby = new StandbyKernel(1000);
  try {
    standby.prepare(target(dir));
    const reserved = standby.reserved;
    const pid = await standby.ready();
    assert.ok(reserved !== null && pid !== null, 'a standby kernel started');
    assert.ok(fs.existsSync(reserved.standbyPath));
    const runner = standby.runnerPid;
    assert.ok(runner !== null && pidAlive(runner), 'its runner waits');
    const working = processesIn(dir);
    assert.ok(working.includes(runner) && working.includes(pid), 'runner and kernel counted');
    await waitFor(
      () =>
        (standby.reserved === null && !pidAlive(pid) && !fs.existsSync(reserved.path)) || undefined,
      10_000,
      'the idle standby to be reaped'
    );
    await waitFor(() => processesIn(dir).length === 0 || undefined, 5000, 'no process left');
  } finally {
    await standby.close();
  }
});

it('a standby runner and its kernel die with the process holding them (SIGKILL)', async () => {
  const dir = tempDir('nbx-standby-holder-');
  // A process holding a standby, as the service does, reporting its pids once ready.
  const holder = spawn(
    process.execPath,
    [
      '-e',
      `const { StandbyKernel } = require(${JSON.stringify(require.resolve('./standby'))});
       const standby = new StandbyKernel();
       standby.prepare(${JSON.stringify(target(dir))});
       standby.ready().then(kernel => console.log(JSON.stringify({ kernel, runner: standby.runnerPid })));`
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] }
  );
  try {
    let out = '';
    holder.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const pids = await waitFor(
      () =>
        out.includes('\n') ? (JSON.parse(out) as { kernel: number; runner: number }) : undefined,
      60_000,
      'the standby to be ready'
    );
    assert.ok(pidAlive(pids.kernel) && pidAlive(pids.runner));
    holder.kill('SIGKILL');
    await waitFor(() => processesIn(dir).length === 0 || undefined, 5000, 'no process left');
  } finally {
    holder.kill('SIGKILL');
  }
});

it('a run whose kernel would start otherwise than the standby kernel runs cold', async () => {
  const dir = tempDir('nbx-standby-mismatch-');
  const t = target(dir);
  const standby = new StandbyKernel();
  try {
    standby.prepare(t);
    const kernelPid = await standby.ready();
    const taken = standby.take(t);
    assert.ok(kernelPid !== null && taken !== null);
    // Launched with one variable more than the standby kernel was started with.
    const env = { ...t.env, NBX_PROBE: 'launched' };
    const plan = planRun({ notebook: t.notebook, command: ['nbx', 'run', t.notebook], env });
    const run = claimRunDir(plan, taken.run);
    await materializeRun(plan, run);
    assert.equal(await handOverStandby(taken, env), true, 'the standby runner took the run');
    const meta = await waitFor(
      () => {
        const m = new RunDir(run.root, run.id).readMeta();
        return ['completed', 'error', 'terminated'].includes(m.status) ? m : undefined;
      },
      120_000,
      'the run to finish'
    );
    assert.deepEqual([meta.status, meta.kernelWarm], ['completed', false]);
    assert.notEqual(meta.kernelPid, kernelPid);
    assert.ok(!pidAlive(kernelPid), 'the standby kernel was killed');
    assert.match(fs.readFileSync(run.logPath, 'utf8'), /probe launched/);
  } finally {
    await standby.close();
  }
});
