/**
 * `nbx run --repeat N`: each configuration run N times, the replicates recorded as repeats
 * of one configuration (a `repeat` index, a shared `config` key, numbered labels).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cliProject, readMeta } from '../testing/cli-project';
import { code, nbx, notebook, writeNotebook } from '../testing/fixtures';

test('--repeat 2 runs each of 2 configurations twice, as replicates', () => {
  const { dir, home, env } = cliProject();
  const nb = writeNotebook(
    dir,
    'rep.ipynb',
    notebook('python3', [code('lr = 0.1', ['parameters']), code('print(f"loss: {lr}")')])
  );
  const r = nbx(['run', nb, 'lr=[1,2]', '--repeat', '2', '--parallel', '2', '--json', '-q'], {
    cwd: dir,
    env
  });
  assert.equal(r.status, 0, r.stderr);
  const batch = JSON.parse(r.stdout.slice(r.stdout.indexOf('{'))) as {
    id: string;
    label: string;
  };
  const meta = readMeta(home, batch.id);
  assert.equal(meta.label, 'sweep lr=[1,2] x2');
  assert.equal(meta.batch?.repeat, 2);
  const trials = meta.trials.map(id => readMeta(home, id));
  assert.deepEqual(
    trials.map(t => [t.flags.lr, t.repeat, t.label, t.status, t.scalars.loss.last]),
    [
      [1, 0, 'lr=1 #1', 'completed', 1],
      [1, 1, 'lr=1 #2', 'completed', 1],
      [2, 0, 'lr=2 #1', 'completed', 2],
      [2, 1, 'lr=2 #2', 'completed', 2]
    ]
  );
  const [a, b, c, d] = trials.map(t => t.config);
  assert.ok(a && a === b && c === d && a !== c, `config keys: ${a} ${b} ${c} ${d}`);
});
