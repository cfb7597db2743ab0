/**
 * A sweep launched from a Python notebook through the CLI (`!nbx run ...`), the way a
 * person would in JupyterLab: runs put `nbx` on their kernel's PATH.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import type { RunMeta } from '../store/meta';
import { cliEnv, code, nbx, notebook, tempDir, writeNotebook } from '../testing/fixtures';

test('!nbx run with list values from a Python notebook runs a sweep', () => {
  const dir = tempDir();
  const home = path.join(dir, 'home');
  const env = cliEnv(home);
  writeNotebook(
    dir,
    'trial.ipynb',
    notebook('python3', [code('x = 1', ['parameters']), code('print(f"loss: {1 / x}")')])
  );
  writeNotebook(
    dir,
    'launch.ipynb',
    notebook('python3', [code('!nbx run trial.ipynb x=[1,2] --parallel 2 --quiet')])
  );
  const r = nbx(['run', 'launch.ipynb'], { cwd: dir, env });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /sweep [0-9a-f]{8} completed/);
  const metas = fs
    .readdirSync(path.join(home, 'runs'))
    .map(
      id => JSON.parse(fs.readFileSync(path.join(home, 'runs', id, 'meta.json'), 'utf8')) as RunMeta
    );
  const batch = metas.find(m => m.kind === 'batch');
  assert.ok(batch, 'a batch was created');
  assert.equal(batch.status, 'completed');
  const trials = metas.filter(m => m.parent === batch.id);
  assert.deepEqual(trials.map(t => t.flags.x).sort(), [1, 2]);
  assert.ok(trials.every(t => t.status === 'completed'));
  assert.deepEqual(trials.map(t => t.scalars.loss.last).sort(), [0.5, 1]);
});
