/**
 * `nbx runs` filters, sorting and output as a person uses them: the real CLI process on a
 * runs root made with the store's own functions.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import type { IScalarSummary, RunMeta } from '../../store/meta';
import { createRun } from '../../store/run-dir';
import { cliEnv, nbx, tempDir } from '../../testing/fixtures';

function summary(last: number): IScalarSummary {
  return { first: 0, last, min: 0, max: last, count: 2, lastStep: 1 };
}

/** Four runs, oldest first; the list shows them as [4] .. [1]. */
function store(): { dir: string; home: string; env: NodeJS.ProcessEnv; ids: string[] } {
  const dir = tempDir();
  const home = path.join(dir, 'home');
  const runs: Partial<RunMeta>[] = [
    { flags: { lr: 0.01 }, scalars: { acc: summary(0.91) }, tags: ['baseline'] },
    { flags: { lr: 0.1 }, scalars: { acc: summary(0.5) }, status: 'error', tags: ['sweep'] },
    {
      flags: { lr: 0.003 },
      scalars: { acc: summary(0.95) },
      tags: ['sweep', 'best'],
      label: 'Best so far'
    },
    { flags: { lr: 0.001 }, scalars: {}, notebookName: 'eval.ipynb', notebook: '/p/eval.ipynb' }
  ];
  const ids = runs.map((patch, i) => {
    const run = createRun(home, { notebook: '/p/train.ipynb' });
    run.updateMeta({
      status: 'completed',
      ...patch,
      created: new Date(Date.UTC(2025, 0, 1 + i)).toISOString(),
      started: new Date(Date.UTC(2025, 0, 1 + i)).toISOString(),
      stopped: new Date(Date.UTC(2025, 0, 1 + i) + 12_000).toISOString()
    });
    return run.id;
  });
  return { dir, home, env: cliEnv(home), ids };
}

/** The `[N] id8` pairs of a listing. */
function listed(stdout: string): string[] {
  return stdout
    .trim()
    .split('\n')
    .filter(line => line !== '')
    .map(line => line.split(/\s+/).slice(0, 2).join(' '));
}

describe('nbx runs', () => {
  it('lists from the index, latest first, with tags and label columns when a run has them', () => {
    const { dir, home, env, ids } = store();
    const r = nbx(['runs'], { cwd: dir, env });
    assert.equal(r.status, 0, r.stderr);
    const short = ids.map(id => id.slice(0, 8));
    assert.deepEqual(listed(r.stdout), [
      `[1] ${short[3]}`,
      `[2] ${short[2]}`,
      `[3] ${short[1]}`,
      `[4] ${short[0]}`
    ]);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(
      lines[0],
      new RegExp(
        `^\\[1\\]  ${short[3]}  eval\\.ipynb   \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d  12s  completed  -$`
      )
    );
    assert.ok(lines[1].endsWith('  completed  sweep,best  Best so far'), lines[1]);
    assert.ok(lines[2].endsWith('  12s  error      sweep'), lines[2]);
    assert.ok(fs.existsSync(path.join(home, 'cache', 'runs-index.arrow')), 'the index is cached');
    assert.equal(
      nbx(['runs'], { cwd: dir, env }).stdout,
      r.stdout,
      'the cached listing is the same'
    );
  });

  it('filters by status, notebook, label and tags, keeping the list positions', () => {
    const { dir, env, ids } = store();
    const short = ids.map(id => id.slice(0, 8));
    const runs = (...args: string[]): string[] => {
      const r = nbx(['runs', ...args], { cwd: dir, env });
      assert.equal(r.status, 0, r.stderr);
      return listed(r.stdout);
    };
    assert.deepEqual(runs('--status', 'error'), [`[3] ${short[1]}`]);
    assert.deepEqual(runs('--status', 'error,completed', '--limit', '2'), [
      `[1] ${short[3]}`,
      `[2] ${short[2]}`
    ]);
    assert.deepEqual(runs('--status', 'error', '--status', 'completed', '--notebook', 'eval'), [
      `[1] ${short[3]}`
    ]);
    assert.deepEqual(runs('--notebook', 'train.ipynb', '--limit', '1'), [`[2] ${short[2]}`]);
    assert.deepEqual(runs('--label', 'best'), [`[2] ${short[2]}`]);
    assert.deepEqual(runs('--tag', 'sweep'), [`[2] ${short[2]}`, `[3] ${short[1]}`]);
    assert.deepEqual(runs('--tag', 'sweep', '--tag', 'best'), [`[2] ${short[2]}`]);
    const none = nbx(['runs', '--tag', 'nope'], { cwd: dir, env });
    assert.equal(none.status, 0);
    assert.equal(none.stdout, '');
    assert.equal(none.stderr, 'no runs match\n');
  });

  it('takes --where and --sort, and shows the scalars they use', () => {
    const { dir, env, ids } = store();
    const short = ids.map(id => id.slice(0, 8));
    const r = nbx(['runs', '--where', 'lr > 0.001 and #acc >= 0.5', '--sort', '-#acc'], {
      cwd: dir,
      env
    });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(listed(r.stdout), [`[2] ${short[2]}`, `[4] ${short[0]}`, `[3] ${short[1]}`]);
    assert.ok(r.stdout.split('\n')[0].endsWith('  completed  acc=0.95  sweep,best  Best so far'));
    assert.ok(r.stdout.split('\n')[2].endsWith('  error      acc=0.5   sweep'));
    const sorted = nbx(['runs', '--sort', 'lr'], { cwd: dir, env });
    assert.deepEqual(listed(sorted.stdout), [
      `[1] ${short[3]}`,
      `[2] ${short[2]}`,
      `[4] ${short[0]}`,
      `[3] ${short[1]}`
    ]);
  });

  it('prints the run records with --json', () => {
    const { dir, env, ids } = store();
    const r = nbx(['runs', '--json', '--status', 'error'], { cwd: dir, env });
    assert.equal(r.status, 0, r.stderr);
    const runs = JSON.parse(r.stdout) as (RunMeta & { index: number })[];
    assert.equal(runs.length, 1);
    assert.equal(runs[0].id, ids[1]);
    assert.equal(runs[0].index, 3);
    assert.deepEqual(runs[0].flags, { lr: 0.1 });
    assert.deepEqual(runs[0].tags, ['sweep']);
  });

  it('reports bad filters as one line, exit 2', () => {
    const { dir, env } = store();
    const cases: [string[], string][] = [
      [
        ['--where', 'lr >> 1'],
        "nbx: invalid --where 'lr >> 1': unexpected '>' at column 5 (expected a value)"
      ],
      [['--where', 'lrr > 1'], "nbx: invalid --where 'lrr > 1': unknown column 'lrr' at column 1"],
      [['--sort', '-#nope'], "nbx: invalid --sort '-#nope': unknown column '#nope' at column 2"],
      [
        ['--status', 'done'],
        "nbx: unknown status 'done' — one of staged, queued, running, completed, error, terminated"
      ],
      [['--limit', 'ten'], "nbx: invalid --limit 'ten' — give a whole number"]
    ];
    for (const [args, message] of cases) {
      const r = nbx(['runs', ...args], { cwd: dir, env });
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr, `${message}\n`);
      assert.equal(r.stdout, '');
    }
  });

  it('skips a corrupt meta.json with a warning, and show N follows the list', () => {
    const { dir, home, env, ids } = store();
    fs.writeFileSync(path.join(home, 'runs', ids[2], 'meta.json'), '{ not json');
    const r = nbx(['runs'], { cwd: dir, env });
    assert.equal(r.status, 0);
    assert.equal(
      r.stderr,
      `nbx: warning: skipping run ${path.join(home, 'runs', ids[2])}: meta.json is not valid JSON\n`
    );
    assert.equal(listed(r.stdout).length, 3);
    assert.match(r.stdout.split('\n')[1], new RegExp(`^\\[2\\]  ${ids[1].slice(0, 8)}`));
    const shown = nbx(['show', '2', '--json'], { cwd: dir, env });
    assert.equal(shown.status, 0, shown.stderr);
    assert.equal((JSON.parse(shown.stdout) as RunMeta).id, ids[1]);
  });

  it('says so when there are no runs yet', () => {
    const dir = tempDir();
    const home = path.join(dir, 'home');
    const r = nbx(['runs'], { cwd: dir, env: cliEnv(home) });
    assert.equal(r.status, 0);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, `no runs yet in ${home} (start one with: nbx run NOTEBOOK)\n`);
    const bad = nbx(['runs', '--where', 'a >'], { cwd: dir, env: cliEnv(home) });
    assert.equal(bad.status, 2, 'a syntax error is reported even without runs');
  });
});
