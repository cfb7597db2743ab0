/**
 * The warm pool with a real kernel: a kernel is handed over once, only for its own key, and
 * a closed pool leaves no kernel running.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { pidAlive, tempDir, waitFor } from '../testing/fixtures';
import { getKernelSpec } from './kernelspec';
import { KernelManager } from './manager';
import { warmKey, WarmKernels, warmKernelsEnabled } from './warm-pool';

describe('the warm pool', () => {
  it('keys kernels by kernelspec, directory and the whole environment', () => {
    const spec = getKernelSpec('python3');
    const cwd = tempDir();
    const key = warmKey({ spec, cwd, env: { A: '1', CUDA_VISIBLE_DEVICES: '0' } });
    assert.equal(key, warmKey({ spec, cwd, env: { CUDA_VISIBLE_DEVICES: '0', A: '1' } }));
    assert.notEqual(key, warmKey({ spec, cwd, env: { A: '1', CUDA_VISIBLE_DEVICES: '1' } }));
    assert.notEqual(key, warmKey({ spec, cwd, env: { A: '1' } }));
    assert.notEqual(
      key,
      warmKey({ spec, cwd: tempDir(), env: { A: '1', CUDA_VISIBLE_DEVICES: '0' } })
    );
    assert.notEqual(
      key,
      warmKey({ spec: getKernelSpec('tslab'), cwd, env: { A: '1', CUDA_VISIBLE_DEVICES: '0' } })
    );
    assert.equal(warmKernelsEnabled({}), true);
    assert.equal(warmKernelsEnabled({ NBX_WARM_KERNELS: 'off' }), false);
  });

  it('hands a kernel over once, for its key only; close kills the unclaimed', async () => {
    const spec = getKernelSpec('python3');
    const cwd = tempDir();
    const env = { ...process.env, JUPYTER_RUNTIME_DIR: tempDir() };
    const pool = new WarmKernels(2);
    const key = warmKey({ spec, cwd, env });
    const other = warmKey({ spec, cwd: tempDir(), env });
    pool.prestart(key, () => KernelManager.start({ spec, cwd, env }));
    pool.prestart(other, () => KernelManager.start({ spec, cwd, env }));
    assert.equal(pool.size, 2);
    assert.equal(await pool.take(warmKey({ spec, cwd, env: { ...env, X: '1' } })), null);
    const kernel = await pool.take(key);
    assert.ok(kernel !== null && kernel.process.alive);
    assert.equal(await pool.take(key), null, 'never handed over twice');
    await kernel.shutdown();
    assert.equal(pool.size, 1);
    await pool.close();
    assert.equal(pool.size, 0);
    pool.prestart(key, () => {
      throw new Error('a closed pool starts nothing');
    });
    assert.equal(pool.size, 0);
  });

  it('starting past its capacity kills the oldest unclaimed kernel', async () => {
    const spec = getKernelSpec('python3');
    const env = { ...process.env, JUPYTER_RUNTIME_DIR: tempDir() };
    const pool = new WarmKernels(1);
    let first: KernelManager | null = null;
    const cwd = tempDir();
    pool.prestart(warmKey({ spec, cwd, env }), async () => {
      first = await KernelManager.start({ spec, cwd, env });
      return first;
    });
    await waitFor(() => first ?? undefined, 30_000, 'the first kernel to start');
    const pid = (first as unknown as KernelManager).process.pid;
    const cwd2 = tempDir();
    pool.prestart(warmKey({ spec, cwd: cwd2, env }), () =>
      KernelManager.start({ spec, cwd: cwd2, env })
    );
    await waitFor(() => (pidAlive(pid) ? undefined : true), 5000, 'the first kernel to die');
    await pool.close();
  });
});
