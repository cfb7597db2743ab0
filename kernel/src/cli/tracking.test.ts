/**
 * Tracked runs through the real CLI: flags, labels, tags, comments, source
 * identity, scalars from output and from the in-notebook API.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parseNotebook } from '../notebook/io';
import { sourceText } from '../notebook/nbformat';
import type { RunMeta } from '../store/meta';
import { code, nbx, notebook, writeNotebook } from '../testing/fixtures';
import { cliProject, readMeta } from '../testing/cli-project';

function lastRun(home: string): { meta: RunMeta; dir: string } {
  const metas = fs.readdirSync(path.join(home, 'runs')).map(id => readMeta(home, id));
  metas.sort((a, b) => b.created.localeCompare(a.created));
  return { meta: metas[0], dir: path.join(home, 'runs', metas[0].id) };
}

const PY_FLAGS = code(
  '# learning rate\nlr = 0.01\nepochs: int = 3  # passes\nname = "base"\nlayers = [64,\n          32]\n',
  ['parameters']
);

describe('nbx flags and flag injection', () => {
  it('lists the flags of Python and TypeScript notebooks', () => {
    const { dir, env } = cliProject();
    writeNotebook(dir, 'p.ipynb', notebook('python3', [PY_FLAGS]));
    writeNotebook(
      dir,
      't.ipynb',
      notebook('tslab', [code("const lr = 1e-3; // step size\nlet tag: string = 'x';")])
    );
    const py = JSON.parse(nbx(['flags', 'p.ipynb', '--json'], { cwd: dir, env }).stdout) as {
      name: string;
      type: string;
      default: unknown;
      description: string | null;
    }[];
    assert.deepEqual(
      py.map(f => [f.name, f.type, f.default, f.description]),
      [
        ['lr', 'number', 0.01, 'learning rate'],
        ['epochs', 'number', 3, 'passes'],
        ['name', 'string', 'base', null],
        ['layers', 'list', [64, 32], null]
      ]
    );
    const ts = nbx(['flags', 't.ipynb'], { cwd: dir, env });
    assert.equal(ts.status, 0, ts.stderr);
    assert.match(ts.stdout, /^lr\s+number\s+0\.001\s+step size$/m);
    assert.match(ts.stdout, /^tag\s+string\s+x$/m);
  });

  it('injects values in place, records flags and the default label, and runs them', () => {
    const { dir, home, env } = cliProject();
    writeNotebook(
      dir,
      'p.ipynb',
      notebook('python3', [PY_FLAGS, code('print(lr, epochs, name, layers)')])
    );
    const r = nbx(['run', 'p.ipynb', 'lr=0.5', 'layers=[8,4]', '--tag', 'a', '-t', 'b'], {
      cwd: dir,
      env
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '0.5 3 base [8, 4]\n');
    const { meta, dir: runDir } = lastRun(home);
    assert.deepEqual(meta.flags, { lr: 0.5, epochs: 3, name: 'base', layers: [8, 4] });
    assert.deepEqual(meta.flagDefaults, { lr: 0.01, epochs: 3, name: 'base', layers: [64, 32] });
    assert.equal(meta.label, 'lr=0.5 layers=[8,4]');
    assert.deepEqual(meta.tags, ['a', 'b']);
    const snapshot = parseNotebook(
      fs.readFileSync(path.join(runDir, 'snapshot.ipynb'), 'utf8'),
      'snapshot.ipynb'
    );
    assert.equal(
      sourceText(snapshot.cells[0].source),
      '# learning rate\nlr = 0.5\nepochs: int = 3  # passes\nname = "base"\nlayers = [8,\n          4]\n'
    );
  });

  it('expands ${flag} in --label and injects TypeScript literals', () => {
    const { dir, home, env } = cliProject();
    writeNotebook(
      dir,
      't.ipynb',
      notebook('tslab', [
        code("const lr = 0.01; // rate\nconst opt = 'adam';", ['parameters']),
        // Compiles only if the injected 'sgd' is typed string, not the literal 'sgd'.
        code("console.log(lr, opt, opt === 'adam' ? 'is adam' : 'not adam');")
      ])
    );
    const r = nbx(['run', 't.ipynb', 'opt=sgd', '--label', 'opt ${opt} at ${lr}'], {
      cwd: dir,
      env
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '0.01 sgd not adam\n');
    const { meta, dir: runDir } = lastRun(home);
    assert.equal(meta.label, 'opt sgd at 0.01');
    const executed = parseNotebook(
      fs.readFileSync(path.join(runDir, 'executed.ipynb'), 'utf8'),
      'executed.ipynb'
    );
    assert.equal(
      sourceText(executed.cells[0].source),
      "const lr = 0.01; // rate\nconst opt = 'sgd' as string;"
    );
  });

  it('refuses unknown flags, bad values and broken flags cells in one line, writing nothing', () => {
    const { dir, home, env } = cliProject();
    writeNotebook(dir, 'p.ipynb', notebook('python3', [PY_FLAGS]));
    writeNotebook(
      dir,
      'broken.ipynb',
      notebook('python3', [code('print(1)'), code('lr = [1, 2', ['parameters'])])
    );
    const cases: [string[], string][] = [
      [
        ['run', 'p.ipynb', 'lrr=1'],
        "nbx: unknown flag 'lrr' for p.ipynb; flags: epochs, layers, lr, name (or use --force-flags); did you mean 'lr'?"
      ],
      [['run', 'p.ipynb', 'lr=abc'], "nbx: invalid value for flag 'lr': 'abc' is not a number"],
      [['run', 'p.ipynb', 'lr'], "nbx: expected NAME=VALUE, got 'lr'"],
      [
        ['run', 'p.ipynb', '--label', '${nope}'],
        "nbx: --label refers to unknown flag 'nope'; flags: epochs, layers, lr, name"
      ]
    ];
    for (const [args, message] of cases) {
      const r = nbx(args, { cwd: dir, env });
      assert.equal(r.status, 2, args.join(' '));
      assert.equal(r.stderr, `${message}\n`);
    }
    const broken = nbx(['run', 'broken.ipynb'], { cwd: dir, env });
    assert.equal(broken.status, 2);
    assert.match(broken.stderr, /^nbx: flags cell \(cell 2\) has a syntax error/);
    assert.equal(broken.stderr.trim().split('\n').length, 1);
    assert.deepEqual(
      fs.existsSync(path.join(home, 'runs')) ? fs.readdirSync(path.join(home, 'runs')) : [],
      []
    );
    const forced = nbx(['run', 'p.ipynb', 'extra=7', '--force-flags', '-q'], { cwd: dir, env });
    assert.equal(forced.status, 0, forced.stderr);
    assert.equal(lastRun(home).meta.flags.extra, 7);
  });
});

describe('run identity', () => {
  it('copies the sources, links the data, and records digest, git and runtime', () => {
    const { dir, home, env } = cliProject();
    execFileSync('git', ['init', '-q'], { cwd: dir });
    fs.writeFileSync(path.join(dir, '.gitignore'), 'home/\nignored.py\n');
    fs.writeFileSync(path.join(dir, 'helper.py'), 'VALUE = 41\n');
    fs.writeFileSync(path.join(dir, 'ignored.py'), 'x = 1\n');
    fs.writeFileSync(path.join(dir, 'big.bin'), Buffer.alloc(2 * 1024 * 1024, 1));
    writeNotebook(
      dir,
      'p.ipynb',
      notebook('python3', [
        code('import helper, os\nprint(helper.VALUE + 1, os.path.getsize("big.bin"))')
      ])
    );
    const git = (...args: string[]): void => {
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: dir });
    };
    git('add', '.');
    git('commit', '-qm', 'init');
    const r = nbx(['run', 'p.ipynb'], { cwd: dir, env });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `42 ${2 * 1024 * 1024}\n`);
    const { meta, dir: runDir } = lastRun(home);
    assert.ok(!fs.lstatSync(path.join(runDir, 'helper.py')).isSymbolicLink(), 'sources are copied');
    assert.ok(fs.lstatSync(path.join(runDir, 'big.bin')).isSymbolicLink(), 'big files are linked');
    assert.match(meta.sourceDigest ?? '', /^[0-9a-f]{64}$/);
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: dir, encoding: 'utf8' }).trim();
    assert.deepEqual(meta.git, { commit: head, branch: meta.git?.branch ?? null, dirty: false });
    assert.equal(meta.runtime?.language, 'python');
    assert.match(meta.runtime?.languageVersion ?? '', /^3\.\d+/);
    assert.equal(meta.runtime?.node, process.versions.node);

    fs.writeFileSync(path.join(dir, 'helper.py'), 'VALUE = 1\n');
    nbx(['run', 'p.ipynb', '-q'], { cwd: dir, env });
    const second = lastRun(home).meta;
    assert.notEqual(second.sourceDigest, meta.sourceDigest, 'a changed source changes the digest');
    assert.equal(second.git?.dirty, true);
  });
});

describe('scalars', () => {
  it('scans the output of a Python run and shows the summary', () => {
    const { dir, home, env } = cliProject();
    writeNotebook(
      dir,
      'p.ipynb',
      notebook('python3', [
        code('lr = 0.1', ['parameters']),
        code(
          'for step in range(1, 4):\n    print(f"step={step} loss={1/step:.3f} acc={step/4}")\n' +
            'print("lr: 5")'
        )
      ])
    );
    assert.equal(nbx(['run', 'p.ipynb', '-q'], { cwd: dir, env }).status, 0);
    const { meta } = lastRun(home);
    assert.deepEqual(meta.scalars.loss, {
      first: 1,
      last: 0.333,
      min: 0.333,
      max: 1,
      count: 3,
      lastStep: 3
    });
    assert.equal(meta.scalars.acc.last, 0.75);
    assert.equal(meta.scalars.lr, undefined, 'flag names are not scalars');
    const shown = nbx(['scalars', '1'], { cwd: dir, env });
    assert.match(shown.stdout, /^loss\s+0\.333\s+0\.333\s+1\s+3\s+3$/m);
  });

  it('records nbx.log points and nbx.attr values from a TypeScript run', () => {
    const { dir, home, env } = cliProject();
    writeNotebook(
      dir,
      't.ipynb',
      notebook('tslab', [
        code(
          "import * as nbx from 'nbx';\n" +
            'for (let i = 0; i < 1000; i++) { nbx.log({ loss: 1 / (i + 1) }, i); }\n' +
            "nbx.attr('best', { epoch: 3 });\nconsole.log(nbx.runId());"
        )
      ])
    );
    const r = nbx(['run', 't.ipynb'], { cwd: dir, env });
    assert.equal(r.status, 0, r.stderr);
    const { meta } = lastRun(home);
    assert.equal(r.stdout.trim(), meta.id);
    assert.equal(meta.scalars.loss.count, 1000);
    assert.equal(meta.scalars.loss.lastStep, 999);
    assert.equal(meta.scalars.loss.min, 1 / 1000);
    assert.deepEqual(meta.attrs.best, { epoch: 3 });
    assert.ok(meta.scalars['sys/cpu'], 'system metrics are sampled');
    const points = JSON.parse(
      nbx(['scalars', meta.id, '--json', '--points'], { cwd: dir, env }).stdout
    ) as { points: Record<string, { step: number[] }> };
    assert.equal(points.points.loss.step.length, 1000);
  });
});

describe('nbx tag, label, comment', () => {
  it('annotates a run after the fact', () => {
    const { dir, home, env } = cliProject();
    writeNotebook(dir, 'p.ipynb', notebook('python3', [code('pass')]));
    assert.equal(nbx(['run', 'p.ipynb', '-q', '-t', 'old'], { cwd: dir, env }).status, 0);
    const tag = nbx(['tag', '1', '+best', '-old', 'x'], { cwd: dir, env });
    assert.equal(tag.status, 0, tag.stderr);
    assert.match(tag.stdout, /tags: best, x$/m);
    assert.equal(nbx(['label', '1', 'the', 'baseline'], { cwd: dir, env }).status, 0);
    assert.equal(nbx(['comment', '1', 'looks', 'good'], { cwd: dir, env }).status, 0);
    const { meta } = lastRun(home);
    assert.deepEqual(meta.tags, ['best', 'x']);
    assert.equal(meta.label, 'the baseline');
    assert.equal(meta.comments.length, 1);
    assert.equal(meta.comments[0].text, 'looks good');
    assert.match(meta.comments[0].time, /^\d{4}-/);
    const bad = nbx(['tag', '1', '+a b'], { cwd: dir, env });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /^nbx: invalid tag '\+a b'/);
  });
});
