/**
 * RunsWatcher against real directories: meta.json rewrites, runs created and removed,
 * debouncing, and a runs root that does not exist yet.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, it } from 'node:test';

import { tempDir, waitFor } from '../testing/fixtures';
import { createRun, type RunDir } from '../store/run-dir';
import { removeRun } from '../store/runs';
import { RunsWatcher } from './watch';

/** A watcher whose reports are collected. */
function watch(root: string, debounceMs = 100): { watcher: RunsWatcher; events: string[][] } {
  const events: string[][] = [];
  const watcher = new RunsWatcher({ root, debounceMs, onChange: ids => events.push(ids) });
  watchers.push(watcher);
  return { watcher, events };
}

const watchers: RunsWatcher[] = [];

/** Every id reported so far. */
function seen(events: string[][]): Set<string> {
  return new Set(events.flat());
}

async function until(events: string[][], id: string, what: string): Promise<void> {
  await waitFor(() => (seen(events).has(id) ? true : undefined), 5000, what);
}

function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}

function newRun(root: string): RunDir {
  return createRun(root, { notebook: '/nb/train.ipynb', status: 'completed' });
}

describe('RunsWatcher', () => {
  afterEach(() => {
    for (const w of watchers.splice(0)) {
      w.close();
    }
  });

  it('reports nothing for runs that were already there', async () => {
    const root = tempDir('nbx-watch-');
    newRun(root);
    newRun(root);
    const { watcher, events } = watch(root);
    assert.equal(watcher.watchedRuns, 2);
    await sleep(300);
    assert.deepEqual(events, []);
  });

  it('reports a rewritten meta.json, debounced into one event', async () => {
    const root = tempDir('nbx-watch-');
    const run = newRun(root);
    const { events } = watch(root);
    for (let i = 0; i < 10; i++) {
      run.updateMeta({ label: `step ${i}` });
    }
    await until(events, run.id, 'the meta.json change');
    await sleep(300);
    assert.deepEqual(events, [[run.id]]);
  });

  it('ignores other files of a run', async () => {
    const root = tempDir('nbx-watch-');
    const run = newRun(root);
    const { events } = watch(root);
    fs.writeFileSync(run.logPath, 'hello\n');
    fs.appendFileSync(run.logPath, 'more\n');
    await sleep(300);
    assert.deepEqual(events, []);
  });

  it('reports runs created and removed, and watches the new ones', async () => {
    const root = tempDir('nbx-watch-');
    const old = newRun(root);
    const { watcher, events } = watch(root);
    const added = newRun(root);
    await until(events, added.id, 'the new run');
    assert.equal(watcher.watchedRuns, 2);
    events.length = 0;
    added.updateMeta({ label: 'changed' });
    await until(events, added.id, 'the new run changing');
    events.length = 0;
    removeRun(root, old.id);
    await until(events, old.id, 'the removed run');
    assert.equal(watcher.watchedRuns, 1);
    assert.ok(!seen(events).has(added.id));
  });

  it('tells the removed runs apart from the changed ones', async () => {
    const root = tempDir('nbx-watch-');
    const kept = newRun(root);
    const gone = newRun(root);
    const reports: { ids: string[]; removed: string[] }[] = [];
    watchers.push(
      new RunsWatcher({
        root,
        debounceMs: 100,
        onChange: (ids, removed) => reports.push({ ids, removed })
      })
    );
    kept.updateMeta({ label: 'changed' });
    removeRun(root, gone.id);
    await waitFor(
      () => (new Set(reports.flatMap(r => r.ids)).size === 2 ? true : undefined),
      5000,
      'both runs reported'
    );
    assert.deepEqual(
      reports.flatMap(r => r.removed),
      [gone.id]
    );
    for (const report of reports) {
      assert.ok(
        report.removed.every(id => report.ids.includes(id)),
        'removed ids are among ids'
      );
    }
  });

  it('waits for a runs root that does not exist yet', async () => {
    const root = path.join(tempDir('nbx-watch-'), 'project', '.nbx');
    const { watcher, events } = watch(root);
    assert.equal(watcher.watchingRunsDir, false);
    const run = newRun(root);
    await until(events, run.id, 'the first run of a new root');
    assert.equal(watcher.watchingRunsDir, true);
    events.length = 0;
    run.updateMeta({ label: 'x' });
    await until(events, run.id, 'its meta.json change');
  });

  it('keeps reporting while changes keep coming (maximum wait)', async () => {
    const root = tempDir('nbx-watch-');
    const run = newRun(root);
    const events: string[][] = [];
    watchers.push(
      new RunsWatcher({ root, debounceMs: 150, maxWaitMs: 400, onChange: ids => events.push(ids) })
    );
    const started = Date.now();
    while (Date.now() - started < 1000) {
      run.updateMeta({ label: String(Date.now()) });
      await sleep(50);
    }
    assert.ok(events.length >= 2, `expected reports during the changes, got ${events.length}`);
    assert.ok(events.length <= 4, `expected few reports, got ${events.length}`);
  });

  it('stops reporting once closed', async () => {
    const root = tempDir('nbx-watch-');
    const run = newRun(root);
    const { watcher, events } = watch(root);
    watcher.close();
    run.updateMeta({ label: 'after close' });
    newRun(root);
    await sleep(300);
    assert.deepEqual(events, []);
    assert.equal(watcher.watchedRuns, 0);
  });
});
