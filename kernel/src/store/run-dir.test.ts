import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';

import { UserError } from '../base/errors';
import { createRun, isReservedRunFile, newRunId, RESERVED_RUN_FILES, RunDir } from './run-dir';

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'nbx-rundir-'));
}

test('newRunId is 32 lowercase hex characters, unique', () => {
  const ids = new Set(Array.from({ length: 100 }, newRunId));
  assert.equal(ids.size, 100);
  for (const id of ids) {
    assert.match(id, /^[0-9a-f]{32}$/);
  }
});

test('createRun makes <root>/runs/<id> with a complete meta.json', () => {
  const root = path.join(tempDir(), 'not', 'yet', '.nbx');
  const before = new Date().toISOString();
  const dir = createRun(root, {
    notebook: 'exp/train.ipynb',
    flags: { lr: 0.01 },
    label: undefined
  });
  assert.equal(dir.path, path.join(root, 'runs', dir.id));
  assert.ok(fs.statSync(dir.path).isDirectory());
  assert.deepEqual(fs.readdirSync(dir.path), ['meta.json']);
  const meta = dir.readMeta();
  assert.equal(meta.id, dir.id);
  assert.equal(meta.notebook, path.resolve('exp/train.ipynb'));
  assert.equal(meta.notebookName, 'train.ipynb');
  assert.deepEqual(meta.flags, { lr: 0.01 });
  assert.equal(meta.label, null);
  assert.equal(meta.status, 'staged');
  assert.equal(meta.host, os.hostname());
  assert.ok(meta.user.length > 0);
  assert.ok(meta.created >= before);
  assert.equal(meta.started, null);
  assert.deepEqual(meta.progress, { cells: 0, done: 0, current: null });
  assert.equal(meta.kernel, null);
  assert.match(meta.nbxVersion, /^\d+\.\d+\.\d+/);
});

test('updateMeta merges a patch or applies a function, atomically, keeping the id', () => {
  const dir = createRun(tempDir(), { notebook: '/p/nb.ipynb', status: 'queued', tags: ['a'] });
  const updated = dir.updateMeta({ status: 'running', pid: 42, id: 'other' });
  assert.equal(updated.status, 'running');
  assert.equal(updated.id, dir.id);
  assert.deepEqual(dir.readMeta().tags, ['a']);
  dir.updateMeta(m => ({ ...m, progress: { ...m.progress, done: m.progress.done + 1 } }));
  const meta = dir.readMeta();
  assert.equal(meta.pid, 42);
  assert.equal(meta.progress.done, 1);
  assert.deepEqual(fs.readdirSync(dir.path), ['meta.json']);
});

test('RunDir names the run files and rejects ids that are not names', () => {
  const dir = new RunDir('/r', 'abc');
  assert.equal(dir.metaPath, '/r/runs/abc/meta.json');
  assert.equal(dir.snapshotPath, '/r/runs/abc/snapshot.ipynb');
  assert.equal(dir.executedPath, '/r/runs/abc/executed.ipynb');
  assert.equal(dir.logPath, '/r/runs/abc/output.log');
  for (const name of ['meta.json', 'snapshot.ipynb', 'executed.ipynb', 'output.log']) {
    assert.ok(RESERVED_RUN_FILES.includes(name));
  }
  assert.ok(isReservedRunFile('.meta.json.1.ab.nbx-tmp'));
  assert.ok(!isReservedRunFile('model.pt'));
  for (const bad of ['', '.', '..', 'a/b', '../x']) {
    assert.throws(() => new RunDir('/r', bad), UserError);
  }
});

test('readMeta fails clearly for a missing or corrupt meta.json', () => {
  const root = tempDir();
  const dir = new RunDir(root, 'missing');
  assert.throws(
    () => dir.readMeta(),
    (err: unknown) =>
      err instanceof UserError && err.message === `${dir.metaPath}: the file is missing`
  );
  fs.mkdirSync(dir.path, { recursive: true });
  fs.writeFileSync(dir.metaPath, '{oops');
  assert.throws(() => dir.readMeta(), /meta\.json is not valid JSON/);
});
