/**
 * `previewTrials` as the "Run as experiment" dialog calls it (a context over a temporary
 * project, the editor's content given), and starting runs and sweeps.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';

import { stopRun } from '../scheduler/control';
import type { RunMeta } from '../store/meta';
import { RunDir } from '../store/run-dir';
import { withEffectiveStatus } from '../store/runs';
import * as fs from 'node:fs';
import { code, notebook, tempDir, waitFor, writeNotebook } from '../testing/fixtures';
import { createContext } from './context';
import {
  previewTrialsMethod,
  restartRunMethod,
  startRunMethod,
  type ITrialsPreview
} from './methods-start';
import type { Params } from './params';

describe('previewTrialsMethod', () => {
  const project = tempDir('nbx-preview-');
  const context = createContext({
    cwd: project,
    env: { NBX_HOME: path.join(project, '.nbx') },
    log: () => undefined
  });
  const nb = notebook('python3', [
    code(
      ['lr = 0.01  # learning rate\n', "optimizer = 'adam'\n", 'layers = [64, 32]'],
      ['parameters']
    )
  ]);
  writeNotebook(project, 'train.ipynb', nb);
  const preview = (params: Params): ITrialsPreview =>
    previewTrialsMethod({ path: 'train.ipynb', ...params }, context).json as ITrialsPreview;

  it('counts one trial for single values, list flags included', () => {
    const result = preview({ flags: { lr: '0.1', layers: '[128, 64]' } });
    assert.equal(result.kind, 'single');
    assert.equal(result.count, 1);
    assert.deepEqual(result.trials, [{ lr: 0.1, layers: [128, 64] }]);
    assert.deepEqual(result.values, { lr: 'value', layers: 'value' });
    assert.deepEqual(result.errors, {});
    assert.equal(result.error, null);
  });

  it('counts the grid of lists, first flag slowest', () => {
    const result = preview({ flags: { lr: '[0.001, 0.01]', optimizer: '[adam, sgd]' } });
    assert.equal(result.kind, 'grid');
    assert.equal(result.count, 4);
    assert.deepEqual(result.trials[1], { lr: 0.001, optimizer: 'sgd' });
    assert.deepEqual(result.values, { lr: 'values', optimizer: 'values' });
  });

  it('needs maxTrials for a distribution, then samples that many with the seed', () => {
    const without = preview({ flags: { lr: 'uniform[0.001:0.1]' } });
    assert.equal(without.kind, null);
    assert.equal(without.count, 0);
    assert.deepEqual(without.values, { lr: 'distribution' });
    assert.match(without.error ?? '', /max-trials/);
    const a = preview({ flags: { lr: 'uniform[0.001:0.1]' }, maxTrials: 5, seed: 7 });
    const b = preview({ flags: { lr: 'uniform[0.001:0.1]' }, maxTrials: 5, seed: 7 });
    assert.equal(a.kind, 'random');
    assert.equal(a.count, 5);
    assert.equal(a.seed, 7);
    assert.deepEqual(a.trials, b.trials);
  });

  it('puts a bad value and an unknown flag under their names, one line each', () => {
    const result = preview({ flags: { lr: 'abc', epochs: '3', optimizer: 'sgd' } });
    assert.equal(result.kind, null);
    assert.equal(result.count, 0);
    assert.deepEqual(Object.keys(result.errors).sort(), ['epochs', 'lr']);
    assert.match(result.errors.lr, /lr/);
    assert.match(result.errors.epochs, /epochs/);
    assert.match(result.errors.epochs, /lr/, 'names the known flags');
    for (const message of Object.values(result.errors)) {
      assert.ok(!message.includes('\n'));
    }
    assert.deepEqual(result.values, { optimizer: 'value' });
  });

  it("reads the flags of the editor's content, not the file", () => {
    const edited = notebook('python3', [code('lr = 0.5\nepochs = 3', ['parameters'])]);
    const result = preview({ content: edited, flags: { epochs: '[1, 2, 3]' } });
    assert.equal(result.count, 3);
    assert.deepEqual(result.errors, {});
  });

  it('refuses a bad maxTrials as a batch error', () => {
    const result = preview({ flags: { lr: '[0.1, 0.2]' }, maxTrials: 0 });
    assert.match(result.error ?? '', /max-trials/);
  });
});

describe('startRunMethod', () => {
  const project = tempDir('nbx-start-');
  const root = path.join(project, 'runs-root');
  // The runs root given with each request is the service's own.
  const context = createContext({
    cwd: project,
    env: { ...process.env, NBX_HOME: root },
    log: () => undefined
  });
  writeNotebook(
    project,
    'sweep.ipynb',
    notebook('python3', [code('x = 1\nname = "a"', ['parameters']), code('print(x, name)')])
  );
  const started: RunDir[] = [];
  const start = async (params: Params): Promise<{ id: string; meta: RunMeta }> => {
    const result = await startRunMethod(
      { path: 'sweep.ipynb', root, gpus: [], ...params },
      context
    );
    const json = result.json as { id: string; meta: RunMeta };
    started.push(new RunDir(root, json.id));
    return json;
  };

  after(async () => {
    for (const run of started) {
      await stopRun(run, 2000).catch(() => undefined);
    }
  });

  it('starts one run for a one-value list, with that value', async () => {
    const { meta } = await start({ flags: { x: '[5]', name: 'b' } });
    assert.equal(meta.kind, 'run');
    assert.deepEqual(meta.flags, { x: 5, name: 'b' });
    assert.deepEqual(meta.command.slice(3, 5), ['x=5', 'name="b"']);
  });

  it('starts a sweep when the values make several trials', async () => {
    const { id, meta } = await start({
      flags: { x: '[1, 2]', name: '[a, b]' },
      parallel: 2,
      label: 'sweep ${x}',
      tags: ['s']
    });
    assert.equal(meta.kind, 'batch');
    assert.equal(meta.trials.length, 4);
    assert.equal(meta.batch?.parallel, 2);
    assert.deepEqual(meta.tags, ['s']);
    assert.equal(new RunDir(root, id).readMeta().id, id, 'in the runs root given');
    const trial = new RunDir(root, meta.trials[1]).readMeta();
    assert.deepEqual(trial.flags, { x: 1, name: 'b' });
    assert.equal(trial.parent, id);
  });

  it("records a sweep's objective as the display rules write it, and refuses a bad one", async () => {
    const { meta } = await start({ flags: { x: '[1, 2]' }, objective: ' - #acc ' });
    assert.equal(meta.batch?.objective, '-#acc');
    await assert.rejects(
      start({ flags: { x: '[1, 2]' }, objective: '# #' }),
      /invalid --objective '# #'/
    );
  });

  it('restarts a finished run in place with a changed flag, and refuses a live one', async () => {
    const { id } = await start({ flags: { x: '3' } });
    const run = new RunDir(root, id);
    const ended = (): RunMeta | undefined => {
      const meta = withEffectiveStatus(run.readMeta());
      return meta.status === 'completed' || meta.status === 'error' ? meta : undefined;
    };
    assert.equal((await waitFor(ended, 60_000, 'the run to end')).status, 'completed');
    const restarted = (
      await restartRunMethod({ id: id.slice(0, 8), root, flags: { x: '7' } }, context)
    ).json as RunMeta;
    assert.equal(restarted.id, id);
    assert.equal(restarted.status, 'queued');
    assert.deepEqual(restarted.flags, { x: 7, name: 'a' });
    await assert.rejects(
      restartRunMethod({ id, root }, context),
      /is (queued|running); stop it first/
    );
    assert.equal((await waitFor(ended, 60_000, 'the restart to end')).status, 'completed');
    assert.match(fs.readFileSync(run.executedPath, 'utf8'), /7 a/);
  });

  it("refuses bad values with the CLI's one line", async () => {
    await assert.rejects(start({ flags: { x: '[1, abc]' } }), /invalid value for flag 'x'/);
    await assert.rejects(start({ flags: { x: '[1, 2]' }, parallel: 0 }), /positive integer/);
  });
});
