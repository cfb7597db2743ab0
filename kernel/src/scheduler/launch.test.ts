/**
 * The launch entry on its own (staged, so no kernel starts): typed flag values make the
 * trials their text makes, a one-trial batch can be one run, bad input is refused before
 * anything is written, and the recorded command line is the equivalent `nbx run`.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';

import { UserError } from '../base/errors';
import { cliProject, readMeta, runIds } from '../testing/cli-project';
import { code, notebook, writeNotebook } from '../testing/fixtures';
import { commandLine, launch, previewLaunch, type ILaunchRequest } from './launch';

function project(): { dir: string; home: string; req: ILaunchRequest } {
  const { dir, home, env } = cliProject();
  writeNotebook(
    dir,
    'train.ipynb',
    notebook('python3', [
      code('lr = 0.1\nlayers = [64]\nopt = "sgd"', ['parameters']),
      code('print(lr)')
    ])
  );
  return { dir, home, req: { notebook: 'train.ipynb', mode: 'stage', cwd: dir, env } };
}

describe('launch', () => {
  it('makes the same trials from typed values as from their text', async () => {
    const { req } = project();
    const typed = await previewLaunch({
      ...req,
      flags: [
        { name: 'lr', values: [0.001, 0.01] },
        { name: 'layers', values: [[64, 32], [128]] },
        { name: 'opt', value: 'adam' }
      ]
    });
    const text = await previewLaunch({
      ...req,
      flags: [
        { name: 'lr', raw: '[0.001,0.01]' },
        { name: 'layers', raw: '[[64,32],[128]]' },
        { name: 'opt', raw: 'adam' }
      ]
    });
    assert.equal(typed.kind, 'grid');
    assert.deepEqual(typed.trials, text.trials);
    assert.deepEqual(typed.trials[3], { lr: 0.01, layers: [128], opt: 'adam' });
  });

  it('stages a batch with its trials, or one run for a one-trial batch when asked', async () => {
    const { home, req } = project();
    const batch = await launch({ ...req, flags: [{ name: 'lr', values: [0.1, 0.2] }] });
    assert.equal(batch.kind, 'batch');
    assert.equal(batch.meta.status, 'staged');
    assert.deepEqual(
      batch.meta.trials.map(id => readMeta(home, id).flags.lr),
      [0.1, 0.2]
    );
    const one = await launch({
      ...req,
      flags: [{ name: 'lr', raw: '[0.3]' }],
      oneTrialAsRun: true
    });
    assert.equal(one.kind, 'run');
    assert.equal(one.meta.flags.lr, 0.3);
    assert.deepEqual(one.meta.command.slice(3, 5), ['lr=0.3', '--stage']);
  });

  it('refuses bad input with one line before writing anything', async () => {
    const { home, req } = project();
    const refused = async (extra: Partial<ILaunchRequest>, message: RegExp): Promise<void> => {
      await assert.rejects(launch({ ...req, ...extra }), (err: Error) => {
        assert.ok(err instanceof UserError, String(err));
        assert.match(err.message, message);
        return true;
      });
    };
    await refused({ flags: [{ name: 'lrr', raw: '1' }] }, /^unknown flag 'lrr' for train\.ipynb/);
    await refused({ flags: [{ name: 'lr', value: 'fast' }] }, /^invalid value for flag 'lr'/);
    await refused({ flags: [{ name: 'layers', values: [64, 32] }] }, /is a list flag/);
    await refused({ flags: [{ name: 'lr', values: [1, 2] }], objective: '-#' }, /--objective/);
    assert.deepEqual(runIds(home), []);
  });

  it('records the nbx run command line that asks for the same', () => {
    const { dir } = project();
    assert.deepEqual(
      commandLine({
        notebook: path.join(dir, 'train.ipynb'),
        flags: [
          { name: 'lr', values: [0.1, 0.2] },
          { name: 'opt', value: 'adam' }
        ],
        mode: 'detach',
        parallel: 2,
        gpus: '',
        objective: '-#acc',
        tags: ['a']
      }).slice(3),
      [
        'lr=[0.1,0.2]',
        'opt="adam"',
        '--detach',
        '--parallel',
        '2',
        '--objective',
        '-#acc',
        '--no-gpus',
        '--tag',
        'a'
      ]
    );
  });
});
