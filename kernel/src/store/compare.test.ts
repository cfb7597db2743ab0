import assert from 'node:assert/strict';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';

import { UserError } from '../base/errors';
import {
  compareArrow,
  compareCsv,
  compareRows,
  defaultColumns,
  parseColumnSpec,
  selectCompare
} from './compare';
import { loadRunsIndex, type RunsIndex } from './index';
import { arrow } from './index-arrow';
import { resolveIndexRefs } from './index-refs';
import type { IScalarSummary, RunMeta } from './meta';
import { createRun } from './run-dir';
import { tempDir } from '../testing/fixtures';

function summary(last: number, min = last, max = last): IScalarSummary {
  return { first: max, last, min, max, count: 2, lastStep: 1 };
}

function throwsUser(fn: () => unknown, message: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof UserError, `expected a UserError, got ${String(err)}`);
    assert.equal(err.message, message);
    return true;
  });
}

describe('nbx compare selection', () => {
  let root: string;
  let index: RunsIndex;
  /** ids of the runs, oldest first (so rows are 2, 1, 0). */
  let ids: string[];
  before(() => {
    root = path.join(tempDir('nbx-compare-'), '.nbx');
    const runs: Partial<RunMeta>[] = [
      {
        flags: { lr: 0.01, opt: 'adam', epochs: 10 },
        label: 'first, "quoted"',
        scalars: { loss: summary(0.5, 0.4, 2), acc: summary(0.8), 'sys/cpu': summary(50) }
      },
      {
        flags: { lr: 0.001, opt: 'adam', epochs: 10 },
        label: null,
        scalars: { loss: summary(0.25, 0.2, 2), 'sys/cpu': summary(40) },
        started: '2025-01-02T00:00:00.000Z',
        stopped: '2025-01-02T00:01:30.000Z'
      },
      { flags: { lr: 0.1, opt: 'adam', epochs: 10 }, label: 'third', scalars: {} }
    ];
    ids = runs.map((patch, i) => {
      const dir = createRun(root, { notebook: 'train.ipynb' });
      dir.updateMeta({
        ...patch,
        status: 'completed',
        created: new Date(Date.UTC(2025, 0, 1 + i)).toISOString()
      });
      return dir.id;
    });
    index = loadRunsIndex(root);
  });

  it('defaults to core columns, the flags that differ and last values without sys/*', () => {
    assert.deepEqual(defaultColumns(index, [0, 1, 2]), [
      'notebook',
      'status',
      'label',
      '=lr',
      '#loss',
      '#acc'
    ]);
    assert.deepEqual(defaultColumns(index, [2]), [
      'notebook',
      'status',
      'label',
      '=lr',
      '=opt',
      '=epochs',
      '#loss',
      '#acc'
    ]);
    assert.deepEqual(defaultColumns(index, [0]), [
      'notebook',
      'status',
      'label',
      '=lr',
      '=opt',
      '=epochs'
    ]);
  });

  it('parses column specs with sigils, bare names, qualifiers and wildcards', () => {
    assert.deepEqual(parseColumnSpec(index, '=lr,#loss:min,.duration'), [
      '=lr',
      '#loss:min',
      'duration'
    ]);
    assert.deepEqual(parseColumnSpec(index, ' lr , loss:max, min loss, last acc, id'), [
      '=lr',
      '#loss:max',
      '#loss:min',
      '#acc'
    ]);
    assert.deepEqual(parseColumnSpec(index, '=*'), ['=lr', '=opt', '=epochs']);
    assert.deepEqual(parseColumnSpec(index, '#*'), ['#loss', '#sys/cpu', '#acc']);
    assert.deepEqual(parseColumnSpec(index, '#sys/*,#*:min'), [
      '#sys/cpu',
      '#loss:min',
      '#sys/cpu:min',
      '#acc:min'
    ]);
    assert.deepEqual(parseColumnSpec(index, 'status,status,=l*'), ['status', '=lr']);
    assert.deepEqual(parseColumnSpec(index, 'step loss,#a*:step'), ['#loss:step', '#acc:step']);
    throwsUser(
      () => parseColumnSpec(index, '=lr,=nope'),
      "invalid --columns '=lr,=nope': unknown column '=nope' at column 5"
    );
    throwsUser(
      () => parseColumnSpec(index, '=lr,'),
      "invalid --columns '=lr,': missing column name at column 5"
    );
  });

  it('selects runs by reference, range, --where, --sort and --limit', () => {
    const rows = (options: Parameters<typeof selectCompare>[1]): string[] =>
      selectCompare(index, options).rows.map(row => index.id(row));
    assert.deepEqual(rows({}), [ids[2], ids[1], ids[0]]);
    assert.deepEqual(rows({ refs: ['3', ids[1].slice(0, 6)] }), [ids[0], ids[1]]);
    assert.deepEqual(rows({ refs: ['2:'] }), [ids[1], ids[0]]);
    assert.deepEqual(rows({ refs: [':2', '1'] }), [ids[2], ids[1]]);
    assert.deepEqual(rows({ where: '#loss < 1' }), [ids[1], ids[0]]);
    assert.deepEqual(rows({ refs: ['1', '2'], where: 'label is not null' }), [ids[2]]);
    assert.deepEqual(rows({ sort: '-lr' }), [ids[2], ids[0], ids[1]]);
    assert.deepEqual(rows({ sort: '#loss', limit: 1 }), [ids[1]]);
    throwsUser(() => resolveIndexRefs(index, ['zz']), "no run matches 'zz' (see nbx runs)");
    throwsUser(() => resolveIndexRefs(index, ['3:1']), "no runs in range '3:1' (there are 3)");
    const t = selectCompare(index, { columns: '=lr,#loss' });
    assert.deepEqual(
      t.columns.map(c => c.name),
      ['id', '=lr', '#loss']
    );
  });

  it('writes CSV, JSON rows and Arrow with full precision', () => {
    const t = selectCompare(index, { columns: 'label,=lr,#loss:min,started,duration,tags' });
    assert.equal(
      compareCsv(t),
      [
        'id,label,=lr,#loss:min,started,duration,tags',
        `${ids[2]},third,0.1,,,,`,
        `${ids[1]},,0.001,0.2,2025-01-02T00:00:00.000Z,90,`,
        `${ids[0]},"first, ""quoted""",0.01,0.4,,,`
      ].join('\n') + '\n'
    );
    assert.deepEqual(compareRows(t)[1], {
      id: ids[1],
      label: null,
      '=lr': 0.001,
      '#loss:min': 0.2,
      started: '2025-01-02T00:00:00.000Z',
      duration: 90,
      tags: []
    });
    const table = arrow.tableFromIPC(arrow.tableToIPC(compareArrow(t), 'file'));
    assert.equal(table.numRows, 3);
    assert.deepEqual(
      table.schema.fields.map(f => [f.name, String(f.type)]),
      [
        ['id', 'Utf8'],
        ['label', 'Utf8'],
        ['=lr', 'Float64'],
        ['#loss:min', 'Float64'],
        ['started', 'Timestamp<MILLISECOND>'],
        ['duration', 'Float64'],
        ['tags', 'List<Utf8>']
      ]
    );
    assert.deepEqual([...(table.getChild('=lr') ?? [])], [0.1, 0.001, 0.01]);
    assert.deepEqual([...(table.getChild('#loss:min') ?? [])], [null, 0.2, 0.4]);
    // All rows in index order: the columns are the index's own vectors.
    const all = compareArrow(selectCompare(index, {}));
    assert.deepEqual(
      all.schema.fields.map(f => f.name),
      ['id', 'notebook', 'status', 'label', '=lr', '#loss', '#acc']
    );
  });
});
