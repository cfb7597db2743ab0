/**
 * The example pipeline (examples/pipeline, as the README runs it): prepare in TypeScript,
 * train in Python, evaluate in TypeScript, each step a run in its own kernel, the later
 * steps using the files of the earlier ones.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'path';
import { PACKAGE_ROOT } from '../base/paths';
import { readMeta, runIds } from '../testing/cli-project';
import { cliEnv, nbx, tempDir } from '../testing/fixtures';

test('examples/pipeline: nbx run end-to-end runs steps across kernels', () => {
  const home = tempDir();
  const cwd = path.join(PACKAGE_ROOT, 'examples', 'pipeline');
  const listed = nbx(['pipelines'], { cwd, env: cliEnv(home) });
  assert.match(listed.stdout, /^end-to-end {2}prepare → train → eval {2}\(lr=2 epochs=30\)$/m);
  const r = nbx(['run', 'end-to-end', 'epochs=40'], { cwd, env: cliEnv(home) });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^prepared 150 training rows, 50 test rows$/m);
  assert.match(r.stdout, /^step=40 loss=[\d.]+$/m);
  const metas = runIds(home).map(id => readMeta(home, id));
  const pipeline = metas.find(m => m.kind === 'pipeline');
  assert.ok(pipeline);
  assert.equal(pipeline.status, 'completed');
  const steps = (pipeline.steps ?? []).map(s => readMeta(home, s.run));
  assert.deepEqual(
    steps.map(s => [s.notebookName, s.kernel?.name, s.status]),
    [
      ['prepare.ipynb', 'tslab', 'completed'],
      ['train.ipynb', 'python3', 'completed'],
      ['evaluate.ipynb', 'tslab', 'completed']
    ]
  );
  assert.deepEqual(steps[1].flags, { lr: 2, epochs: 40 });
  assert.deepEqual(
    steps[2].deps?.map(d => [d.source, d.run, d.files]),
    [
      ['prepare.ipynb', steps[0].id, ['data/test.csv']],
      ['train.ipynb', steps[1].id, ['model.json']]
    ]
  );
  assert.ok(pipeline.scalars.acc.last > 0.8, `acc ${pipeline.scalars.acc.last}`);
  assert.equal(pipeline.scalars.loss.last, steps[1].scalars.loss.last);
});
