/**
 * The Compare grid's model over Arrow tables: sorting (one column, several, directions per
 * column, nulls last), "only columns that differ", the column chooser, best values, CSV,
 * tables in several chunks, and the table `nbx compare --arrow` writes for generated runs.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  Bool,
  Field,
  Float64,
  List,
  Table,
  TimestampMillisecond,
  Utf8,
  tableFromIPC,
  vectorFromArray
} from 'apache-arrow';
import { CompareModel } from './model';
import { lowerIsBetter } from './direction';

/** A comparison of five runs: text, dictionary text, numbers with nulls, a constant flag. */
function runsTable(): Table {
  return new Table({
    id: vectorFromArray(['r1', 'r2', 'r3', 'r4', 'r5'], new Utf8()),
    label: vectorFromArray(['run-10', 'run-9', 'Run-2', null, 'run-1'], new Utf8()),
    '=optimizer': vectorFromArray(['adam', 'sgd', 'adam', 'sgd', 'adam']),
    '=epochs': vectorFromArray([10, 10, 10, 10, 10], new Float64()),
    '=note': vectorFromArray([null, null, null, null, null], new Float64()),
    '#loss': vectorFromArray([0.5, null, 0.25, 0.75, 0.25], new Float64()),
    '#loss:max': vectorFromArray([2, 3, null, 1.5, 2.5], new Float64()),
    '#acc': vectorFromArray([0.8, 0.9, null, 0.7, 0.9], new Float64()),
    done: vectorFromArray([true, false, null, true, false], new Bool()),
    started: vectorFromArray(
      [
        Date.UTC(2026, 0, 3),
        Date.UTC(2026, 0, 1),
        null,
        Date.UTC(2026, 0, 2),
        Date.UTC(2026, 0, 5)
      ],
      new TimestampMillisecond()
    ),
    tags: vectorFromArray(
      [['a', 'b'], [], null, ['c'], ['a']],
      new List(new Field('item', new Utf8(), true))
    )
  });
}

function ids(model: CompareModel): string[] {
  return Array.from({ length: model.rowCount }, (_, row) => String(model.cell(row, 'id')));
}

describe('CompareModel', () => {
  describe('#sortByHeader', () => {
    it('sorts a loss lowest first and an accuracy highest first, nulls last', () => {
      const model = new CompareModel({ table: runsTable() });
      model.sortByHeader('#loss');
      assert.deepEqual(model.sort, [{ column: '#loss', direction: 'ascending' }]);
      assert.deepEqual(ids(model), ['r3', 'r5', 'r1', 'r4', 'r2']);
      model.sortByHeader('#acc');
      assert.deepEqual(ids(model), ['r2', 'r5', 'r1', 'r4', 'r3']);
    });

    it('flips the direction on a second click, nulls still last, ties in table order', () => {
      const model = new CompareModel({ table: runsTable() });
      model.sortByHeader('#loss');
      model.sortByHeader('#loss');
      assert.deepEqual(model.sort, [{ column: '#loss', direction: 'descending' }]);
      assert.deepEqual(ids(model), ['r4', 'r1', 'r3', 'r5', 'r2']);
      model.sortByHeader('#acc');
      model.sortByHeader('#acc');
      assert.deepEqual(ids(model), ['r4', 'r1', 'r2', 'r5', 'r3']);
    });

    it('adds keys with Shift-click and flips an existing key', () => {
      const model = new CompareModel({ table: runsTable() });
      model.sortByHeader('=optimizer');
      model.sortByHeader('#loss', true);
      assert.deepEqual(model.sort, [
        { column: '=optimizer', direction: 'ascending' },
        { column: '#loss', direction: 'ascending' }
      ]);
      assert.deepEqual(ids(model), ['r3', 'r5', 'r1', 'r4', 'r2']);
      model.sortByHeader('=optimizer', true);
      assert.deepEqual(ids(model), ['r4', 'r2', 'r3', 'r5', 'r1']);
      // A plain click replaces the sort.
      model.sortByHeader('id');
      assert.deepEqual(model.sort, [{ column: 'id', direction: 'ascending' }]);
    });

    it('follows a direction the user chose for a column', () => {
      const model = new CompareModel({ table: runsTable(), directions: { '#acc': 'ascending' } });
      model.sortByHeader('#acc');
      assert.deepEqual(ids(model), ['r4', 'r1', 'r2', 'r5', 'r3']);
      model.setDirection('#acc', null);
      model.sortByHeader('#loss');
      model.sortByHeader('#acc');
      assert.deepEqual(ids(model), ['r2', 'r5', 'r1', 'r4', 'r3']);
    });
  });

  describe('#setSort', () => {
    it('sorts text in natural, case-folded order, and booleans, times and tags', () => {
      const model = new CompareModel({ table: runsTable() });
      model.setSort([{ column: 'label', direction: 'ascending' }]);
      assert.deepEqual(ids(model), ['r5', 'r3', 'r2', 'r1', 'r4']);
      model.setSort([{ column: 'label', direction: 'descending' }]);
      assert.deepEqual(ids(model), ['r1', 'r2', 'r3', 'r5', 'r4']);
      model.setSort([{ column: 'done', direction: 'ascending' }]);
      assert.deepEqual(ids(model), ['r2', 'r5', 'r1', 'r4', 'r3']);
      model.setSort([{ column: 'started', direction: 'descending' }]);
      assert.deepEqual(ids(model), ['r5', 'r1', 'r4', 'r2', 'r3']);
      model.setSort([{ column: 'tags', direction: 'ascending' }]);
      assert.deepEqual(ids(model), ['r2', 'r5', 'r1', 'r4', 'r3']);
    });

    it('sorts on three keys, and back to table order with none', () => {
      const model = new CompareModel({ table: runsTable() });
      model.setSort([
        { column: '=epochs', direction: 'ascending' },
        { column: '#loss', direction: 'ascending' },
        { column: 'started', direction: 'descending' }
      ]);
      assert.deepEqual(ids(model), ['r5', 'r3', 'r1', 'r4', 'r2']);
      model.setSort([]);
      assert.deepEqual(ids(model), ['r1', 'r2', 'r3', 'r4', 'r5']);
    });

    it('emits rows on a sort and columns on a change of the columns', () => {
      const model = new CompareModel({ table: runsTable() });
      const seen: string[] = [];
      model.changed.connect((_, change) => seen.push(change));
      model.setSort([{ column: '#loss', direction: 'ascending' }]);
      model.onlyDiffering = true;
      model.setColumnVisible('#acc', false);
      assert.deepEqual(seen, ['rows', 'columns', 'columns']);
      model.dispose();
      model.setSort([]);
      assert.deepEqual(seen, ['rows', 'columns', 'columns']);
    });
  });

  describe('#onlyDiffering', () => {
    it('hides columns equal in every row (all null included), never a pinned one', () => {
      const model = new CompareModel({ table: runsTable(), pinned: ['id', '=epochs'] });
      assert.equal(model.differs('=epochs'), false);
      assert.equal(model.differs('=note'), false);
      assert.equal(model.differs('#loss'), true);
      model.onlyDiffering = true;
      assert.deepEqual(model.visibleColumns, [
        'id',
        'label',
        '=optimizer',
        '=epochs',
        '#loss',
        '#loss:max',
        '#acc',
        'done',
        'started',
        'tags'
      ]);
      const one = new CompareModel({
        table: new Table({
          id: vectorFromArray(['a', 'b'], new Utf8()),
          x: vectorFromArray([1, null], new Float64())
        })
      });
      assert.equal(one.differs('x'), true, 'a null beside a value differs');
    });
  });

  describe('#choices', () => {
    it('lists the columns matching every word of the search, with whether each is shown', () => {
      const model = new CompareModel({ table: runsTable(), columns: ['id', '#loss', '#acc'] });
      assert.deepEqual(model.choices('LOSS'), [
        { name: '#loss', kind: 'number', visible: true },
        { name: '#loss:max', kind: 'number', visible: false }
      ]);
      assert.deepEqual(
        model.choices('loss max').map(c => c.name),
        ['#loss:max']
      );
      assert.equal(model.choices().length, 11);
      model.setColumnVisible('#loss:max', true);
      assert.deepEqual(model.visibleColumns, ['id', '#loss', '#loss:max', '#acc']);
      model.setColumnVisible('#loss', false);
      model.setColumns(['#acc', 'id', 'nope', '#acc']);
      assert.deepEqual(model.visibleColumns, ['#acc', 'id']);
      assert.equal(model.kind('started'), 'time');
      assert.equal(model.kind('tags'), 'list');
      assert.equal(model.kind('done'), 'bool');
      assert.equal(model.kind('=optimizer'), 'string');
    });
  });

  describe('#best', () => {
    it('is the lowest loss, the highest accuracy, per the column direction', () => {
      const model = new CompareModel({ table: runsTable() });
      assert.equal(model.best('#loss'), 0.25);
      assert.equal(model.best('#loss:max'), 1.5);
      assert.equal(model.best('#acc'), 0.9);
      assert.equal(model.best('=epochs'), null, 'flags have no best value');
      assert.equal(model.best('started'), null);
      model.sortByHeader('#acc');
      assert.deepEqual(
        Array.from({ length: 5 }, (_, row) => model.isBest(row, '#acc')),
        [true, true, false, false, false]
      );
      model.setDirection('#acc', 'ascending');
      assert.equal(model.best('#acc'), 0.7);
    });
  });

  describe('#toCsv', () => {
    it('writes the visible columns of the rows in the order shown, quoting per RFC 4180', () => {
      const table = new Table({
        id: vectorFromArray(['a', 'b', 'c'], new Utf8()),
        label: vectorFromArray(['plain', 'has, comma', 'say "hi"\nnext line'], new Utf8()),
        '#loss': vectorFromArray([0.125, null, 1e-7], new Float64()),
        started: vectorFromArray(
          [Date.UTC(2026, 11, 7, 6, 30), null, 0],
          new TimestampMillisecond()
        ),
        tags: vectorFromArray(
          [['x', 'y'], null, []],
          new List(new Field('item', new Utf8(), true))
        ),
        done: vectorFromArray([true, null, false], new Bool())
      });
      const model = new CompareModel({ table });
      model.setColumnVisible('done', false);
      model.sortByHeader('#loss');
      assert.equal(
        model.toCsv(),
        'id,label,#loss,started,tags\n' +
          'c,"say ""hi""\nnext line",1e-7,1970-01-01T00:00:00.000Z,\n' +
          'a,plain,0.125,2026-12-07T06:30:00.000Z,"x,y"\n' +
          'b,"has, comma",,,\n'
      );
    });
  });

  it('handles a comparison of no runs', () => {
    const model = new CompareModel({ table: runsTable().slice(0, 0) });
    model.sortByHeader('#loss');
    model.onlyDiffering = true;
    assert.equal(model.rowCount, 0);
    assert.deepEqual(model.visibleColumns, ['id']);
    assert.equal(model.best('#loss'), null);
    assert.equal(model.toCsv(), 'id\n');
  });

  it('reads tables of several record batches', () => {
    const first = runsTable();
    const table = first.concat(runsTable().slice(0, 2));
    assert.equal(table.getChild('#loss')?.data.length, 2);
    const model = new CompareModel({ table });
    model.sortByHeader('#loss');
    assert.deepEqual(ids(model), ['r3', 'r5', 'r1', 'r1', 'r4', 'r2', 'r2']);
    assert.equal(model.cell(0, 'label'), 'Run-2');
    assert.deepEqual(model.cell(2, 'tags'), ['a', 'b']);
  });
});

describe('CompareModel over nbx compare --arrow', () => {
  it('sorts generated runs as the engine sorts them and hides the columns equal in all', () => {
    const root = path.resolve(__dirname, '..', '..');
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'nbx-compare-model-'));
    try {
      execFileSync(process.execPath, [
        path.join(root, 'kernel/lib/bench/gen-runs.js'),
        home,
        '300'
      ]);
      const nbx = (...args: string[]): Buffer =>
        execFileSync(process.execPath, [path.join(root, 'kernel/bin/nbx.js'), 'compare', ...args], {
          env: { ...process.env, NBX_HOME: home }
        });
      const file = path.join(home, 'compare.arrow');
      const select = [
        '--columns',
        'label,status,started,=*,#*,#*:min',
        '--where',
        'optimizer = adam'
      ];
      nbx(...select, '--arrow', file);
      const table = tableFromIPC(fs.readFileSync(file));
      assert.ok(table.numRows > 20, `${table.numRows} runs`);
      const model = new CompareModel({ table });
      const lossColumn = model.columns.find(c => c.startsWith('#') && lowerIsBetter(c));
      assert.ok(lossColumn, `a loss column among ${model.columns.join(' ')}`);
      model.sortByHeader('=dataset');
      model.sortByHeader(lossColumn, true);
      model.sortByHeader('started', true);
      const engine = JSON.parse(
        nbx(...select, '--json', '--sort', `=dataset,${lossColumn},-started`).toString()
      ) as Record<string, unknown>[];
      assert.deepEqual(
        ids(model),
        engine.map(r => r.id)
      );
      const csv = model.toCsv().split('\n');
      assert.equal(csv[0], model.columns.join(','));
      assert.equal(csv.length, table.numRows + 2);

      const constant = model.columns.filter(c =>
        engine.every(r => JSON.stringify(r[c]) === JSON.stringify(engine[0][c]))
      );
      assert.ok(constant.includes('=optimizer'));
      model.onlyDiffering = true;
      assert.deepEqual(
        model.visibleColumns,
        model.columns.filter(c => !constant.includes(c))
      );
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
