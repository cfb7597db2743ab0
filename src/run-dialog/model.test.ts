import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TranslationBundle } from '@jupyterlab/translation';
import type { JSONObject } from '@lumino/coreutils';
import { code, notebook, writeNotebook } from '../../kernel/lib/testing/fixtures';
import { RootedService } from '../client/rooted';
import { NbxSettings } from '../settings';
import { LocalConnection, tempProject } from '../testing/service';
import { RunDialogModel, valueText, withoutOutputs, type IRunTarget } from './model';

/** JupyterLab's null translation: the message with its `%1`, `%2`... filled in. */
const trans = {
  __: (msgid: string, ...args: unknown[]) =>
    msgid.replace(/%(\d+)/g, (_, n: string) => String(args[Number(n) - 1]))
} as unknown as TranslationBundle;

describe('RunDialogModel', () => {
  // A python3 kernelspec where Jupyter looks first, so the service resolves the notebook's.
  const jupyterPath = tempProject().dir;
  const kernelDir = path.join(jupyterPath, 'kernels', 'python3');
  fs.mkdirSync(kernelDir, { recursive: true });
  fs.writeFileSync(
    path.join(kernelDir, 'kernel.json'),
    JSON.stringify({
      argv: ['python3', '-m', 'ipykernel_launcher', '-f', '{connection_file}'],
      display_name: 'Python 3',
      language: 'python'
    })
  );
  const project = tempProject({ JUPYTER_PATH: jupyterPath });
  writeNotebook(
    project.dir,
    'train.ipynb',
    notebook('python3', [
      code(
        ['lr = 0.01  # learning rate\n', "optimizer = 'adam'\n", 'layers = [64, 32]'],
        ['parameters']
      )
    ])
  );
  const service = new RootedService(new LocalConnection(project), new NbxSettings(null));
  const target: IRunTarget = { path: 'train.ipynb', content: null };
  let options: RunDialogModel.IOptions;
  const models: RunDialogModel[] = [];
  const open = (extra: Partial<RunDialogModel.IOptions> = {}): RunDialogModel => {
    const model = new RunDialogModel({ ...options, ...extra });
    models.push(model);
    return model;
  };

  before(async () => {
    // What the command reads before it opens the dialog.
    const [flags, kernels, gpus] = await Promise.all([
      service.request('flags', { path: target.path }),
      service.request('kernels'),
      service.request('gpus')
    ]);
    options = {
      service,
      target,
      flags: flags.result,
      kernels: kernels.result,
      gpus: gpus.result,
      debounceMs: 5,
      trans
    };
  });
  after(() => models.forEach(model => model.dispose()));

  it("starts from the notebook's flags and kernel, nothing to check", () => {
    const model = open();
    assert.deepEqual(
      model.flags.map(def => [def.name, def.type, model.value(def.name)]),
      [
        ['lr', 'number', '0.01'],
        ['optimizer', 'string', 'adam'],
        ['layers', 'list', '[64,32]']
      ]
    );
    assert.equal(model.flags[0].description, 'learning rate');
    assert.equal(model.kernel, 'python3');
    assert.ok(model.kernels.some(k => k.name === 'python3'));
    assert.deepEqual(model.changedFlags, {});
    assert.equal(model.pending, false);
    assert.equal(model.trialCount, 1);
    assert.equal(model.canRun, true);
  });

  it('counts the trials of list values with the service, then asks for a sweep', async () => {
    const model = open();
    model.setValue('lr', '[0.001, 0.01]');
    model.setValue('optimizer', '[adam, sgd]');
    assert.equal(model.pending, true);
    assert.equal(model.canRun, false);
    await model.settled();
    assert.equal(model.preview?.kind, 'grid');
    assert.equal(model.trialCount, 4);
    assert.equal(model.isSweep, true);
    assert.equal(model.canRun, true);
    assert.deepEqual(model.startParams(), {
      path: 'train.ipynb',
      flags: { lr: '[0.001, 0.01]', optimizer: '[adam, sgd]' },
      kernel: 'python3',
      parallel: 1
    });
  });

  it("shows the service's error of a bad value under its flag", async () => {
    const model = open();
    model.setValue('lr', 'fast');
    await model.settled();
    assert.match(model.flagError('lr') ?? '', /lr/);
    assert.equal(model.flagError('optimizer'), null);
    assert.equal(model.canRun, false);
  });

  it('needs max trials for a distribution', async () => {
    const model = open();
    model.setValue('lr', 'uniform[0.001:0.1]');
    await model.settled();
    assert.equal(model.hasDistribution, true);
    assert.notEqual(model.previewError, null);
    assert.equal(model.canRun, false);
    model.setMaxTrials('5');
    model.setSeed('3');
    await model.settled();
    assert.equal(model.previewError, null);
    assert.equal(model.preview?.kind, 'random');
    assert.equal(model.trialCount, 5);
    assert.equal(model.preview?.seed, 3);
  });

  it('keeps only the answer to the latest values', async () => {
    const model = open();
    model.setValue('layers', '[[8], [16]]');
    await new Promise(resolve => setTimeout(resolve, 10));
    model.setValue('layers', '[[8], [16], [32]]');
    await model.settled();
    assert.equal(model.trialCount, 3);
  });

  it('checks the options it can alone', () => {
    const model = open();
    model.setTags('best, two words');
    model.setParallel('0');
    model.setKernel('');
    assert.match(model.optionError('tags') ?? '', /two words/);
    assert.notEqual(model.optionError('parallel'), null);
    assert.notEqual(model.optionError('kernel'), null);
    assert.equal(model.canRun, false);
    model.setTags('best, v2');
    model.setParallel('2');
    model.setKernel('python3');
    assert.equal(model.optionError('tags'), null);
    assert.equal(model.optionError('parallel'), null);
  });

  it('runs on Slurm: its fields checked, a placement asked instead of GPUs', async () => {
    const model = open();
    model.setValue('lr', '[0.1,0.2]');
    model.setSlurmValue('time', 'soon');
    assert.equal(model.optionError('time'), null, 'Slurm fields count only on Slurm');
    model.setRunOn('slurm');
    assert.match(model.optionError('time') ?? '', /minutes/);
    model.setSlurmValue('time', '1:30:00');
    model.setSlurmValue('partition', 'gpu');
    model.setSlurmValue('slurmGpus', '1');
    model.setSlurmValue('mem', '4G');
    await model.settled();
    assert.equal(model.canRun, true);
    const params = model.startParams();
    assert.deepEqual(params.placement, {
      on: 'slurm',
      partition: 'gpu',
      time: '1:30:00',
      gpus: 1,
      mem: '4G'
    });
    assert.equal(params.gpus, undefined);
    assert.equal(params.gpusPerTrial, undefined);
    assert.deepEqual(open({ initial: model.snapshot() }).startParams().placement, params.placement);
  });

  it('starts from the settings: Run on Slurm with their fields, what is typed winning', async () => {
    const model = open({
      defaults: { runOn: 'slurm', slurm: { partition: 'debug', time: '30', cpus: '2' } }
    });
    assert.equal(model.runOn, 'slurm');
    assert.equal(model.slurmValue('partition'), 'debug');
    model.setSlurmValue('time', '45');
    await model.settled();
    assert.deepEqual(model.startParams().placement, {
      on: 'slurm',
      partition: 'debug',
      time: '45',
      cpus: 2
    });
    assert.equal(open().runOn, 'local', 'without the settings: this machine');
  });

  it('comes back as it was from a snapshot', async () => {
    const model = open();
    model.setValue('optimizer', 'sgd');
    model.setLabel('  try sgd ');
    model.setTags('a, b');
    await model.settled();
    const again = open({ initial: model.snapshot() });
    assert.deepEqual(again.changedFlags, { optimizer: 'sgd' });
    assert.equal(again.label, '  try sgd ');
    assert.equal(again.label.trim(), 'try sgd');
    assert.deepEqual(again.startParams(), {
      path: 'train.ipynb',
      flags: { optimizer: 'sgd' },
      kernel: 'python3',
      // The label as typed, trimmed.
      label: again.label.trim(),
      tags: ['a', 'b']
    });
  });

  it("keeps the service's error when the run cannot start", async () => {
    const model = open();
    model.setValue('lr', 'fast');
    await assert.rejects(model.submit());
    assert.match(model.submitError ?? '', /lr/);
    assert.equal(model.submitting, false);
  });
});

describe('valueText', () => {
  it('writes a value as `nbx run NAME=VALUE` takes it', () => {
    assert.equal(valueText('adam'), 'adam');
    assert.equal(valueText(0.5), '0.5');
    assert.equal(valueText(true), 'true');
    assert.equal(valueText([64, 32]), '[64,32]');
    assert.equal(valueText(null), 'null');
  });
});

describe('withoutOutputs', () => {
  it('drops outputs and attachments, and keeps sources and metadata', () => {
    const content: JSONObject = {
      nbformat: 4,
      metadata: { kernelspec: { name: 'python3' } },
      cells: [
        {
          cell_type: 'code',
          source: 'x = 1',
          outputs: [{ output_type: 'stream', text: 'x' }],
          metadata: {}
        },
        {
          cell_type: 'markdown',
          source: '![a](attachment:a.png)',
          attachments: { 'a.png': {} },
          metadata: {}
        }
      ]
    };
    assert.deepEqual(withoutOutputs(content), {
      nbformat: 4,
      metadata: { kernelspec: { name: 'python3' } },
      cells: [
        { cell_type: 'code', source: 'x = 1', outputs: [], metadata: {} },
        { cell_type: 'markdown', source: '![a](attachment:a.png)', metadata: {} }
      ]
    });
  });
});
