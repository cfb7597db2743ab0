/**
 * Pipelines through the CLI, mirroring the examples of Guild's operation steps tests (the
 * behaviour spec; Guild operations are notebooks here): basic, named and repeated steps,
 * flags passed to steps, steps in other folders, invalid steps, ignored run options,
 * --force-flags, labels and tags. The steps are tiny Python notebooks run in real
 * kernels. Each test has a runs root of its own, outside the project (a root inside it
 * would be copied into every run as a source file).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import type { INotebook } from '../notebook/nbformat';
import type { RunMeta } from '../store/meta';
import { RUN_FILES } from '../store/run-dir';
import { readMeta, runIds } from '../testing/cli-project';
import {
  cliEnv,
  code,
  nbx,
  nbxAsync,
  notebook,
  tempDir,
  waitFor,
  writeNotebook
} from '../testing/fixtures';

/** A Python notebook with flags `flags` (a parameters cell) that runs `source`. */
function py(source: string, flags?: string): INotebook {
  return notebook('python3', [...(flags ? [code(flags, ['parameters'])] : []), code(source)]);
}

/** The project of the seed's examples: notebooks in folders m1, m2, and an nbx.json. */
function stepsProject(): string {
  const dir = tempDir();
  for (const folder of ['m1', 'm2']) {
    fs.mkdirSync(path.join(dir, folder));
    writeNotebook(dir, `${folder}/hello.ipynb`, py('print(msg)', "msg = 'hello world'"));
  }
  writeNotebook(dir, 'm1/step-1.ipynb', py("print('hello step-1')"));
  writeNotebook(dir, 'm1/step-2.ipynb', py("print('hello step-2')"));
  writeNotebook(dir, 'op.ipynb', py('print(msg)', "msg = 'hi from op'"));
  writeNotebook(
    dir,
    'sleepy.ipynb',
    py("import time\nprint('sleeping', flush=True)\ntime.sleep(60)")
  );
  const pipelines = {
    'steps-basic': { steps: ['m1/step-1.ipynb', 'm1/step-2.ipynb'] },
    'steps-named': {
      steps: [
        { run: 'm1/step-1.ipynb', name: 's1' },
        { run: 'm1/step-2.ipynb', name: 's2' }
      ]
    },
    'steps-repeat': { steps: ['m1/step-1.ipynb', 'm1/step-1.ipynb', 'm1/step-1.ipynb'] },
    'steps-hello': {
      flags: { msg: 'hello steps' },
      steps: ['m1/hello.ipynb msg=${msg}', "m1/hello.ipynb msg='${msg} (again)'"]
    },
    composite: {
      flags: { name: 'composite' },
      steps: [
        "m2/hello.ipynb msg='hello m2, from ${name}'",
        { run: 'm1/hello.ipynb', name: 'm1-hello', flags: { msg: 'hello m1, from ${name}' } }
      ]
    },
    'bad-opspec-1': { steps: [[1, 2, 3]] },
    'bad-opspec-2': { steps: [null] },
    'bad-opspec-3': { steps: [{ run: '   ' }] },
    'bad-opspec-4': { steps: [{}] },
    'bad-op': { steps: ['not-defined.ipynb'] },
    'ignored-params': { steps: ['m1/hello.ipynb --gpus 0 --stage'] },
    'm5-steps': { steps: ['op.ipynb'] },
    'sleep-then-step': { steps: ['sleepy.ipynb', 'm1/step-1.ipynb'] },
    'sweep-step': { steps: ['m1/hello.ipynb msg=[a,b]', 'm1/step-1.ipynb'] }
  };
  fs.writeFileSync(path.join(dir, 'nbx.json'), JSON.stringify({ pipelines }, null, 2));
  return dir;
}

const project = stepsProject();

/** `nbx args...` in the project, with a runs root of the test's own. */
function run(home: string, ...args: string[]): ReturnType<typeof nbx> {
  return nbx(args, { cwd: project, env: cliEnv(home) });
}

/** The records under `home`, latest first, as `nbx runs` lists them. */
function metas(home: string): RunMeta[] {
  return runIds(home)
    .map(id => readMeta(home, id))
    .sort((a, b) => (a.created < b.created ? 1 : -1));
}

/** The pipeline run under `home` and its steps in the order they ran. */
function pipelineOf(home: string): { parent: RunMeta; steps: RunMeta[] } {
  const all = metas(home);
  const parent = all.find(m => m.kind === 'pipeline');
  assert.ok(parent, 'a pipeline run');
  const steps = (parent.steps ?? []).map(s => readMeta(home, s.run));
  return { parent, steps };
}

/** The names in the pipeline's run directory, and where each link leads. */
function links(home: string, parent: RunMeta): Record<string, string> {
  const dir = path.join(home, 'runs', parent.id);
  const out: Record<string, string> = {};
  // The record and its lock (held for a moment while a runner updates the record).
  const record = new Set<string>([RUN_FILES.meta, RUN_FILES.metaLock]);
  for (const name of fs.readdirSync(dir).filter(n => !record.has(n))) {
    out[name] = fs.realpathSync(path.join(dir, name));
  }
  return out;
}

/** What `read` returns, or undefined when it throws. */
function attempt<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

const runPath = (home: string, id: string): string => fs.realpathSync(path.join(home, 'runs', id));

describe('pipeline steps (the seed: Guild operation steps)', () => {
  test('basic steps: in order, each a normal run, linked from the parent run', () => {
    const home = tempDir();
    const r = run(home, 'run', 'steps-basic');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'hello step-1\nhello step-2\n');
    assert.match(
      r.stderr,
      /running step-1: m1\/step-1\.ipynb\n[^]*running step-2: m1\/step-2\.ipynb/
    );
    const all = metas(home);
    assert.deepEqual(
      all.map(m => [m.notebookName, m.status]),
      [
        ['step-2.ipynb', 'completed'],
        ['step-1.ipynb', 'completed'],
        ['steps-basic', 'completed']
      ]
    );
    const { parent, steps } = pipelineOf(home);
    assert.equal(parent.kind, 'pipeline');
    assert.ok(steps.every(s => s.parent === parent.id && s.kind === 'run'));
    assert.deepEqual(links(home, parent), {
      'step-1': runPath(home, steps[0].id),
      'step-2': runPath(home, steps[1].id)
    });
    // Normal runs: the notebooks beside step-2 are among its sources.
    assert.ok(fs.existsSync(path.join(home, 'runs', steps[1].id, 'step-1.ipynb')));
    // The listing shows the steps under their pipeline, named.
    const listed = run(home, 'runs');
    assert.match(
      listed.stdout,
      /steps-basic[^\n]*\n[^\n]*step-1: step-1\.ipynb[^\n]*\n[^\n]*step-2:/
    );
  });

  test('named steps: links by the steps names', () => {
    const home = tempDir();
    const r = run(home, 'run', 'steps-named');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /running s1: m1\/step-1\.ipynb\n[^]*running s2: m1\/step-2\.ipynb/);
    const { parent, steps } = pipelineOf(home);
    assert.deepEqual(links(home, parent), {
      s1: runPath(home, steps[0].id),
      s2: runPath(home, steps[1].id)
    });
  });

  test('repeated steps: _2, _3 suffixes', () => {
    const home = tempDir();
    const r = run(home, 'run', 'steps-repeat');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'hello step-1\n'.repeat(3));
    const { parent, steps } = pipelineOf(home);
    assert.equal(metas(home).length, 4);
    assert.deepEqual(links(home, parent), {
      'step-1': runPath(home, steps[0].id),
      'step-1_2': runPath(home, steps[1].id),
      'step-1_3': runPath(home, steps[2].id)
    });
  });

  test("flags: the pipeline's flags are substituted into its steps", () => {
    const home = tempDir();
    const r = run(home, 'run', 'steps-hello');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'hello steps\nhello steps (again)\n');
    assert.match(r.stderr, /running hello: m1\/hello\.ipynb msg='hello steps'\n/);
    assert.match(r.stderr, /running hello: m1\/hello\.ipynb msg='hello steps \(again\)'\n/);
    const again = run(home, 'run', 'steps-hello', 'msg=hello from test 2');
    assert.equal(again.status, 0, again.stderr);
    assert.equal(again.stdout, 'hello from test 2\nhello from test 2 (again)\n');
    const parents = metas(home).filter(m => m.kind === 'pipeline');
    assert.deepEqual(
      parents.map(p => p.flags.msg),
      ['hello from test 2', 'hello steps']
    );
  });

  test('steps across folders, with --label and --tag on the parent and every step', () => {
    const home = tempDir();
    const r = run(
      home,
      'run',
      'composite',
      'name=test',
      '--label',
      'a label',
      '-t',
      'blue',
      '-t',
      'green'
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'hello m2, from test\nhello m1, from test\n');
    assert.match(
      r.stderr,
      /running hello: m2\/hello\.ipynb --label 'a label' --tag blue --tag green msg='hello m2, from test'/
    );
    assert.match(
      r.stderr,
      /running m1-hello: m1\/hello\.ipynb --label 'a label' .*msg='hello m1, from test'/
    );
    const all = metas(home);
    assert.deepEqual(
      all.map(m => [m.notebook.slice(project.length), m.label, m.tags]),
      [
        [`${path.sep}m1${path.sep}hello.ipynb`, 'a label', ['blue', 'green']],
        [`${path.sep}m2${path.sep}hello.ipynb`, 'a label', ['blue', 'green']],
        [`${path.sep}nbx.json`, 'a label', ['blue', 'green']]
      ]
    );
    assert.deepEqual(all[2].flags, { name: 'test' });
  });

  test('invalid steps fail the pipeline with a message saying what is wrong', () => {
    const home = tempDir();
    const cases: [string, RegExp][] = [
      ['bad-opspec-1', /invalid step data: \[1, 2, 3\]/],
      ['bad-opspec-2', /invalid step data: null/],
      ['bad-opspec-3', /invalid step \{"run": " {3}"\}: must define run/],
      ['bad-opspec-4', /invalid step \{\}: must define run/],
      [
        'bad-op',
        /running not-defined: not-defined\.ipynb\n[^]*no such notebook: .*not-defined\.ipynb/
      ]
    ];
    for (const [name, message] of cases) {
      const r = run(home, 'run', name);
      assert.equal(r.status, 1, `${name}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.match(r.stderr, /pipeline [0-9a-f]{8} error/);
    }
    assert.ok(metas(home).every(m => m.kind === 'pipeline' && m.status === 'error'));
  });

  test('run options written in a step are ignored with a warning naming them', () => {
    const home = tempDir();
    const r = run(home, 'run', 'ignored-params');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'hello world\n');
    assert.match(
      r.stderr,
      /warning: run option --gpus used in 'm1\/hello\.ipynb --gpus 0 --stage' ignored\n.*warning: run option --stage used in 'm1\/hello\.ipynb --gpus 0 --stage' ignored\n/
    );
    const { steps } = pipelineOf(home);
    assert.equal(steps[0].status, 'completed');
    assert.equal(steps[0].gpus, null);
  });

  test('--force-flags passes STEP:FLAG and NOTEBOOK:FLAG through, the more specific winning', () => {
    const home = tempDir();
    const plain = run(home, 'run', 'm5-steps');
    assert.equal(plain.stdout, 'hi from op\n');
    for (const flag of ['msg=hi from test', 'op:msg=hi from test']) {
      const r = run(home, 'run', 'm5-steps', flag);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /unsupported flag '(op:)?msg' .*--force-flags/);
    }
    const bySpec: [string[], string][] = [
      [['op:msg=hi from test 2'], 'hi from test 2'],
      [['op.ipynb:msg=hi from test 3'], 'hi from test 3'],
      [['op:msg=hi-4', 'op.ipynb:msg=hi-5'], 'hi-5']
    ];
    for (const [flags, said] of bySpec) {
      const r = run(home, 'run', 'm5-steps', ...flags, '--force-flags');
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, `${said}\n`);
      assert.match(
        r.stderr,
        new RegExp(`running op: op\\.ipynb msg=${said.includes(' ') ? `'${said}'` : said}\\n`)
      );
    }
  });

  test('nbx pipelines lists them; a bad nbx.json is named with the path inside it', () => {
    const home = tempDir();
    const r = run(home, 'pipelines');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^steps-hello +hello → hello {2}\(msg=hello steps\)$/m);
    assert.match(r.stdout, /^bad-opspec-1 +\(invalid: \[1, 2, 3\]\)$/m);
    const json = JSON.parse(run(home, 'pipelines', '--json').stdout) as {
      pipelines: { name: string; steps: unknown[] }[];
    };
    assert.deepEqual(json.pipelines[0], {
      name: 'steps-basic',
      flags: {},
      steps: ['m1/step-1.ipynb', 'm1/step-2.ipynb']
    });
    const unknown = run(home, 'run', 'no-such-pipeline');
    assert.equal(unknown.status, 2);
    assert.match(
      unknown.stderr,
      /^nbx: no such notebook or pipeline: no-such-pipeline \(nbx pipelines lists those of .*nbx\.json\)\n$/
    );
    const bad = tempDir();
    fs.writeFileSync(path.join(bad, 'nbx.json'), '{"pipelines": {"p": {"steps": "a.ipynb"}}}');
    const refused = nbx(['pipelines'], { cwd: bad, env: cliEnv(home) });
    assert.equal(refused.status, 2);
    assert.match(
      refused.stderr,
      /nbx\.json: invalid at \/pipelines\/p\/steps: expected a value of type array/
    );
  });

  test('nbx stop PIPELINE stops its running step; no step after it runs', async () => {
    const home = tempDir();
    const started = nbxAsync(['run', 'sleep-then-step'], { cwd: project, env: cliEnv(home) });
    // A run directory may be there before its record: looked at again 50 ms later.
    const sleeping = await waitFor(
      () =>
        attempt(() => metas(home))?.find(
          m =>
            m.notebookName === 'sleepy.ipynb' &&
            fs.existsSync(path.join(home, 'runs', m.id, 'output.log')) &&
            fs
              .readFileSync(path.join(home, 'runs', m.id, 'output.log'), 'utf8')
              .includes('sleeping')
        ),
      60_000,
      'the sleeping step'
    );
    const stopped = run(home, 'stop', sleeping.parent ?? '');
    assert.equal(stopped.status, 0, stopped.stderr);
    const r = await started.done;
    assert.equal(r.status, 1, r.stderr);
    const { parent, steps } = pipelineOf(home);
    assert.equal(parent.status, 'terminated');
    assert.deepEqual(
      steps.map(s => [s.notebookName, s.status]),
      [['sleepy.ipynb', 'terminated']]
    );
    assert.equal(metas(home).length, 2);
  });

  test('a step with list values is a sweep: its batch is the step', () => {
    const home = tempDir();
    const r = run(home, 'run', 'sweep-step');
    assert.equal(r.status, 0, r.stderr);
    const { parent, steps } = pipelineOf(home);
    assert.deepEqual(
      steps.map(s => [s.kind, s.status, s.parent]),
      [
        ['batch', 'completed', parent.id],
        ['run', 'completed', parent.id]
      ]
    );
    assert.deepEqual(Object.keys(links(home, parent)), ['hello', 'step-1']);
    const trials = steps[0].trials.map(id => readMeta(home, id));
    assert.deepEqual(
      trials.map(t => [t.flags.msg, t.status]),
      [
        ['a', 'completed'],
        ['b', 'completed']
      ]
    );
  });

  test('--detach: a runner of its own runs the pipeline; its id is printed at once', async () => {
    const home = tempDir();
    const r = run(home, 'run', 'steps-basic', '--detach', '--label', 'bg');
    assert.equal(r.status, 0, r.stderr);
    const id = r.stdout.trim();
    const done = await waitFor(
      () => {
        const meta = attempt(() => readMeta(home, id));
        return meta && ['completed', 'error', 'terminated'].includes(meta.status)
          ? meta
          : undefined;
      },
      90_000,
      'the detached pipeline'
    );
    assert.equal(done.status, 'completed', done.error ?? '');
    assert.equal(done.kind, 'pipeline');
    const { steps } = pipelineOf(home);
    assert.deepEqual(
      steps.map(s => [s.notebookName, s.status, s.label]),
      [
        ['step-1.ipynb', 'completed', 'bg'],
        ['step-2.ipynb', 'completed', 'bg']
      ]
    );
    // Besides the links: the runner's output and the request it read back.
    assert.deepEqual(Object.keys(links(home, done)), ['.nbx', 'kernel.log', 'step-1', 'step-2']);
  });
});
