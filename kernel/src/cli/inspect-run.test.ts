/**
 * What the CLI shows of a run, through the real CLI on real kernels: `nbx show` with
 * tags, comments, scalars, files, attempts and traceback; `nbx runs` with tags; JSON from
 * `nbx run`, `nbx show` and `nbx log` (JSON lines, following too); restarts as attempts
 * of their own; removing a batch with its trials; the sweep examples of the help.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import type { RunMeta } from '../store/meta';
import { RunDir } from '../store/run-dir';
import type { IRunFile } from '../store/run-files';
import { code, nbx, nbxAsync, notebook, waitFor, writeNotebook } from '../testing/fixtures';
import { assertOneLine, cliProject, readMeta, runIds } from '../testing/cli-project';
import { PACKAGE_ROOT } from '../base/paths';

const WRITER = notebook('python3', [
  code('base = 0.5', ['parameters']),
  code(
    'import os\n' +
      'os.makedirs("plots", exist_ok=True)\n' +
      'open("model.txt", "w").write("w" * 2048)\n' +
      'open("plots/loss.csv", "w").write("1,2\\n")\n' +
      'print("tick=0 loss: 1")\n' +
      'print(f"loss: {base} acc: 0.9")'
  )
]);

type Shown = RunMeta & { dir: string; files: IRunFile[] };

describe('nbx show', () => {
  it('shows tags, comments, scalars, the files written and a traceback; --json has them', () => {
    const { dir, home, env } = cliProject();
    writeNotebook(dir, 'train.ipynb', WRITER);
    fs.writeFileSync(path.join(dir, 'util.py'), 'helper = 1\n');
    const ran = nbx(['run', 'train.ipynb', '--json'], { cwd: dir, env });
    assert.equal(ran.status, 0, ran.stderr);
    const record = JSON.parse(ran.stdout) as RunMeta & { dir: string };
    const runPath = path.join(home, 'runs', record.id);
    assert.equal(record.dir, runPath, 'nbx run --json gives the run directory');
    // Several `key: value` pairs on a line are all recorded.
    assert.deepEqual(
      Object.fromEntries(
        ['tick', 'loss', 'acc'].map(k => [k, [record.scalars[k]?.last, record.scalars[k]?.count]])
      ),
      { tick: [0, 1], loss: [0.5, 2], acc: [0.9, 1] }
    );
    for (const args of [
      ['tag', '1', '+best'],
      ['comment', '1', 'lr too high']
    ]) {
      assert.equal(nbx(args, { cwd: dir, env }).status, 0);
    }

    const show = nbx(['show', '1'], { cwd: dir, env });
    assert.equal(show.status, 0, show.stderr);
    const out = show.stdout;
    assert.match(out, /^tags:\s+best$/m);
    assert.match(out, new RegExp(`^directory:\\s+${runPath}$`, 'm'));
    assert.match(out, /^scalars:\n {2}key\s+last\s+min\s+max\s+count$/m);
    assert.match(out, /^ {2}loss\s+0\.5\s+0\.5\s+1\s+2$/m);
    assert.match(out, /^ {2}acc\s+0\.9\s+0\.9\s+0\.9\s+1$/m);
    assert.match(out, /^ {2}tick\s+0\s+0\s+0\s+1$/m);
    assert.match(out, /^comments:\n {2}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {2}\S*: lr too high$/m);
    assert.match(out, /^files:\n {2}model\.txt\s+2\.0 KB\n {2}plots\/loss\.csv\s+4 B\n/m);
    assert.match(
      out,
      /^ {2}\(also: 1 source file copied at launch, \d+ files of nbx's own records\)$/m
    );
    assert.doesNotMatch(out, /^traceback:/m);

    const json = JSON.parse(nbx(['show', '1', '--json'], { cwd: dir, env }).stdout) as Shown;
    assert.equal(json.dir, runPath);
    assert.deepEqual(json.tags, ['best']);
    assert.equal(json.comments[0].text, 'lr too high');
    assert.equal(json.scalars.loss.min, 0.5);
    const kinds = Object.fromEntries(json.files.map(f => [f.path, [f.kind, f.size]]));
    assert.deepEqual(kinds['model.txt'], ['output', 2048]);
    assert.deepEqual(kinds['plots/loss.csv'], ['output', 4]);
    assert.deepEqual(kinds['util.py'], ['source', 11]);
    assert.equal(kinds['meta.json']?.[0], 'nbx');
    assert.equal(kinds['output.log']?.[0], 'nbx');
    assert.equal(kinds['scalars/output.nbxs']?.[0], 'nbx');
    assert.ok(!json.files.some(f => f.path.startsWith('.nbx/')), 'private state left out');

    // A failed cell's traceback, as the runner records it, is shown as it is.
    const traceback =
      'Traceback (most recent call last):\n  File "<cell>", line 1\nZeroDivisionError: division by zero\n';
    new RunDir(home, record.id).updateMeta({ traceback });
    assert.match(
      nbx(['show', '1'], { cwd: dir, env }).stdout,
      /\n\ntraceback:\n {2}Traceback \(most recent call last\):\n {4}File "<cell>", line 1\n {2}ZeroDivisionError: division by zero\n$/
    );
    const failed = JSON.parse(nbx(['show', '1', '--json'], { cwd: dir, env }).stdout) as Shown;
    assert.equal(failed.traceback, traceback);
  });

  it('lists tags in nbx runs, and the run directory in nbx runs --json', () => {
    const { dir, home, env } = cliProject();
    const tagged = new RunDir(home, 'a'.repeat(32));
    for (const [id, tags] of [
      ['a'.repeat(32), ['base', 'v2']],
      ['b'.repeat(32), []]
    ] as const) {
      fs.mkdirSync(path.join(home, 'runs', id), { recursive: true });
      fs.writeFileSync(
        path.join(home, 'runs', id, 'meta.json'),
        JSON.stringify({
          id,
          status: 'completed',
          notebook: '/p/train.ipynb',
          tags,
          created: id === tagged.id ? '2025-01-01T00:00:00Z' : '2025-01-02T00:00:00Z'
        })
      );
    }
    const r = nbx(['runs'], { cwd: dir, env });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0], /^\[1\] {2}bbbbbbbb .* completed {2}-$/);
    assert.match(lines[1], /^\[2\] {2}aaaaaaaa .* completed {2}base,v2$/);
    const json = JSON.parse(nbx(['runs', '--json'], { cwd: dir, env }).stdout) as Shown[];
    assert.equal(json[1].dir, tagged.path);
  });
});

describe('nbx log --json', () => {
  it('prints one JSON object per line of output, and follows a running run', async () => {
    const { dir, home, env } = cliProject();
    writeNotebook(
      dir,
      'slow.ipynb',
      notebook('python3', [
        code('print("first")\nprint("é \\"quoted\\"\\tline")'),
        // Bounded, so a test that fails before writing "go" leaves no kernel behind for long.
        code(
          'import os, time\nfor _ in range(3000):\n    if os.path.exists("go"):\n        break\n    time.sleep(0.05)'
        ),
        code('print("last", end="")')
      ])
    );
    const started = nbx(['run', 'slow.ipynb', '--detach'], { cwd: dir, env });
    assert.equal(started.status, 0, started.stderr);
    const id = started.stdout.trim();
    const runPath = path.join(home, 'runs', id);
    await waitFor(
      () => (readMeta(home, id).progress.current === 1 ? true : undefined),
      60_000,
      'the run to wait in its second cell'
    );
    const follow = nbxAsync(['log', id, '--follow', '--json'], { cwd: dir, env });
    const now = nbx(['log', id, '--json'], { cwd: dir, env });
    assert.equal(now.status, 0, now.stderr);
    assert.deepEqual(
      now.stdout
        .trimEnd()
        .split('\n')
        .map(line => JSON.parse(line) as unknown),
      [
        { line: 1, text: 'first' },
        { line: 2, text: 'é "quoted"\tline' }
      ]
    );
    fs.writeFileSync(path.join(runPath, 'go'), '');
    const followed = await follow.done;
    assert.equal(followed.status, 0, followed.stderr);
    assert.deepEqual(
      followed.stdout
        .trimEnd()
        .split('\n')
        .map(line => JSON.parse(line) as unknown),
      [
        { line: 1, text: 'first' },
        { line: 2, text: 'é "quoted"\tline' },
        { line: 3, text: 'last' }
      ],
      'the unfinished last line comes once the run has ended'
    );
    assert.equal(readMeta(home, id).status, 'completed');
  });
});

describe('nbx restart attempts', () => {
  it('gives a restart a log and scalars of its own, keeping the earlier attempt', () => {
    const { dir, home, env } = cliProject();
    writeNotebook(dir, 'train.ipynb', WRITER);
    const first = nbx(['run', 'train.ipynb', 'base=0.25', '-q'], { cwd: dir, env });
    assert.equal(first.status, 0, first.stderr);
    const [id] = runIds(home);
    const runPath = path.join(home, 'runs', id);
    const again = nbx(['restart', id, 'base=3', '-q'], { cwd: dir, env });
    assert.equal(again.status, 0, again.stderr);

    const meta = readMeta(home, id);
    assert.equal(meta.scalars.loss.min, 1, 'the scalars of this attempt only');
    assert.equal(meta.scalars.loss.count, 2);
    assert.equal(
      fs.readFileSync(path.join(runPath, 'output.log'), 'utf8'),
      'tick=0 loss: 1\nloss: 3.0 acc: 0.9\n'
    );
    const kept = path.join(runPath, 'attempts', '1');
    assert.equal(
      fs.readFileSync(path.join(kept, 'output.log'), 'utf8'),
      'tick=0 loss: 1\nloss: 0.25 acc: 0.9\n'
    );
    for (const name of ['executed.ipynb', 'snapshot.ipynb', 'scalars/output.nbxs']) {
      assert.ok(fs.existsSync(path.join(kept, name)), name);
    }
    assert.match(fs.readFileSync(path.join(kept, 'snapshot.ipynb'), 'utf8'), /base = 0\.25/);
    assert.equal(meta.attempts?.length, 1);
    const [attempt] = meta.attempts ?? [];
    assert.equal(attempt.attempt, 1);
    assert.equal(attempt.status, 'completed');
    assert.equal(attempt.flags.base, 0.25);
    assert.equal(attempt.scalars.loss.min, 0.25);

    const where = nbx(['runs', '--where', '#loss:min < 1'], { cwd: dir, env });
    assert.equal(where.stderr, 'no runs match\n', 'the listing sees the current attempt only');
    const compare = JSON.parse(
      nbx(['compare', '--json', '--columns', '#loss:min'], { cwd: dir, env }).stdout
    ) as Record<string, unknown>[];
    assert.equal(compare[0]['#loss:min'], 1);
    const scalars = JSON.parse(nbx(['scalars', id, '--json'], { cwd: dir, env }).stdout) as {
      summary: Record<string, { min: number }>;
    };
    assert.equal(scalars.summary.loss.min, 1);
    assert.match(
      nbx(['show', id], { cwd: dir, env }).stdout,
      /^earlier attempts:\n {2}1 {2}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {2}\d+\.\ds {2}completed {2}attempts\/1\/$/m
    );
  });

  it("keeps the failed attempts of a batch's trials when the batch restarts", () => {
    const { dir, home, env } = cliProject();
    const ok = path.join(dir, 'ok');
    writeNotebook(
      dir,
      'flaky.ipynb',
      notebook('python3', [
        code(`x = 1\nok = ${JSON.stringify(ok)}`, ['parameters']),
        code(
          'import os\nprint(f"seen: {x}")\nif x == 2 and not os.path.exists(ok):\n    raise ValueError("not yet")'
        )
      ])
    );
    const sweep = nbx(['run', 'flaky.ipynb', 'x=[1,2]', '-q', '--json'], { cwd: dir, env });
    assert.equal(sweep.status, 1, sweep.stderr);
    const batch = JSON.parse(sweep.stdout) as RunMeta;
    fs.writeFileSync(ok, '');
    const again = nbx(['restart', batch.id, '-q'], { cwd: dir, env });
    assert.equal(again.status, 0, again.stderr);
    const [first, second] = batch.trials.map(id => readMeta(home, id));
    assert.deepEqual(first.attempts, [], 'a completed trial is not run again');
    assert.equal(second.status, 'completed');
    assert.deepEqual(
      (second.attempts ?? []).map(a => [a.attempt, a.status, a.error]),
      [[1, 'error', second.attempts?.[0].error]]
    );
    assert.match(second.attempts?.[0].error ?? '', /ValueError: not yet/);
    const kept = path.join(home, 'runs', second.id, 'attempts', '1', 'output.log');
    assert.match(fs.readFileSync(kept, 'utf8'), /^seen: 2\n/, "the failed attempt's log, kept");
    assert.equal(second.scalars.seen.count, 1, 'the scalars of the new attempt only');
  });
});

describe('nbx rm of a batch', () => {
  it('removes its trials too, naming them first; --keep-trials keeps them', () => {
    const { dir, home, env } = cliProject();
    writeNotebook(dir, 'train.ipynb', WRITER);
    const stage = (): RunMeta => {
      const r = nbx(['run', 'train.ipynb', 'base=[1,2]', '--stage', '--json'], { cwd: dir, env });
      assert.equal(r.status, 0, r.stderr);
      return JSON.parse(r.stdout) as RunMeta;
    };
    const batch = stage();
    const short = (id: string): string => id.slice(0, 8);
    const [t1, t2] = batch.trials.map(short);

    // Trials are numbered in trial order under their batch.
    const list = nbx(['runs'], { cwd: dir, env }).stdout.trimEnd().split('\n');
    assert.match(list[0], new RegExp(`^\\[1\\]\\s+${short(batch.id)}\\s`));
    assert.match(list[1], new RegExp(`^  \u251c \\[2\\]\\s+${t1}\\s+trial 1/2 `));
    assert.match(list[2], new RegExp(`^  \u2514 \\[3\\]\\s+${t2}\\s+trial 2/2 `));

    assertOneLine(
      nbx(['rm', short(batch.id)], { cwd: dir, env }),
      2,
      new RegExp(
        `^nbx: refusing to delete run ${short(batch.id)} and 2 trials ${t1}, ${t2} ` +
          'without confirmation: pass -y to delete$'
      )
    );
    assert.equal(runIds(home).length, 3);
    const rm = nbx(['rm', short(batch.id), '-y'], { cwd: dir, env });
    assert.equal(rm.status, 0, rm.stderr);
    assert.equal(rm.stdout, `deleted ${t1}\ndeleted ${t2}\ndeleted ${short(batch.id)}\n`);
    assert.deepEqual(runIds(home), []);

    const kept = stage();
    const keep = nbx(['rm', kept.id, '-y', '--keep-trials'], { cwd: dir, env });
    assert.equal(keep.status, 0, keep.stderr);
    assert.deepEqual(runIds(home).sort(), [...kept.trials].sort());
  });
});

describe('the sweep examples of the help', () => {
  it('make the trials they say, with list values quoted', () => {
    const { dir, env } = cliProject();
    const train = path.join(PACKAGE_ROOT, 'examples', 'train.ipynb');
    const help = ['--help', 'run --help'].map(
      args => nbx(args.split(' '), { cwd: dir, env }).stdout
    );
    let checked = 0;
    for (const text of help) {
      const lines = text.split('\n');
      lines.forEach((line, i) => {
        const m = /^\s+nbx run train\.ipynb (.*?)\s*$/.exec(line);
        if (!m || !m[1].includes('[')) {
          return;
        }
        assert.doesNotMatch(m[1].replace(/'[^']*'/g, ''), /\[/, `list values quoted: ${line}`);
        const said = /(\d+) trials/.exec(`${line} ${lines[i + 1] ?? ''}`);
        const args = (m[1].match(/'[^']*'|\S+/g) ?? [])
          .map(arg => arg.replace(/^'(.*)'$/, '$1'))
          .filter(arg => arg !== '--preview');
        const r = nbx(['run', train, ...args, '--preview', '--json'], { cwd: dir, env });
        assert.equal(r.status, 0, `${line}\n${r.stderr}`);
        const preview = JSON.parse(r.stdout) as { trials: unknown[] };
        assert.equal(preview.trials.length, said ? Number(said[1]) : 1, line);
        checked++;
      });
    }
    assert.ok(checked >= 4, `the examples were found (${checked})`);
  });
});
