/**
 * RunsModel kept up to date by the service's `runs-changed` pushes, as a real RunsWatcher
 * on the runs root reports them: only the changed rows are fetched and patched in place,
 * removed runs go without a request, other roots are ignored, and new columns list the
 * table again.
 */
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateRuns } from '../../kernel/lib/bench/gen-runs';
import { createRun, RunDir } from '../../kernel/lib/store/run-dir';
import { removeRun } from '../../kernel/lib/store/runs';
import { RunsWatcher } from '../../kernel/lib/service/watch';
import { countingListings, LocalConnection, tempProject } from '../testing/service';
import { RunsModel } from './model';

/** Resolves once `test` holds (checked every 20 ms), or fails after `ms`. */
async function until(what: string, test: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!test()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise(resolve => setTimeout(resolve, 20));
  }
}

describe('RunsModel#update', () => {
  const project = tempProject();
  const ids = generateRuns(project.root, { count: 200, seed: 11 });
  const connection = new LocalConnection(project);
  /** The `listRuns` params sent, in order. */
  const { service, listings } = countingListings(connection);
  const model = new RunsModel({ service });
  let watcher: RunsWatcher;

  before(async () => {
    await model.refresh();
    watcher = new RunsWatcher({
      root: project.root,
      debounceMs: 50,
      onChange: (changed, removed) =>
        void model.update({ root: project.root, ids: changed, removed })
    });
    listings.length = 0;
  });
  afterEach(() => {
    listings.length = 0;
  });
  after(() => {
    watcher.close();
    model.dispose();
    connection.dispose();
  });

  it('patches a changed run in place, fetching its row alone', async () => {
    const selected = model.id(5);
    model.select(5, 'replace');
    const order = model.listedIds;
    const changed = order[9];
    new RunDir(project.root, changed).updateMeta(m => ({
      ...m,
      label: 'patched',
      status: 'error'
    }));
    await until('the patched row', () => model.label(model.rowOf(changed)) === 'patched');
    assert.equal(model.status(model.rowOf(changed)), 'error');
    assert.deepEqual(model.listedIds, order, 'rows keep their places');
    assert.deepEqual(model.selectedIds, [selected]);
    assert.equal(model.totalCount, 200);
    assert.equal(listings.length, 1);
    assert.deepEqual(listings[0].ids, [changed]);
  });

  it('puts a new run first and drops a removed one without a request for it', async () => {
    const added = createRun(project.root, { notebook: '/nb/new.ipynb', status: 'queued' });
    await until('the new run', () => model.rowOf(added.id) === 0);
    assert.equal(model.totalCount, 201);
    assert.equal(model.status(0), 'queued');
    assert.ok(model.hasLiveRows);
    assert.deepEqual(
      listings.map(params => params.ids),
      [[added.id]]
    );
    listings.length = 0;
    const gone = model.id(3);
    removeRun(project.root, gone);
    await until('the removed run to go', () => model.rowOf(gone) === -1);
    assert.equal(model.totalCount, 200);
    assert.equal(model.rowCount, 200);
    assert.deepEqual(listings, []);
  });

  it('leaves out a directory that is no run yet, without listing the table again', async () => {
    // What the service's standby reservation looks like: a run directory without meta.json.
    const reserved = '0123456789abcdef0123456789abcdef';
    await model.update({ root: project.root, ids: [reserved], removed: [] });
    assert.deepEqual(
      listings.map(params => [params.ids, params.skipMissing]),
      [[[reserved], true]]
    );
    assert.equal(model.rowOf(reserved), -1);
    assert.equal(model.totalCount, 200);
  });

  it('ignores pushes about other runs roots', async () => {
    await model.update({ root: `${project.root}-other`, ids: [ids[0]], removed: [] });
    assert.deepEqual(listings, []);
  });

  it('drops a patched run the filter no longer keeps', async () => {
    model.filter = 'status != "terminated"';
    await model.refresh();
    const kept = model.listedIds.find(id => id !== model.id(0)) ?? '';
    listings.length = 0;
    new RunDir(project.root, kept).updateMeta(m => ({ ...m, status: 'terminated' }));
    await until('the filtered-out run to go', () => model.rowOf(kept) === -1);
    assert.equal(listings.length, 1);
    // The panel filters the runs it holds: the patch fetches the row, the filter drops it.
    assert.equal(listings[0].where, undefined);
    assert.deepEqual(listings[0].ids, [kept]);
    model.filter = '';
    await model.refresh();
  });

  it('moves a patched run to its place under the sort at once', async () => {
    model.sort = { column: 'label', descending: false };
    const last = model.id(model.rowCount - 1);
    const first = model.id(0);
    listings.length = 0;
    new RunDir(project.root, last).updateMeta(m => ({ ...m, label: '!first now' }));
    await until('the patched run on top', () => model.rowOf(last) === 0);
    assert.equal(model.rowOf(first), 1);
    assert.deepEqual(
      listings.map(params => params.ids),
      [[last]],
      'its row alone was fetched'
    );
    model.sort = null;
  });

  it('puts a new run in its place under the filter and sort', async () => {
    model.filter = 'status = queued or status = completed';
    model.sort = { column: 'notebook', descending: true };
    listings.length = 0;
    const added = createRun(project.root, { notebook: '/nb/zzz_new.ipynb', status: 'queued' });
    await until('the new run on top', () => model.rowOf(added.id) === 0);
    assert.deepEqual(
      listings.map(params => params.ids),
      [[added.id]]
    );
    model.filter = '';
    model.sort = null;
  });

  it('lists the table again when a run brings a new column', async () => {
    const run = new RunDir(project.root, model.id(1));
    run.updateMeta(m => ({ ...m, flags: { ...m.flags, brand_new_flag: 1 } }));
    await until('a full listing', () => listings.some(params => params.ids === undefined));
    assert.equal(listings[0].ids?.[0], run.id, 'the patch came first');
  });
});
