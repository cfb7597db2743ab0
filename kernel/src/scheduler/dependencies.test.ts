/**
 * Run dependencies and a pipeline's scalars, through the CLI: the seed's end-to-end example
 * (prepare → train → evaluate, Guild's "Steps and scalars"), then what a notebook requires
 * resolved on its own: an upstream run named on the command line, copies instead of links,
 * a missing dependency (an error before any kernel starts; a warning with --stage), and
 * --needed. Tiny Python notebooks in real kernels; the runs root is outside the project.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import type { INotebook } from '../notebook/nbformat';
import type { RunMeta } from '../store/meta';
import { readMeta, runIds } from '../testing/cli-project';
import { cliEnv, code, nbx, notebook, tempDir, writeNotebook } from '../testing/fixtures';

/** A Python notebook requiring `requires` (metadata.nbx.requires) when given. */
function py(cells: string[], flags?: string, requires?: unknown[]): INotebook {
  const nb = notebook('python3', [
    ...(flags ? [code(flags, ['parameters'])] : []),
    ...cells.map(c => code(c))
  ]);
  if (requires) {
    nb.metadata.nbx = { requires } as never;
  }
  return nb;
}

/** The seed's m4 model: prepare writes data, train a model (loss), evaluate scores (acc). */
function endToEndProject(): string {
  const dir = tempDir();
  writeNotebook(
    dir,
    'prepare.ipynb',
    py([
      "import os\nos.makedirs('data', exist_ok=True)\nopen('data/train.csv', 'w').write('x\\n1\\n')\nopen('notes.txt', 'w').write('n')\nprint('prepared data')"
    ])
  );
  writeNotebook(
    dir,
    'train.ipynb',
    py(
      [
        "assert open('data/train.csv').read().startswith('x')\nopen('model', 'w').write('m')\nprint(f'loss={target_loss}')"
      ],
      'target_loss = 0.0',
      [{ run: 'prepare.ipynb', select: 'data/*.csv' }]
    )
  );
  // evaluate's requirements are in nbx.json, not in the notebook.
  writeNotebook(
    dir,
    'evaluate.ipynb',
    py(
      [
        "assert open('model').read() == 'm' and open('labels.txt').read() == 'l'\nprint(f'acc={target_acc}')"
      ],
      'target_acc = 0.0'
    )
  );
  writeNotebook(dir, 'needs-file.ipynb', py(["print('never')"], undefined, [{ file: 'nope.csv' }]));
  fs.writeFileSync(path.join(dir, 'labels.txt'), 'l');
  const projectFile = {
    pipelines: {
      'end-to-end': {
        steps: [
          'prepare.ipynb --needed',
          'train.ipynb target_loss=1.0',
          { run: 'evaluate.ipynb', name: 'eval', flags: { target_acc: 0.5 } }
        ]
      }
    },
    notebooks: {
      'evaluate.ipynb': {
        requires: [
          { run: 'prepare.ipynb' },
          { run: 'train.ipynb', select: 'model' },
          { file: 'labels.txt' }
        ]
      }
    }
  };
  fs.writeFileSync(path.join(dir, 'nbx.json'), JSON.stringify(projectFile, null, 2));
  return dir;
}

const project = endToEndProject();

function run(home: string, ...args: string[]): ReturnType<typeof nbx> {
  return nbx(args, { cwd: project, env: cliEnv(home) });
}

function metas(home: string): RunMeta[] {
  return runIds(home)
    .map(id => readMeta(home, id))
    .sort((a, b) => (a.created < b.created ? 1 : -1));
}

const byNotebook = (all: RunMeta[], name: string): RunMeta[] =>
  all.filter(m => m.notebookName === name);

/** The entries of a run directory that are not nbx's own, `name/` for directories. */
function ls(home: string, id: string): string[] {
  const dir = path.join(home, 'runs', id);
  const own = new Set(['.nbx', 'meta.json', 'executed.ipynb', 'snapshot.ipynb', 'kernel.log']);
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter(e => !own.has(e.name) && !['output.log', 'scalars', 'node_modules'].includes(e.name))
    .map(e => (e.isDirectory() ? `${e.name}/` : e.name))
    .sort();
}

describe('pipelines with dependencies (the seed: steps and scalars)', () => {
  const home = tempDir();
  let first: { prepare: RunMeta; train: RunMeta; evaluate: RunMeta; pipeline: RunMeta };

  test('end-to-end: steps resolve the runs before them; the pipeline carries their scalars', () => {
    const r = run(home, 'run', 'end-to-end');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'prepared data\nloss=1.0\nacc=0.5\n');
    const all = metas(home);
    const [evaluate, train, prepare, pipeline] = all;
    first = { prepare, train, evaluate, pipeline };
    assert.deepEqual(
      all.map(m => [m.notebookName, m.status]),
      [
        ['evaluate.ipynb', 'completed'],
        ['train.ipynb', 'completed'],
        ['prepare.ipynb', 'completed'],
        ['end-to-end', 'completed']
      ]
    );
    const info = r.stderr.split('\n').filter(l => !/^(run|pipeline) |^ {2}/.test(l));
    assert.deepEqual(info.slice(0, 9), [
      'running prepare: prepare.ipynb --needed',
      'running train: train.ipynb target_loss=1.0',
      'Resolving prepare.ipynb',
      `Using run ${prepare.id} for prepare.ipynb`,
      'running eval: evaluate.ipynb target_acc=0.5',
      'Resolving prepare.ipynb',
      `Using run ${prepare.id} for prepare.ipynb`,
      'Resolving train.ipynb',
      `Using run ${train.id} for train.ipynb`
    ]);
    // Each run records what it used.
    assert.deepEqual(train.deps, [
      {
        kind: 'run',
        source: 'prepare.ipynb',
        run: prepare.id,
        files: ['data/train.csv'],
        copied: false
      }
    ]);
    assert.deepEqual(
      evaluate.deps?.map(d => [d.source, d.run, d.files]),
      [
        ['prepare.ipynb', prepare.id, ['data/train.csv', 'notes.txt']],
        ['train.ipynb', train.id, ['model']],
        ['labels.txt', null, ['labels.txt']]
      ]
    );
    // Files: the links of the pipeline; what each step has.
    assert.deepEqual(ls(home, pipeline.id), ['eval', 'prepare', 'train']);
    assert.deepEqual(ls(home, prepare.id), [
      'data/',
      'evaluate.ipynb',
      'labels.txt',
      'nbx.json',
      'needs-file.ipynb',
      'notes.txt',
      'train.ipynb'
    ]);
    assert.ok(ls(home, train.id).includes('model'));
    const linked = path.join(home, 'runs', train.id, 'data', 'train.csv');
    assert.ok(fs.lstatSync(linked).isSymbolicLink());
    assert.equal(
      fs.realpathSync(linked),
      fs.realpathSync(path.join(home, 'runs', prepare.id, 'data', 'train.csv'))
    );
    // nbx show: the pipeline's steps, a step's pipeline and dependencies.
    const shown = run(home, 'show', pipeline.id).stdout;
    assert.match(shown, /^pipeline: +end-to-end \(.*nbx\.json\)$/m);
    assert.match(
      shown,
      /^steps:\n {2}prepare +[0-9a-f]{8} +prepare\.ipynb +completed.*\n {2}train .*\n {2}eval +[0-9a-f]{8} +evaluate\.ipynb/m
    );
    const step = run(home, 'show', train.id).stdout;
    assert.match(step, new RegExp(`^parent: +${pipeline.id} \\(step train of end-to-end\\)$`, 'm'));
    assert.match(
      step,
      new RegExp(
        `^dependencies:\n {2}prepare\\.ipynb +run ${prepare.id.slice(0, 8)} +data/train\\.csv \\(linked\\)$`,
        'm'
      )
    );
    // The scalars roll up: the pipeline has its steps' loss and acc (not their system metrics).
    assert.deepEqual(Object.keys(pipeline.scalars).sort(), ['acc', 'loss']);
    assert.equal(pipeline.scalars.loss.last, 1);
    assert.equal(pipeline.scalars.acc.last, 0.5);
    const compared = run(home, 'compare', '--columns', 'notebook,status,#acc,#loss', '--csv');
    assert.equal(compared.status, 0, compared.stderr);
    assert.deepEqual(compared.stdout.trim().split('\n').slice(1), [
      `${evaluate.id},evaluate.ipynb,completed,0.5,`,
      `${train.id},train.ipynb,completed,,1`,
      `${prepare.id},prepare.ipynb,completed,,`,
      `${pipeline.id},end-to-end,completed,0.5,1`
    ]);
  });

  test('again: --needed reuses the completed prepare run; the others use it', () => {
    const r = run(home, 'run', 'end-to-end');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'loss=1.0\nacc=0.5\n');
    assert.match(r.stderr, new RegExp(`Skipped prepare: run ${first.prepare.id} is identical`));
    const all = metas(home);
    assert.equal(byNotebook(all, 'prepare.ipynb').length, 1);
    const pipeline = all.find(m => m.kind === 'pipeline' && m.id !== first.pipeline.id);
    assert.ok(pipeline);
    assert.equal(pipeline.steps?.[0].run, first.prepare.id);
    const train = byNotebook(all, 'train.ipynb')[0];
    assert.equal(train.deps?.[0].run, first.prepare.id);
    // A plain run with --needed: nothing new.
    const plain = run(home, 'run', 'prepare.ipynb', '--needed');
    assert.equal(plain.status, 0, plain.stderr);
    assert.equal(plain.stdout, `${first.prepare.id}\n`);
    assert.equal(metas(home).length, all.length);
    // Other flags are another run.
    const other = run(home, 'run', 'train.ipynb', 'target_loss=2', '--needed', '--quiet');
    assert.equal(other.status, 0, other.stderr);
    assert.equal(metas(home).length, all.length + 1);
  });

  test('an upstream run named on the command line, copied with --copy-deps', () => {
    const older = first.train.id.slice(0, 8);
    // A newer prepare run exists; the one named is used all the same.
    const newer = run(home, 'run', 'prepare.ipynb', '--quiet');
    assert.equal(newer.status, 0, newer.stderr);
    const r = run(
      home,
      'run',
      'evaluate.ipynb',
      `train.ipynb=${older}`,
      `prepare.ipynb=${first.prepare.id}`,
      '--copy-deps',
      '--json'
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`Using run ${first.train.id} for train.ipynb`));
    const meta = JSON.parse(r.stdout) as RunMeta;
    assert.deepEqual(
      meta.deps?.map(d => [d.run, d.copied]),
      [
        [first.prepare.id, true],
        [first.train.id, true],
        [null, true]
      ]
    );
    assert.ok(fs.lstatSync(path.join(home, 'runs', meta.id, 'model')).isFile());
    assert.deepEqual(meta.command.slice(2), [
      'evaluate.ipynb',
      `train.ipynb=${older}`,
      `prepare.ipynb=${first.prepare.id}`,
      '--copy-deps',
      '--json'
    ]);
    const wrong = run(home, 'run', 'train.ipynb', `prepare.ipynb=${first.train.id}`);
    assert.equal(wrong.status, 2);
    assert.match(wrong.stderr, /run [0-9a-f]+ is a run of train\.ipynb, not of prepare\.ipynb/);
  });
});

describe('a missing dependency', () => {
  test('is an error before the kernel starts: nothing is written', () => {
    const home = tempDir();
    const r = run(home, 'run', 'train.ipynb');
    assert.equal(r.status, 2, r.stderr);
    assert.match(
      r.stderr,
      /^nbx: missing dependency of train\.ipynb: no completed run of prepare\.ipynb \(run it first, or name one with prepare\.ipynb=RUNID\)\n$/
    );
    assert.deepEqual(runIds(home), []);
    const file = run(home, 'run', 'needs-file.ipynb');
    assert.equal(file.status, 2);
    assert.match(file.stderr, /missing dependency of needs-file\.ipynb: no file nope\.csv/);
  });

  test('is a warning with --stage', () => {
    const home = tempDir();
    const r = run(home, 'run', 'train.ipynb', '--stage');
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.stderr,
      /nbx: warning: missing dependency of train\.ipynb: no completed run of prepare\.ipynb/
    );
    const [meta] = metas(home);
    assert.equal(meta.status, 'staged');
    assert.deepEqual(meta.deps, []);
  });
});
