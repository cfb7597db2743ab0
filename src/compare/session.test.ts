/**
 * A comparison fetched through the service's real `listRuns` over generated runs: the
 * runs given (and only those), label first, the default columns, the `--where` filter
 * applied by the service with its one-line error kept beside the last table, the
 * person's choices carried to each new table, and saved views applied.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateRuns } from '../../kernel/lib/bench/gen-runs';
import { removeRun } from '../../kernel/lib/store/runs';
import { RootedService } from '../client/rooted';
import { NbxSettings } from '../settings';
import { LocalConnection, tempProject } from '../testing/service';
import { CompareSession, defaultShown } from './session';

describe('CompareSession', () => {
  const project = tempProject();
  const ids = generateRuns(project.root, { count: 30, seed: 3 });
  const service = new RootedService(new LocalConnection(project), new NbxSettings(null));
  const shownIds = (session: CompareSession): string[] => {
    const model = session.model;
    return model
      ? Array.from({ length: model.rowCount }, (_, row) => String(model.cell(row, 'id')))
      : [];
  };

  it('leaves out a compared run deleted since, and counts it', async () => {
    const doomed = generateRuns(project.root, { count: 1, seed: 99 })[0];
    const session = new CompareSession({ service, ids: [ids[1], doomed, ids[2]] });
    removeRun(project.root, doomed, { force: true });
    await session.load();
    assert.equal(session.error, '');
    assert.equal(session.missing, 1);
    assert.deepEqual(new Set(shownIds(session)), new Set([ids[1], ids[2]]));
    // The last step of each key is offered, not shown by default, and never "best".
    const model = session.model;
    assert.ok(model?.columns.includes('#loss:step'));
    assert.ok(!model?.visibleColumns.includes('#loss:step'));
    assert.equal(model?.best('#loss:step'), null);
    session.dispose();
  });

  it('compares the runs given, label first, flags and metrics shown, system metrics not', async () => {
    const chosen = [ids[4], ids[9].slice(0, 12), ids[20]];
    const session = new CompareSession({ service, ids: chosen });
    await session.load();
    assert.equal(session.error, '');
    assert.deepEqual(new Set(shownIds(session)), new Set([ids[4], ids[9], ids[20]]));
    const model = session.model;
    assert.ok(model);
    assert.deepEqual(model.columns.slice(0, 6), [
      'label',
      'id',
      'status',
      'notebook',
      'started',
      'duration'
    ]);
    const shown = model.visibleColumns;
    assert.ok(shown.includes('=lr') && shown.includes('#loss') && shown.includes('#loss:min'));
    assert.ok(!shown.some(name => name.startsWith('#sys/')));
    assert.ok(
      model.columns.some(name => name.startsWith('#sys/')),
      'the chooser offers them'
    );
    assert.deepEqual(defaultShown(model.columns), [...shown]);
    session.dispose();
  });

  it('filters with --where through the service, keeping choices, and reports a bad filter', async () => {
    const session = new CompareSession({ service });
    await session.load();
    assert.equal(session.model?.rowCount, 30);
    session.model?.setColumns(['label', '=optimizer', '#loss']);
    session.model?.setSort([{ column: '#loss', direction: 'ascending' }]);
    await session.load('optimizer = adam');
    const model = session.model;
    assert.ok(model);
    assert.ok(model.rowCount > 0 && model.rowCount < 30);
    for (let row = 0; row < model.rowCount; row++) {
      assert.equal(model.cell(row, '=optimizer'), 'adam');
    }
    assert.deepEqual(model.visibleColumns, ['label', '=optimizer', '#loss']);
    assert.deepEqual(model.sort, [{ column: '#loss', direction: 'ascending' }]);
    assert.equal(session.where, 'optimizer = adam');

    await session.load('#loss >> 1');
    assert.match(session.error, /^invalid where '#loss >> 1': /);
    assert.equal(session.model, model, 'the last table stays');
    assert.equal(session.where, 'optimizer = adam');
    assert.equal(session.loading, false);
    session.dispose();
  });

  it('saves and applies a view: columns, only-differ, sort and filter', async () => {
    const session = new CompareSession({ service });
    await session.load();
    session.model?.setColumns(['label', '=lr']);
    session.model?.setSort([{ column: '=lr', direction: 'descending' }]);
    await session.load('lr > 0.001');
    const view = session.view('high lr');
    assert.deepEqual(view, {
      name: 'high lr',
      columns: ['label', '=lr'],
      onlyDiffering: false,
      sort: [{ column: '=lr', direction: 'descending' }],
      where: 'lr > 0.001'
    });
    await session.load('');
    session.model?.setColumns(['label', 'id']);
    await session.applyView({ ...view, onlyDiffering: true });
    const model = session.model;
    assert.ok(model);
    assert.equal(session.where, 'lr > 0.001');
    assert.equal(model.onlyDiffering, true);
    assert.deepEqual(model.sort, view.sort);
    assert.deepEqual(
      model
        .choices()
        .filter(c => c.visible)
        .map(c => c.name),
      ['label', '=lr']
    );
    for (let row = 1; row < model.rowCount; row++) {
      assert.ok(Number(model.cell(row - 1, '=lr')) >= Number(model.cell(row, '=lr')));
    }
    session.dispose();
  });
});
