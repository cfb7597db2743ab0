/**
 * The tslab nbx installs (patched at setup): it answers JupyterLab's `history_request`
 * quietly, and the shorthand check sees its converter as fixed.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import { tempDir, within } from '../testing/fixtures';
import { getKernelSpec } from './kernelspec';
import { KernelManager } from './manager';
import { str } from './messages';
import { isTslabSpec, tslabPackageDir, tslabReadsShorthand } from './tslab';

describe('the installed tslab', () => {
  it('answers history_request with an empty history and logs nothing', async () => {
    const dir = tempDir('nbx-tslab-');
    const spec = getKernelSpec('tslab');
    const logPath = path.join(dir, 'kernel.log');
    const log = fs.openSync(logPath, 'w');
    const km = await KernelManager.start({
      spec,
      cwd: dir,
      env: { ...process.env, JUPYTER_RUNTIME_DIR: dir },
      output: log
    });
    try {
      const { reply, msgId } = km.client.request('shell', 'history_request', {
        output: false,
        raw: true,
        hist_access_type: 'tail',
        n: 10
      });
      const answer = await within(reply, 30_000, 'the history_reply');
      km.client.release(msgId);
      assert.equal(answer.header.msg_type, 'history_reply');
      assert.equal(str(answer.content, 'status'), 'ok');
      assert.deepEqual(answer.content.history, []);
    } finally {
      await km.shutdown();
      fs.closeSync(log);
    }
    assert.doesNotMatch(fs.readFileSync(logPath, 'utf8'), /unknown msg_type/);
  });

  it('reads shorthand properties of earlier cells', () => {
    const spec = getKernelSpec('tslab');
    assert.ok(isTslabSpec(spec));
    const dir = tslabPackageDir(spec, tempDir());
    assert.ok(dir !== null);
    assert.ok(tslabReadsShorthand(dir), `${dir} is patched (scripts/setup.sh)`);
  });
});
