import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { createRun } from '../../kernel/lib/store/run-dir';
import { RootedService } from '../client/rooted';
import { NbxSettings } from '../settings';
import { LocalConnection, tempProject } from '../testing/service';
import { RunViewModel } from './model';

/**
 * A batch run's view model, against the service's real methods: it fetches the sweep's
 * status with the record, and a change of one of its trials concerns it.
 */
describe('RunViewModel of a batch run', () => {
  const project = tempProject();
  const notebook = path.join(project.dir, 'train.ipynb');
  const batch = createRun(project.root, { notebook, kind: 'batch', status: 'completed' });
  const accs = [0.7, 0.9];
  const trials = accs.map((acc, i) => {
    const trial = createRun(project.root, { notebook, status: 'completed', parent: batch.id });
    trial.updateMeta({
      flags: { lr: [0.1, 0.01][i] },
      scalars: { acc: { first: 0, last: acc, min: 0, max: acc, count: 2, lastStep: 1 } }
    });
    return trial.id;
  });
  batch.updateMeta({
    trials,
    batch: {
      kind: 'grid',
      seed: null,
      parallel: 2,
      gpus: null,
      gpusPerTrial: 1,
      objective: '-#acc'
    }
  });
  const plain = createRun(project.root, { notebook, status: 'completed' }).id;
  const service = new RootedService(new LocalConnection(project), new NbxSettings(null));
  const models: RunViewModel[] = [];
  const open = (id: string): RunViewModel => {
    const model = new RunViewModel({ id, which: 'executed', service });
    models.push(model);
    return model;
  };
  after(() => models.forEach(model => model.dispose()));

  it('fetches the sweep: settings, objective, trials and the best one', async () => {
    const model = open(batch.id.slice(0, 8));
    await model.refresh();
    assert.equal(model.isBatch, true);
    const sweep = model.sweep;
    assert.ok(sweep);
    assert.equal(sweep.id, batch.id);
    assert.equal(sweep.settings?.parallel, 2);
    assert.equal(sweep.objective?.text, '-#acc');
    assert.deepEqual(
      sweep.trials.map(t => [t.index, t.flags.lr, t.value]),
      [
        [1, 0.1, 0.7],
        [2, 0.01, 0.9]
      ]
    );
    assert.deepEqual(sweep.best, { id: trials[1], value: 0.9 });
    assert.equal(model.concerns([trials[0]]), true);
    assert.equal(model.concerns([plain]), false);
  });

  it('has no sweep for a plain run', async () => {
    const model = open(plain);
    await model.refresh();
    assert.equal(model.isBatch, false);
    assert.equal(model.sweep, null);
  });
});
