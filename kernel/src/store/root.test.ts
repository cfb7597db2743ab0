import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';

import { findProjectDir, resolveRunsRoot, runsDir } from './root';

/** A temp dir with no project markers above it that matter (tmpdir has none). */
function tempDir(): string {
  return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'nbx-root-')));
}

test('NBX_HOME wins, made absolute against cwd', () => {
  const dir = tempDir();
  assert.equal(
    resolveRunsRoot({ notebookPath: 'a/b.ipynb', cwd: dir, env: { NBX_HOME: '/data/nbx' } }),
    '/data/nbx'
  );
  assert.equal(resolveRunsRoot({ cwd: dir, env: { NBX_HOME: 'rel' } }), path.join(dir, 'rel'));
  // An empty NBX_HOME counts as unset.
  assert.equal(resolveRunsRoot({ cwd: dir, env: { NBX_HOME: '' } }), path.join(dir, '.nbx'));
});

test('the nearest ancestor holding .git is the project', () => {
  const dir = tempDir();
  fs.mkdirSync(path.join(dir, 'repo/.git'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'repo/exp/deep'), { recursive: true });
  const notebook = path.join(dir, 'repo/exp/deep/train.ipynb');
  assert.equal(findProjectDir(path.join(dir, 'repo/exp/deep')), path.join(dir, 'repo'));
  assert.equal(
    resolveRunsRoot({ notebookPath: notebook, cwd: '/', env: {} }),
    path.join(dir, 'repo/.nbx')
  );
  // A relative notebook path resolves against cwd.
  assert.equal(
    resolveRunsRoot({ notebookPath: 'exp/deep/train.ipynb', cwd: path.join(dir, 'repo'), env: {} }),
    path.join(dir, 'repo/.nbx')
  );
});

test('a .git file (worktree), nbx.json and .nbx/ also mark a project; the nearest wins', () => {
  const dir = tempDir();
  fs.mkdirSync(path.join(dir, 'wt/sub/inner/x'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'wt/.git'), 'gitdir: /elsewhere\n');
  assert.equal(findProjectDir(path.join(dir, 'wt/sub/inner/x')), path.join(dir, 'wt'));
  fs.writeFileSync(path.join(dir, 'wt/sub/nbx.json'), '{}');
  assert.equal(findProjectDir(path.join(dir, 'wt/sub/inner/x')), path.join(dir, 'wt/sub'));
  fs.mkdirSync(path.join(dir, 'wt/sub/inner/.nbx'));
  assert.equal(findProjectDir(path.join(dir, 'wt/sub/inner/x')), path.join(dir, 'wt/sub/inner'));
  // A directory named nbx.json or a file named .nbx is not a marker.
  fs.mkdirSync(path.join(dir, 'wt/sub/inner/x/nbx.json'));
  assert.equal(findProjectDir(path.join(dir, 'wt/sub/inner/x')), path.join(dir, 'wt/sub/inner'));
});

test("without a marker the notebook's own directory (or cwd) is the project", () => {
  const dir = tempDir();
  fs.mkdirSync(path.join(dir, 'plain'));
  assert.equal(findProjectDir(path.join(dir, 'plain')), path.join(dir, 'plain'));
  assert.equal(
    resolveRunsRoot({ notebookPath: path.join(dir, 'plain/nb.ipynb'), cwd: '/', env: {} }),
    path.join(dir, 'plain/.nbx')
  );
  assert.equal(
    resolveRunsRoot({ cwd: path.join(dir, 'plain'), env: {} }),
    path.join(dir, 'plain/.nbx')
  );
  assert.equal(runsDir('/r'), '/r/runs');
});
