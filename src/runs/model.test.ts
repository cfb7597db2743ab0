import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateRuns } from '../../kernel/lib/bench/gen-runs';
import { RunDir } from '../../kernel/lib/store/run-dir';
import { RootedService } from '../client/rooted';
import { isLive, isRunStatus } from '../run-status';
import { NbxSettings } from '../settings';
import { LocalConnection, tempProject } from '../testing/service';
import { RunsModel } from './model';

describe('RunsModel', () => {
  const project = tempProject();
  const ids = generateRuns(project.root, { count: 40, seed: 7 });
  const connection = new LocalConnection(project);
  const model = new RunsModel({ service: new RootedService(connection, new NbxSettings(null)) });

  before(() => model.refresh());
  after(() => model.dispose());

  describe('#refresh', () => {
    it('reads every run from the Arrow table the service sends, latest first', () => {
      assert.equal(model.error, null);
      assert.equal(model.loaded, true);
      assert.equal(model.rowCount, 40);
      assert.equal(model.totalCount, 40);
      assert.equal(model.root, project.root);
      assert.deepEqual(
        new Set(Array.from({ length: model.rowCount }, (_, row) => model.id(row))),
        new Set(ids)
      );
      const started = Array.from({ length: model.rowCount }, (_, row) => model.started(row));
      assert.ok(started.every(ms => ms !== null));
      assert.deepEqual(
        started,
        [...started].sort((a, b) => (b ?? 0) - (a ?? 0))
      );
    });

    it('reads statuses, names, tags and the key metric by row', () => {
      for (let row = 0; row < model.rowCount; row++) {
        const status = model.status(row);
        assert.ok(isRunStatus(status), `row ${row}: ${String(status)}`);
        assert.match(model.notebook(row), /\.ipynb$/);
        assert.ok(Array.isArray(model.tags(row)));
        assert.equal(model.rowOf(model.id(row)), row);
      }
      assert.equal(model.metricColumn, '#loss');
      const completed = Array.from({ length: model.rowCount }, (_, row) => row).filter(
        row => model.status(row) === 'completed'
      );
      assert.ok(completed.length > 0);
      assert.ok(completed.every(row => typeof model.metric(row) === 'number'));
      assert.ok(completed.every(row => (model.elapsed(row) ?? -1) >= 30));
    });

    it('reads the Slurm job of a run submitted there, for the status tooltip', async () => {
      const id = ids[0];
      new RunDir(project.root, id).updateMeta({
        slurm: { jobId: '77', partition: 'debug', node: 'node01', placement: {}, queue: null }
      });
      await model.refresh();
      const row = model.rowOf(id);
      assert.equal(model.slurm(row), '77 · debug · node01');
      assert.equal(model.slurm(row === 0 ? 1 : 0), '', 'a run here has no job');
    });

    it('counts the live rows', () => {
      const live = Array.from({ length: model.rowCount }, (_, row) => row).filter(row =>
        isLive(model.status(row))
      );
      assert.equal(model.hasLiveRows, live.length > 0);
    });

    it('folds calls made during a request into one more', async () => {
      const before = connection.requests.length;
      await Promise.all([model.refresh(), model.refresh(), model.refresh()]);
      assert.equal(connection.requests.length - before, 2);
    });
  });

  describe('#filter', () => {
    it('keeps the runs the --where expression selects', async () => {
      model.filter = 'status == "completed"';
      await model.refresh();
      assert.equal(model.error, null);
      assert.ok(model.rowCount > 0 && model.rowCount < 40);
      assert.equal(model.totalCount, 40);
      for (let row = 0; row < model.rowCount; row++) {
        assert.equal(model.status(row), 'completed');
      }
    });

    it('keeps the last table and says what is wrong with a bad expression', async () => {
      const rows = model.rowCount;
      model.filter = 'status >> completed';
      await model.refresh();
      assert.match(model.error ?? '', /^invalid where 'status >> completed'/);
      assert.equal(model.rowCount, rows);
      model.filter = '';
      await model.refresh();
      assert.equal(model.error, null);
      assert.equal(model.rowCount, 40);
    });
  });

  describe('#sort', () => {
    it('orders the rows as the service sorts them', async () => {
      model.sort = { column: '#loss', descending: false };
      await model.refresh();
      const losses = Array.from({ length: model.rowCount }, (_, row) => model.metric(row)).filter(
        (v): v is number => v !== null
      );
      assert.ok(losses.length > 1);
      assert.deepEqual(
        losses,
        [...losses].sort((a, b) => a - b)
      );
      model.sort = null;
      await model.refresh();
    });
  });

  describe('#select', () => {
    it('replaces, toggles and extends the selection by run id', () => {
      model.select(2, 'replace');
      assert.deepEqual(model.selectedIds, [model.id(2)]);
      model.select(5, 'toggle');
      assert.deepEqual(model.selectedIds, [model.id(2), model.id(5)]);
      model.select(2, 'toggle');
      assert.deepEqual(model.selectedIds, [model.id(5)]);
      model.select(7, 'range');
      // From the anchor (the last row clicked, 2) to 7.
      assert.deepEqual(
        model.selectedIds,
        [2, 3, 4, 5, 6, 7].map(row => model.id(row))
      );
      assert.equal(model.cursorId, model.id(7));
      assert.ok(model.isSelected(6) && !model.isSelected(1));
      model.clearSelection();
      assert.deepEqual(model.selectedIds, []);
    });

    it('drops runs the next table no longer has', async () => {
      model.selectAll();
      assert.equal(model.selectedIds.length, 40);
      model.filter = 'status == "completed"';
      await model.refresh();
      assert.equal(model.selectedIds.length, model.rowCount);
      model.filter = '';
      await model.refresh();
      model.clearSelection();
    });
  });
});
