/**
 * `sweepStatus` over batch and trial records in a temporary runs root, called as the
 * service calls it: counts, best trial by the objective, varied flags, trial values.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import type { ISweepStatusResult } from '../contract/service';
import type { RunStatus } from '../store/meta';
import { createRun } from '../store/run-dir';
import { tempDir } from '../testing/fixtures';
import { createContext } from './context';
import { sweepStatusMethod } from './methods-sweep';

describe('sweepStatusMethod', () => {
  const project = tempDir('nbx-sweep-');
  const root = path.join(project, '.nbx');
  const context = createContext({ cwd: project, env: { NBX_HOME: root }, log: () => undefined });
  const notebook = path.join(project, 'train.ipynb');

  /** A finished batch whose trials ended with `losses` (null: no scalar) and `statuses`. */
  const sweep = (objective: string | null, trials: [RunStatus, number | null][]): string => {
    const batch = createRun(root, { notebook, kind: 'batch', status: 'completed' });
    const ids = trials.map(([status, loss], i) => {
      const trial = createRun(root, { notebook, status, parent: batch.id });
      trial.updateMeta({
        flags: { lr: [0.1, 0.01, 0.001][i % 3], epochs: 3 },
        scalars:
          loss === null
            ? {}
            : { loss: { first: 1, last: loss, min: loss, max: 1, count: 3, lastStep: 2 } },
        error: status === 'error' ? 'ValueError: boom' : null
      });
      return trial.id;
    });
    batch.updateMeta({
      trials: ids,
      batch: { kind: 'grid', seed: null, parallel: 2, gpus: null, gpusPerTrial: 1, objective }
    });
    return batch.id;
  };

  const call = (ids: string[]): ISweepStatusResult =>
    sweepStatusMethod({ ids }, context).json as ISweepStatusResult;

  it('counts the trials, finds the best by the objective and lists the varied flags', () => {
    const id = sweep('#loss', [
      ['completed', 0.5],
      ['completed', 0.2],
      ['error', null]
    ]);
    const [status] = call([id.slice(0, 10)]).sweeps;
    assert.equal(status.id, id);
    assert.equal(status.total, 3);
    assert.equal(status.done, 3);
    assert.equal(status.counts.completed, 2);
    assert.equal(status.counts.error, 1);
    assert.equal(status.finished, true);
    assert.deepEqual(status.objective, { key: 'loss', descending: false, text: '#loss' });
    assert.equal(status.settings?.kind, 'grid');
    assert.equal(status.settings?.parallel, 2);
    assert.deepEqual(status.flagNames, ['lr']);
    assert.deepEqual(
      status.trials.map(t => [t.index, t.status, t.flags, t.value, t.error]),
      [
        [1, 'completed', { lr: 0.1 }, 0.5, null],
        [2, 'completed', { lr: 0.01 }, 0.2, null],
        [3, 'error', { lr: 0.001 }, null, 'ValueError: boom']
      ]
    );
    assert.deepEqual(status.best, { id: status.trials[1].id, value: 0.2 });
  });

  it('ranks highest first for -#key, and has no best without an objective', () => {
    const higher = sweep('-#loss', [
      ['completed', 0.5],
      ['completed', 0.2]
    ]);
    const none = sweep(null, [['completed', 0.3]]);
    const { sweeps } = call([higher, none]);
    assert.equal(sweeps[0].best?.value, 0.5);
    assert.equal(sweeps[1].objective, null);
    assert.equal(sweeps[1].best, null);
    assert.deepEqual(
      sweeps[1].trials.map(t => t.value),
      [null]
    );
  });

  it('leaves out plain runs and ids that name no run', () => {
    const batch = sweep('#loss', [['completed', 0.1]]);
    const plain = createRun(root, { notebook, status: 'completed' }).id;
    const { sweeps } = call(['0123456789abcdef0123456789abcdef', plain, batch]);
    assert.deepEqual(
      sweeps.map(s => s.id),
      [batch]
    );
  });

  it("reads the trials from the runs index, not from each trial's record", () => {
    const id = sweep('#loss', [
      ['completed', 0.5],
      ['completed', 0.25]
    ]);
    const [first] = call([id]).sweeps[0].trials;
    // The first trial's record is changed in place under an unchanged stat (size, mtime,
    // inode): the index keeps the value it read; only a read of the file would see 0.1.
    const file = path.join(root, 'runs', first.id, 'meta.json');
    const mtime = Math.floor(Date.now() / 1000) - 60;
    fs.utimesSync(file, mtime, mtime);
    const [before] = call([id]).sweeps;
    assert.equal(before.best?.value, 0.25);
    const text = fs.readFileSync(file, 'utf8');
    assert.ok(text.includes('"last": 0.5,'));
    fs.writeFileSync(file, text.replace('"last": 0.5,', '"last": 0.1,'));
    fs.utimesSync(file, mtime, mtime);
    const [after] = call([id]).sweeps;
    assert.deepEqual(
      after.trials.map(t => t.value),
      [0.5, 0.25]
    );
  });

  it('rejects a request without ids', () => {
    assert.throws(() => sweepStatusMethod({} as { ids: string[] }, context), /'ids'/);
  });
});
