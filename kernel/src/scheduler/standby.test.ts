/**
 * A standby kernel left idle is reaped: its kernel killed, its reserved run directory
 * removed (with a real ipykernel).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { it } from 'node:test';
import { code, notebook, pidAlive, tempDir, waitFor, writeNotebook } from '../testing/fixtures';
import { StandbyKernel } from './standby';

it('a standby kernel idle for its time is killed and its directory removed', async () => {
  const dir = tempDir('nbx-standby-idle-');
  const home = path.join(dir, '.nbx');
  const nb = writeNotebook(dir, 'idle.ipynb', notebook('python3', [code('print(1)')]));
  const standby = new StandbyKernel(1000);
  try {
    standby.prepare({
      root: home,
      notebook: nb,
      kernel: 'python3',
      gpus: null,
      env: { ...process.env, NBX_HOME: home }
    });
    const reserved = standby.reserved;
    const pid = await standby.ready();
    assert.ok(reserved !== null && pid !== null, 'a standby kernel started');
    assert.ok(fs.existsSync(reserved.standbyPath));
    await waitFor(
      () =>
        (standby.reserved === null && !pidAlive(pid) && !fs.existsSync(reserved.path)) || undefined,
      10_000,
      'the idle standby to be reaped'
    );
  } finally {
    await standby.close();
  }
});
