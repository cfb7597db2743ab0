import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { createRun } from '../../kernel/lib/store/run-dir';
import { RootedService } from '../client/rooted';
import { NbxSettings } from '../settings';
import { LocalConnection, tempProject } from '../testing/service';
import { RunsModel } from './model';

/**
 * A sweep in the Runs panel's model, against the service's real methods: its trials are
 * listed under its batch row only once expanded, and the batch carries its progress and
 * best trial by its objective.
 */
describe('RunsModel with a sweep', () => {
  const project = tempProject();
  const notebook = path.join(project.dir, 'train.ipynb');
  const plain = createRun(project.root, { notebook, status: 'completed' }).id;
  const batch = createRun(project.root, { notebook, kind: 'batch', status: 'completed' });
  const losses = [0.4, 0.1, 0.3];
  const trials = losses.map((loss, i) => {
    const trial = createRun(project.root, { notebook, status: 'completed', parent: batch.id });
    trial.updateMeta({
      flags: { lr: [0.1, 0.01, 0.001][i] },
      scalars: { loss: { first: 1, last: loss, min: loss, max: 1, count: 2, lastStep: 1 } }
    });
    return trial.id;
  });
  batch.updateMeta({
    trials,
    batch: {
      kind: 'grid',
      seed: null,
      parallel: 1,
      gpus: null,
      gpusPerTrial: 1,
      objective: '#loss'
    }
  });
  const model = new RunsModel({
    service: new RootedService(new LocalConnection(project), new NbxSettings(null))
  });

  before(() => model.refresh());
  after(() => model.dispose());

  it('lists a batch collapsed, with its progress and best trial', () => {
    assert.equal(model.error, null);
    assert.equal(model.totalCount, 5);
    assert.deepEqual(new Set(model.listedIds), new Set([plain, batch.id]));
    const row = model.rowOf(batch.id);
    assert.equal(model.isBatch(row), true);
    assert.equal(model.isBatch(model.rowOf(plain)), false);
    const sweep = model.sweep(batch.id);
    assert.ok(sweep);
    assert.equal(sweep.done, 3);
    assert.equal(sweep.total, 3);
    assert.deepEqual(sweep.best, { id: trials[1], value: 0.1 });
    assert.deepEqual(sweep.flagNames, ['lr']);
  });

  it('expands to its trials under it, and collapses again', () => {
    model.select(model.rowOf(batch.id), 'replace');
    model.setExpanded(batch.id, true);
    assert.equal(model.rowCount, 5);
    const row = model.rowOf(batch.id);
    const under = [1, 2, 3].map(offset => model.id(row + offset));
    assert.deepEqual(new Set(under), new Set(trials));
    for (let offset = 1; offset <= 3; offset++) {
      assert.equal(model.depth(row + offset), 1);
      assert.equal(model.parent(row + offset), batch.id);
      assert.equal(model.trial(row + offset)?.sweep.id, batch.id);
    }
    assert.equal(model.depth(row), 0);
    assert.equal(model.trial(model.rowOf(trials[1]))?.trial.value, 0.1);

    // A selected trial leaves the selection when its batch closes.
    model.select(model.rowOf(trials[0]), 'toggle');
    assert.equal(model.selectedIds.length, 2);
    model.setExpanded(batch.id, false);
    assert.equal(model.rowCount, 2);
    assert.deepEqual(model.selectedIds, [batch.id]);
  });

  it('keeps the trials under their batch in the order of the sort', async () => {
    model.setExpanded(batch.id, true);
    model.sort = { column: '#loss', descending: false };
    await model.refresh();
    const row = model.rowOf(batch.id);
    assert.deepEqual(
      [1, 2, 3].map(offset => model.id(row + offset)),
      [trials[1], trials[2], trials[0]]
    );
  });

  it('lists a trial on its own when the filter leaves its batch out', async () => {
    model.sort = null;
    model.filter = `parent = "${batch.id}"`;
    await model.refresh();
    assert.equal(model.error, null);
    assert.deepEqual(new Set(model.listedIds), new Set(trials));
    assert.ok(model.listedIds.every(id => model.depth(model.rowOf(id)) === 0));
  });
});
