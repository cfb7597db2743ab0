import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { createRun } from '../../kernel/lib/store/run-dir';
import { RootedService } from '../client/rooted';
import { NbxSettings } from '../settings';
import { LocalConnection, tempProject } from '../testing/service';
import { RunViewModel } from './model';

/**
 * The graph a run view draws, from records the view model fetches through the service's
 * real methods: a pipeline's steps in order and the run they used that is not a step;
 * a plain run's dependencies.
 */
describe('RunViewModel graph', () => {
  const project = tempProject();
  const at = (name: string): string => path.join(project.dir, name);
  const older = createRun(project.root, { notebook: at('prepare.ipynb'), status: 'completed' });
  const pipeline = createRun(project.root, {
    notebook: at('nbx.json'),
    notebookName: 'end-to-end',
    kind: 'pipeline',
    status: 'error'
  });
  const step = (name: string, status: 'completed' | 'error') =>
    createRun(project.root, { notebook: at(name), status, parent: pipeline.id });
  const train = step('train.ipynb', 'completed');
  const evaluate = step('evaluate.ipynb', 'error');
  const dep = (run: string, source: string) => ({
    kind: 'run' as const,
    source,
    run,
    files: ['data.csv'],
    copied: false
  });
  train.updateMeta({ deps: [dep(older.id, 'prepare.ipynb')] });
  evaluate.updateMeta({
    deps: [
      dep(older.id, 'prepare.ipynb'),
      dep(train.id, 'train.ipynb'),
      { kind: 'file', source: 'labels.txt', run: null, files: ['labels.txt'], copied: false }
    ]
  });
  pipeline.updateMeta({
    steps: [
      { name: 'train', run: train.id },
      { name: 'eval', run: evaluate.id }
    ]
  });
  const plain = createRun(project.root, { notebook: at('other.ipynb'), status: 'completed' });
  const service = new RootedService(new LocalConnection(project), new NbxSettings(null));
  const models: RunViewModel[] = [];
  const open = async (id: string): Promise<RunViewModel> => {
    const model = new RunViewModel({ id, which: 'executed', service });
    models.push(model);
    await model.refresh();
    return model;
  };
  after(() => models.forEach(model => model.dispose()));

  it("draws a pipeline's steps, each with its status, and the run they used", async () => {
    const model = await open(pipeline.id);
    assert.deepEqual(
      model.graph?.nodes.map(n => [n.id, n.name, n.notebook, n.status, n.role]),
      [
        [older.id, 'prepare.ipynb', 'prepare.ipynb', 'completed', 'dependency'],
        [train.id, 'train', 'train.ipynb', 'completed', 'step'],
        [evaluate.id, 'eval', 'evaluate.ipynb', 'error', 'step']
      ]
    );
    assert.deepEqual(model.graph?.edges, [
      { from: older.id, to: train.id, kind: 'uses' },
      { from: train.id, to: evaluate.id, kind: 'next' },
      { from: older.id, to: evaluate.id, kind: 'uses' },
      { from: train.id, to: evaluate.id, kind: 'uses' }
    ]);
    // A change of a step or of the run they used concerns the pipeline's view.
    assert.equal(model.concerns([evaluate.id]), true);
    assert.equal(model.concerns([older.id]), true);
    assert.equal(model.concerns([plain.id]), false);
  });

  it("draws a run's dependencies; none for a run without", async () => {
    const model = await open(evaluate.id);
    assert.deepEqual(
      model.graph?.nodes.map(n => [n.id, n.role]),
      [
        [older.id, 'dependency'],
        [train.id, 'dependency'],
        [evaluate.id, 'run']
      ]
    );
    assert.equal((await open(plain.id)).graph, null);
  });
});
