/**
 * The orphan guarantee: a kernel never outlives the Node process that started
 * it, even when that process is killed with SIGKILL and cleans up nothing, and its
 * connection file goes with it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import { pidAlive, processGroup, tempDir, waitFor, type KernelName } from '../testing/fixtures';

const MANAGER = path.join(__dirname, 'manager.js');
const KERNELSPEC = path.join(__dirname, 'kernelspec.js');

/** A Node process that starts `kernel`, prints its pid, then idles forever. */
function parentScript(kernel: KernelName): string {
  return `
    const { KernelManager } = require(${JSON.stringify(MANAGER)});
    const { getKernelSpec } = require(${JSON.stringify(KERNELSPEC)});
    KernelManager.start({ spec: getKernelSpec(${JSON.stringify(kernel)}), cwd: process.cwd(), env: process.env })
      .then(km => {
        process.stdout.write('kernel pid ' + km.process.pid + '\\n');
        setInterval(() => {}, 1000);
      }, err => {
        process.stderr.write(String(err) + '\\n');
        process.exit(1);
      });
  `;
}

async function killParentAndWatchKernel(kernel: KernelName): Promise<void> {
  const cwd = tempDir('nbx-orphan-');
  const parent = spawn(process.execPath, ['-e', parentScript(kernel)], {
    cwd,
    env: { ...process.env, JUPYTER_RUNTIME_DIR: path.join(cwd, 'runtime') },
    stdio: ['ignore', 'pipe', 'pipe']
  });
  let stdout = '';
  let stderr = '';
  parent.stdout.on('data', d => (stdout += String(d)));
  parent.stderr.on('data', d => (stderr += String(d)));
  const exited = new Promise<NodeJS.Signals | null>(resolve =>
    parent.on('exit', (_code, signal) => resolve(signal))
  );
  let kernelPid = 0;
  try {
    kernelPid = await waitFor(
      () => {
        const m = /kernel pid (\d+)/.exec(stdout);
        if (m) {
          return Number(m[1]);
        }
        assert.equal(parent.exitCode, null, `the parent failed: ${stderr}`);
        return undefined;
      },
      30_000,
      `${kernel} to start in the parent process`
    );
    assert.ok(pidAlive(kernelPid));
    // The kernel is not in the parent's process group: killing the parent's group would miss it.
    assert.ok(!processGroup(parent.pid ?? -1).includes(kernelPid));

    parent.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');
    const t0 = Date.now();
    await waitFor(
      () => (!pidAlive(kernelPid) ? true : undefined),
      5000,
      `the ${kernel} kernel (pid ${kernelPid}) to die after its parent was killed`
    );
    // Its whole process group goes too: the watchdog and anything the kernel started.
    await waitFor(
      () => (processGroup(kernelPid).length === 0 ? true : undefined),
      5000,
      `process group ${kernelPid} to be empty`
    );
    assert.ok(Date.now() - t0 < 5000);
    // The connection file (it holds the kernel's key) is gone from the runtime directory.
    const runtime = path.join(cwd, 'runtime');
    assert.deepEqual(
      fs.readdirSync(runtime).filter(f => f.startsWith('kernel-')),
      [],
      'no connection file left'
    );
  } finally {
    if (parent.exitCode === null && parent.signalCode === null) {
      parent.kill('SIGKILL');
    }
    if (kernelPid > 0 && processGroup(kernelPid).length) {
      process.kill(-kernelPid, 'SIGKILL');
    }
  }
}

describe('orphan guarantee', () => {
  it('a python3 kernel dies when its parent Node process is SIGKILLed', async () => {
    await killParentAndWatchKernel('python3');
  });

  it('a tslab kernel dies when its parent Node process is SIGKILLed', async () => {
    await killParentAndWatchKernel('tslab');
  });
});
