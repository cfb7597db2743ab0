import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';

import { UserError } from '../base/errors';
import type { RunMeta } from './meta';
import { processStartToken } from './process';
import { newRunMeta, RunDir } from './run-dir';
import { effectiveStatus, listRuns, removeRun, resolveRunRef } from './runs';

function tempRoot(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'nbx-runs-')), '.nbx');
}

/** Writes a run with a chosen id and creation time. */
function makeRun(root: string, id: string, created: string, patch: Partial<RunMeta> = {}): RunDir {
  const dir = new RunDir(root, id);
  fs.mkdirSync(dir.path, { recursive: true });
  dir.writeMeta({ ...newRunMeta(id, { notebook: '/p/nb.ipynb' }), created, ...patch });
  return dir;
}

function meta(patch: Partial<RunMeta>): RunMeta {
  return { ...newRunMeta('a'.repeat(32), { notebook: '/p/nb.ipynb' }), ...patch };
}

function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid;
}

/** Asserts `fn` throws a one-line UserError with exactly `message` (or matching it). */
function throwsUser(fn: () => unknown, message: string | RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof UserError, `expected a UserError, got ${String(err)}`);
    assert.ok(!err.message.includes('\n'));
    if (typeof message === 'string') {
      assert.equal(err.message, message);
    } else {
      assert.match(err.message, message);
    }
    return true;
  });
}

test('a running run whose process has exited reads as terminated', () => {
  const pid = deadPid();
  assert.equal(effectiveStatus(meta({ status: 'running', pid })), 'terminated');
  assert.equal(effectiveStatus(meta({ status: 'queued', pid })), 'terminated');
});

test('a running run whose process is alive stays running', () => {
  const m = meta({ status: 'running', pid: process.pid, pidStart: processStartToken(process.pid) });
  assert.equal(effectiveStatus(m), 'running');
});

test('a reused pid (alive, wrong start token) reads as terminated', () => {
  const m = meta({ status: 'running', pid: process.pid, pidStart: '1' });
  assert.equal(effectiveStatus(m), fs.existsSync('/proc/self/stat') ? 'terminated' : 'running');
});

test('other hosts, missing pids and final statuses are trusted as recorded', () => {
  const pid = deadPid();
  assert.equal(effectiveStatus(meta({ status: 'running', pid, host: 'elsewhere' })), 'running');
  assert.equal(effectiveStatus(meta({ status: 'running', pid: null })), 'running');
  assert.equal(effectiveStatus(meta({ status: 'completed', pid })), 'completed');
  assert.equal(effectiveStatus(meta({ status: 'staged', pid })), 'staged');
});

test('listRuns returns latest first with effective statuses', () => {
  const root = tempRoot();
  assert.deepEqual(listRuns(root), []);
  makeRun(root, 'b'.repeat(32), '2024-01-02T00:00:00.000Z');
  makeRun(root, 'a'.repeat(32), '2024-01-03T00:00:00.000Z', { status: 'running', pid: deadPid() });
  makeRun(root, 'c'.repeat(32), '2024-01-01T00:00:00.000Z');
  makeRun(root, 'd'.repeat(32), '2024-01-02T00:00:00.000Z');
  const runs = listRuns(root);
  assert.deepEqual(
    runs.map(r => r.id[0]),
    ['a', 'd', 'b', 'c']
  );
  assert.equal(runs[0].status, 'terminated');
  // Finding the dead runner records it: no heartbeat here, so stopped is the last write.
  const recorded = new RunDir(root, 'a'.repeat(32)).readMeta();
  assert.equal(recorded.status, 'terminated');
  assert.equal(recorded.error, 'runner died');
  assert.ok(recorded.stopped !== null);
});

test('listRuns skips a corrupt or missing meta.json with one warning each', () => {
  const root = tempRoot();
  makeRun(root, 'good', '2024-01-01T00:00:00.000Z');
  const corrupt = makeRun(root, 'corrupt', '2024-01-02T00:00:00.000Z');
  fs.writeFileSync(corrupt.metaPath, '{"id": "corrupt", "stat');
  fs.mkdirSync(path.join(root, 'runs', 'empty'));
  fs.mkdirSync(path.join(root, 'runs', '.removing-x'));
  fs.writeFileSync(path.join(root, 'runs', 'stray-file'), '');
  const warnings: string[] = [];
  const runs = listRuns(root, { onWarning: w => warnings.push(w) });
  assert.deepEqual(
    runs.map(r => r.id),
    ['good']
  );
  assert.deepEqual(warnings.sort(), [
    `skipping run ${corrupt.path}: meta.json is not valid JSON`,
    `skipping run ${path.join(root, 'runs', 'empty')}: no meta.json`
  ]);
});

test('resolveRunRef takes a full id, a unique prefix or a 1-based index', () => {
  const root = tempRoot();
  throwsUser(() => resolveRunRef(root, '1'), `no runs yet in ${root}`);
  const newest = '1f' + 'a'.repeat(30);
  const middle = 'ab12' + '0'.repeat(28);
  const oldest = 'ab34' + '0'.repeat(28);
  makeRun(root, oldest, '2024-01-01T00:00:00.000Z');
  makeRun(root, middle, '2024-01-02T00:00:00.000Z');
  makeRun(root, newest, '2024-01-03T00:00:00.000Z');
  assert.equal(resolveRunRef(root, middle).id, middle);
  assert.equal(resolveRunRef(root, 'ab1').id, middle);
  assert.equal(resolveRunRef(root, 'AB3').id, oldest);
  assert.equal(resolveRunRef(root, '1').id, newest);
  assert.equal(resolveRunRef(root, '3').id, oldest);
  // A number beyond the count is an id prefix.
  assert.equal(resolveRunRef(root, '1f').id, newest);
  throwsUser(() => resolveRunRef(root, '4'), "no run matches '4' (see nbx runs)");
  throwsUser(() => resolveRunRef(root, 'zz'), "no run matches 'zz' (see nbx runs)");
  throwsUser(
    () => resolveRunRef(root, 'ab'),
    "'ab' is ambiguous: matches ab120000, ab340000 — give more characters"
  );
  throwsUser(() => resolveRunRef(root, ' '), /^empty run reference/);
  assert.ok(resolveRunRef(root, newest) instanceof RunDir);
});

test('removeRun deletes a finished run and refuses a running one unless forced', () => {
  const root = tempRoot();
  const done = makeRun(root, 'd0ne', '2024-01-01T00:00:00.000Z', { status: 'completed' });
  fs.writeFileSync(done.logPath, 'output\n');
  removeRun(root, done.id);
  assert.ok(!fs.existsSync(done.path));
  assert.deepEqual(fs.readdirSync(path.join(root, 'runs')), []);

  const live = makeRun(root, 'live0000', '2024-01-02T00:00:00.000Z', {
    status: 'running',
    pid: process.pid,
    pidStart: processStartToken(process.pid)
  });
  throwsUser(
    () => removeRun(root, live.id),
    "run live0000 is running — stop it first with 'nbx stop live0000' (or remove it anyway with --force)"
  );
  assert.ok(fs.existsSync(live.path));
  removeRun(root, live.id, { force: true });
  assert.ok(!fs.existsSync(live.path));

  // A dead runner does not protect the run, nor does a corrupt record.
  const dead = makeRun(root, 'dead', '2024-01-03T00:00:00.000Z', {
    status: 'running',
    pid: deadPid()
  });
  removeRun(root, dead.id);
  const broken = makeRun(root, 'broken', '2024-01-04T00:00:00.000Z');
  fs.writeFileSync(broken.metaPath, 'nope');
  removeRun(root, resolveRunRef(root, 'bro').id);
  assert.deepEqual(fs.readdirSync(path.join(root, 'runs')), []);
  throwsUser(() => removeRun(root, 'gone'), `no run gone in ${root} (see nbx runs)`);
});
