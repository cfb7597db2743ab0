import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { gitInfo, statusPaths } from './git';

const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'nbx-git-')));

/** An environment that keeps git away from the user's config and from repositories above tmp. */
const env: NodeJS.ProcessEnv = {
  ...process.env,
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CEILING_DIRECTORIES: tmp,
  GIT_AUTHOR_NAME: 'nbx',
  GIT_AUTHOR_EMAIL: 'nbx@example.com',
  GIT_COMMITTER_NAME: 'nbx',
  GIT_COMMITTER_EMAIL: 'nbx@example.com'
};

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env, encoding: 'utf8' }).trim();
}

describe('gitInfo', () => {
  const repo = path.join(tmp, 'repo');
  const exp = path.join(repo, 'exp');
  let first = '';

  before(() => {
    fs.mkdirSync(exp, { recursive: true });
    git(repo, 'init', '-q', '-b', 'main');
    fs.writeFileSync(path.join(exp, 'train.ipynb'), '{}\n');
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', 'first');
    first = git(repo, 'rev-parse', 'HEAD');
  });

  after(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('gives commit, branch and a clean tree, from a subdirectory', async t => {
    const started = process.hrtime.bigint();
    const info = await gitInfo(exp, { env });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    assert.deepEqual(info, { commit: first, branch: 'main', dirty: false });
    assert.match(first, /^[0-9a-f]{40}$/);
    t.diagnostic(`gitInfo took ${ms.toFixed(1)} ms`);
  });

  it('is dirty after an edit, and after an untracked file', async () => {
    fs.writeFileSync(path.join(exp, 'train.ipynb'), '{"edited": true}\n');
    assert.deepEqual(await gitInfo(exp, { env }), { commit: first, branch: 'main', dirty: true });
    git(repo, 'checkout', '-q', '--', '.');
    assert.equal((await gitInfo(exp, { env }))?.dirty, false);
    fs.writeFileSync(path.join(exp, 'new.py'), 'pass\n');
    assert.equal((await gitInfo(exp, { env }))?.dirty, true);
    fs.rmSync(path.join(exp, 'new.py'));
  });

  it('does not count the excluded runs root as a change', async () => {
    const root = path.join(exp, '.nbx');
    fs.mkdirSync(path.join(root, 'runs', 'abc'), { recursive: true });
    fs.writeFileSync(path.join(root, 'runs', 'abc', 'meta.json'), '{}\n');
    assert.equal((await gitInfo(exp, { env }))?.dirty, true);
    assert.equal((await gitInfo(exp, { env, exclude: [root] }))?.dirty, false);
    assert.equal((await gitInfo(exp, { env, exclude: ['.nbx'] }))?.dirty, false);
    fs.writeFileSync(path.join(exp, 'other.txt'), 'x\n');
    assert.equal((await gitInfo(exp, { env, exclude: [root] }))?.dirty, true);
    fs.rmSync(path.join(exp, 'other.txt'));
    fs.rmSync(root, { recursive: true });
  });

  it('gives a null branch on a detached HEAD', async () => {
    fs.writeFileSync(path.join(exp, 'model.py'), 'pass\n');
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', 'second');
    git(repo, 'checkout', '-q', '--detach', first);
    assert.deepEqual(await gitInfo(exp, { env }), { commit: first, branch: null, dirty: false });
    git(repo, 'checkout', '-q', 'main');
  });

  it('is null outside a repository, for a missing directory and without git', async () => {
    const plain = path.join(tmp, 'plain');
    fs.mkdirSync(plain);
    assert.equal(await gitInfo(plain, { env }), null);
    assert.equal(await gitInfo(path.join(tmp, 'missing'), { env }), null);
    assert.equal(await gitInfo(exp, { env: { ...env, PATH: plain } }), null);
  });

  it('is null in a repository without commits', async () => {
    const empty = path.join(tmp, 'empty');
    fs.mkdirSync(empty);
    git(empty, 'init', '-q');
    assert.equal(await gitInfo(empty, { env }), null);
  });
});

describe('statusPaths', () => {
  it('reads porcelain -z entries, renames included', () => {
    const out = ' M a.py\0?? .nbx/\0R  new name.py\0old name.py\0A  b\0';
    assert.deepEqual(statusPaths(out), ['a.py', '.nbx/', 'new name.py', 'old name.py', 'b']);
    assert.deepEqual(statusPaths(''), []);
  });
});
