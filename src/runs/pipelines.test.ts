import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { createRun } from '../../kernel/lib/store/run-dir';
import { RootedService } from '../client/rooted';
import { NbxSettings } from '../settings';
import { LocalConnection, tempProject } from '../testing/service';
import { RunsModel } from './model';

/**
 * A pipeline in the Runs panel's model, against the service's real methods: like a
 * sweep's batch, it lists its steps under its row once expanded.
 */
describe('RunsModel with a pipeline', () => {
  const project = tempProject();
  const pipeline = createRun(project.root, {
    notebook: path.join(project.dir, 'nbx.json'),
    notebookName: 'end-to-end',
    kind: 'pipeline',
    status: 'completed'
  });
  const steps = ['prepare', 'train'].map(
    name =>
      createRun(project.root, {
        notebook: path.join(project.dir, `${name}.ipynb`),
        status: 'completed',
        parent: pipeline.id
      }).id
  );
  pipeline.updateMeta({ steps: steps.map((run, i) => ({ name: ['prepare', 'train'][i], run })) });
  const model = new RunsModel({
    service: new RootedService(new LocalConnection(project), new NbxSettings(null))
  });

  before(() => model.refresh());
  after(() => model.dispose());

  it('lists the pipeline collapsed, as a group that is no sweep', () => {
    assert.equal(model.error, null);
    assert.deepEqual(model.listedIds, [pipeline.id]);
    const row = model.rowOf(pipeline.id);
    assert.equal(model.isGroup(row), true);
    assert.equal(model.isBatch(row), false);
    assert.equal(model.sweep(pipeline.id), null);
    assert.equal(model.notebook(row), 'end-to-end');
  });

  it('expands to its steps under it', () => {
    model.setExpanded(pipeline.id, true);
    const row = model.rowOf(pipeline.id);
    assert.equal(model.rowCount, 3);
    assert.deepEqual(new Set([model.id(row + 1), model.id(row + 2)]), new Set(steps));
    for (const offset of [1, 2]) {
      assert.equal(model.depth(row + offset), 1);
      assert.equal(model.parent(row + offset), pipeline.id);
      assert.equal(model.isGroup(row + offset), false);
      assert.equal(model.trial(row + offset), null);
    }
    model.setExpanded(pipeline.id, false);
    assert.equal(model.rowCount, 1);
  });
});
