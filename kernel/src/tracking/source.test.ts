import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { snapshotSource, sourceDigest, type ISourceSnapshot } from './source';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nbx-source-'));

function write(file: string, content: string | Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
}

/**
 * proj/ (a git work tree; its .gitignore excludes `*.secret`)
 *   exp/ holds the notebook and every kind of entry the snapshot tells apart.
 */
function makeProject(name: string): { proj: string; exp: string; notebook: string } {
  const proj = path.join(tmp, name);
  const exp = path.join(proj, 'exp');
  fs.mkdirSync(path.join(proj, '.git'), { recursive: true });
  write(path.join(proj, '.gitignore'), '*.secret\n');
  write(path.join(proj, '.git', 'info', 'exclude'), 'local-only.txt\n');
  write(path.join(exp, 'train.ipynb'), '{"cells": [], "nbformat": 4}\n');
  write(path.join(exp, 'model.py'), 'import torch\n');
  write(path.join(exp, 'other.ipynb'), '{"cells": []}\n');
  write(
    path.join(exp, '.gitignore'),
    '# generated\n*.log\n!keep.log\ndata/\n/out.txt\ncache/**\nrun[0-9].txt\n'
  );
  write(path.join(exp, 'debug.log'), 'noise\n');
  write(path.join(exp, 'keep.log'), 'kept\n');
  write(path.join(exp, 'out.txt'), 'top-level output\n');
  write(path.join(exp, 'sub', 'out.txt'), 'anchored rule does not reach here\n');
  write(path.join(exp, 'run1.txt'), 'ignored\n');
  write(path.join(exp, 'runx.txt'), 'kept\n');
  write(path.join(exp, 'data', 'train.csv'), 'a,b\n1,2\n');
  write(path.join(exp, 'cache', 'c.json'), '{}\n');
  write(path.join(exp, 'notes.secret'), 'ignored by the project .gitignore\n');
  write(path.join(exp, 'local-only.txt'), 'ignored by .git/info/exclude\n');
  write(path.join(exp, 'big.txt'), 'x'.repeat(1024 * 1024 + 1));
  write(path.join(exp, 'weights.bin'), Buffer.from([1, 2, 0, 3]));
  write(path.join(exp, 'node_modules', 'pkg', 'index.js'), 'module.exports = 1;\n');
  write(path.join(exp, '__pycache__', 'model.cpython-311.pyc'), 'cached\n');
  write(path.join(exp, 'images', 'a.png'), Buffer.from([0x89, 0x50, 0, 0]));
  write(path.join(exp, 'utils', 'helpers.ts'), 'export const x = 1;\n');
  write(path.join(exp, 'utils', '.gitignore'), 'generated.ts\n');
  write(path.join(exp, 'utils', 'generated.ts'), 'export const y = 2;\n');
  write(path.join(exp, 'utils', 'deep', 'more.py'), 'pass\n');
  write(path.join(exp, 'utils', 'deep', 'blob.bin'), Buffer.from([0, 0, 0]));
  // Names the run directory reserves: neither copied nor linked.
  write(path.join(exp, 'meta.json'), '{}\n');
  write(path.join(exp, 'output.log'), 'old\n');
  fs.symlinkSync(path.join(exp, 'model.py'), path.join(exp, 'alias.py'));
  return { proj, exp, notebook: path.join(exp, 'train.ipynb') };
}

function newRunDir(root: string): string {
  const dir = path.join(root, 'runs', String(Math.random()).slice(2));
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

const sha = (content: string | Buffer): string =>
  createHash('sha256').update(content).digest('hex');

describe('snapshotSource', () => {
  let project: ReturnType<typeof makeProject>;
  let runsRoot = '';
  let runDir = '';
  let snap: ISourceSnapshot;

  before(() => {
    project = makeProject('proj');
    // A runs root inside the notebook's directory (NBX_HOME=exp/store): never snapshotted.
    runsRoot = path.join(project.exp, 'store');
    runDir = newRunDir(runsRoot);
    snap = snapshotSource(project.notebook, runDir, { runsRoot });
  });

  after(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('copies the text sources, recursively, honouring every .gitignore', () => {
    assert.deepEqual(snap.files, [
      '.gitignore',
      'keep.log',
      'model.py',
      'other.ipynb',
      'runx.txt',
      'sub/out.txt',
      'utils/.gitignore',
      'utils/deep/more.py',
      'utils/helpers.ts'
    ]);
    for (const file of snap.files) {
      const copy = path.join(runDir, file);
      assert.ok(fs.lstatSync(copy).isFile(), `${file} is a copy`);
      assert.equal(
        fs.readFileSync(copy, 'utf8'),
        fs.readFileSync(path.join(project.exp, file), 'utf8')
      );
    }
    assert.equal(
      snap.bytes,
      snap.files.reduce((n, f) => n + fs.statSync(path.join(project.exp, f)).size, 0)
    );
    assert.deepEqual(snap.warnings, []);
  });

  it('links everything else so relative paths keep working', () => {
    assert.deepEqual(snap.linked, [
      '__pycache__',
      'alias.py',
      'big.txt',
      'cache',
      'data',
      'debug.log',
      'images',
      'local-only.txt',
      'node_modules',
      'notes.secret',
      'out.txt',
      'run1.txt',
      'utils/deep/blob.bin',
      'utils/generated.ts',
      'weights.bin'
    ]);
    for (const rel of snap.linked) {
      const link = path.join(runDir, rel);
      assert.ok(fs.lstatSync(link).isSymbolicLink(), `${rel} is a link`);
      assert.equal(fs.readlinkSync(link), path.join(project.exp, rel));
    }
    assert.equal(fs.readFileSync(path.join(runDir, 'data', 'train.csv'), 'utf8'), 'a,b\n1,2\n');
    assert.equal(
      fs.readFileSync(path.join(runDir, 'node_modules', 'pkg', 'index.js'), 'utf8'),
      'module.exports = 1;\n'
    );
    assert.equal(fs.readFileSync(path.join(runDir, 'alias.py'), 'utf8'), 'import torch\n');
  });

  it('skips the notebook, reserved names, .git, .nbx and the runs root', () => {
    const top = fs.readdirSync(runDir);
    for (const name of ['train.ipynb', 'meta.json', 'output.log', 'store', '.git', '.nbx']) {
      assert.ok(!top.includes(name), `${name} is not in the run directory`);
    }
  });

  it('leaves a name the run directory already has', () => {
    const dir = newRunDir(path.join(tmp, 'elsewhere'));
    write(path.join(dir, 'model.py'), 'the run wins\n');
    fs.mkdirSync(path.join(dir, 'data'));
    const again = snapshotSource(project.notebook, dir, { runsRoot });
    assert.ok(!again.files.includes('model.py'));
    assert.ok(!again.linked.includes('data'));
    assert.equal(fs.readFileSync(path.join(dir, 'model.py'), 'utf8'), 'the run wins\n');
  });

  it('gives the documented digest: sha256 of sorted sha256sum lines, notebook included', () => {
    const entries = [...snap.files, 'train.ipynb'].map(rel => ({
      path: rel,
      sha256: sha(fs.readFileSync(path.join(project.exp, rel)))
    }));
    assert.equal(snap.digest, sourceDigest(entries));
    assert.match(snap.digest, /^[0-9a-f]{64}$/);
    const lines = entries
      .sort((a, b) => (a.path < b.path ? -1 : 1))
      .map(e => `${e.sha256}  ${e.path}\n`)
      .join('');
    assert.equal(snap.digest, sha(lines));
    // The same with coreutils, as the documentation says.
    const shell = execFileSync(
      'sh',
      ['-c', 'sha256sum "$@" | LC_ALL=C sort -k 2 | sha256sum', 'sh', ...snap.files, 'train.ipynb'],
      { cwd: project.exp, encoding: 'utf8' }
    );
    assert.equal(shell.split(' ')[0], snap.digest);
  });

  it('gives the same digest for the same sources, whatever the mtimes', () => {
    const later = new Date(Date.now() + 3_600_000);
    fs.utimesSync(path.join(project.exp, 'model.py'), later, later);
    const again = snapshotSource(project.notebook, newRunDir(path.join(tmp, 'r2')), { runsRoot });
    assert.equal(again.digest, snap.digest);
    assert.deepEqual(again.files, snap.files);
  });

  it('changes the digest when a source file or the notebook changes', () => {
    const other = makeProject('proj-changed');
    const base = snapshotSource(other.notebook, newRunDir(path.join(tmp, 'r3')));
    const withNotebook = snapshotSource(other.notebook, newRunDir(path.join(tmp, 'r3')), {
      notebook: '{"cells": [1]}'
    });
    assert.notEqual(withNotebook.digest, base.digest);
    fs.appendFileSync(path.join(other.exp, 'utils', 'deep', 'more.py'), '# edit\n');
    const edited = snapshotSource(other.notebook, newRunDir(path.join(tmp, 'r3')));
    assert.notEqual(edited.digest, base.digest);
    // Ignored files do not enter it.
    fs.appendFileSync(path.join(other.exp, 'debug.log'), 'more noise\n');
    const noisy = snapshotSource(other.notebook, newRunDir(path.join(tmp, 'r3')));
    assert.equal(noisy.digest, edited.digest);
  });

  it('stops copying at the caps, links the rest and says so', () => {
    const byCount = snapshotSource(project.notebook, newRunDir(path.join(tmp, 'r4')), {
      runsRoot,
      maxFiles: 3
    });
    assert.deepEqual(byCount.files, ['.gitignore', 'keep.log', 'model.py']);
    assert.ok(byCount.linked.includes('other.ipynb') && byCount.linked.includes('utils'));
    assert.deepEqual(byCount.warnings, [
      'source snapshot stopped at its cap of 3 files (3 files, 83 B copied): ' +
        'the other files are linked, not copied'
    ]);
    const byBytes = snapshotSource(project.notebook, newRunDir(path.join(tmp, 'r4')), {
      runsRoot,
      maxBytes: 80
    });
    // .gitignore (65 bytes) and keep.log (5) fit; model.py (13) would not: copying stops there.
    assert.deepEqual(byBytes.files, ['.gitignore', 'keep.log']);
    assert.ok(byBytes.linked.includes('model.py') && byBytes.linked.includes('runx.txt'));
    assert.deepEqual(byBytes.warnings, [
      'source snapshot stopped at its cap of 80 B (2 files, 70 B copied): ' +
        'the other files are linked, not copied'
    ]);
    // Entries looked at, in name order: .gitignore, __pycache__, alias.py, big.txt, cache.
    const byEntries = snapshotSource(project.notebook, newRunDir(path.join(tmp, 'r4')), {
      runsRoot,
      maxEntries: 5
    });
    assert.deepEqual(byEntries.files, ['.gitignore']);
    assert.ok(byEntries.linked.includes('utils') && byEntries.linked.includes('model.py'));
    assert.match(
      byEntries.warnings[0],
      /^source snapshot stopped at its cap of 5 directory entries/
    );
  });

  it('applies the .gitignore files above the notebook by their own paths', () => {
    const root = path.join(tmp, 'above');
    fs.mkdirSync(path.join(root, '.git'), { recursive: true });
    write(path.join(root, '.gitignore'), 'scratch/\n*.tmp\n/scratch/sub/x.py\nsub/y.py\n');
    const dir = path.join(root, 'scratch');
    write(path.join(dir, 'nb.ipynb'), '{}');
    write(path.join(dir, 'a.py'), 'a\n');
    write(path.join(dir, 'b.tmp'), 'b\n');
    write(path.join(dir, 'sub', 'x.py'), 'x\n');
    write(path.join(dir, 'sub', 'y.py'), 'y\n');
    write(path.join(dir, 'sub', 'z.py'), 'z\n');
    // scratch/ itself is ignored above; its sources are recorded all the same.
    const snap = snapshotSource(path.join(dir, 'nb.ipynb'), newRunDir(path.join(root, '.nbx')));
    // `sub/y.py` is anchored to the root: it names root/sub/y.py, not scratch/sub/y.py.
    assert.deepEqual(snap.files, ['a.py', 'sub/y.py', 'sub/z.py']);
    assert.deepEqual(snap.linked, ['b.tmp', 'sub/x.py']);
  });

  it('tells binary files by a NUL byte in their first 8 KiB only', () => {
    const dir = path.join(tmp, 'probe');
    write(path.join(dir, 'nb.ipynb'), '{}');
    write(
      path.join(dir, 'late-nul.txt'),
      Buffer.concat([Buffer.alloc(8192, 'a'), Buffer.from([0])])
    );
    write(
      path.join(dir, 'early-nul.dat'),
      Buffer.concat([Buffer.alloc(8191, 'a'), Buffer.from([0])])
    );
    write(path.join(dir, 'empty.py'), '');
    const snap = snapshotSource(path.join(dir, 'nb.ipynb'), newRunDir(path.join(dir, '.nbx')));
    assert.deepEqual(snap.files, ['empty.py', 'late-nul.txt']);
    assert.deepEqual(snap.linked, ['early-nul.dat']);
  });

  it('keeps executable bits of copied scripts', () => {
    const dir = path.join(tmp, 'exec');
    write(path.join(dir, 'nb.ipynb'), '{}');
    write(path.join(dir, 'run.sh'), '#!/bin/sh\n');
    fs.chmodSync(path.join(dir, 'run.sh'), 0o755);
    const run = newRunDir(path.join(dir, '.nbx'));
    snapshotSource(path.join(dir, 'nb.ipynb'), run, { runsRoot: path.join(dir, '.nbx') });
    assert.equal(fs.statSync(path.join(run, 'run.sh')).mode & 0o111, 0o111);
  });
});
