import assert from 'node:assert/strict';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';

import { UserError } from '../base/errors';
import { loadRunsIndex, type RunsIndex } from './index';
import type { RunMeta } from './meta';
import {
  compileWhere,
  filterRows,
  parseSort,
  parseStatuses,
  resolveColumn,
  sortRows,
  whereColumns
} from './query';
import { tokenize } from './query-lex';
import { parseWhereExpr, type WhereExpr } from './query-parse';
import { createRun } from './run-dir';
import { tempDir } from '../testing/fixtures';

/** A compact rendering of a parsed expression, to assert structure and precedence. */
function show(e: WhereExpr): string {
  switch (e.type) {
    case 'and':
    case 'or':
      return `(${show(e.left)} ${e.type} ${show(e.right)})`;
    case 'not':
      return `(not ${show(e.expr)})`;
    case 'compare':
      return `${e.name.text} ${e.op} ${e.value.text}`;
    case 'contains':
      return `${e.name.text} ${e.negate ? 'not ' : ''}contains ${e.value.text}`;
    case 'in':
      return `${e.name.text} ${e.negate ? 'not ' : ''}in [${e.values.map(v => v.text).join(',')}]`;
    case 'null':
      return `${e.name.text} is ${e.negate ? 'not ' : ''}null`;
  }
}

function throwsUser(fn: () => unknown, message: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof UserError, `expected a UserError, got ${String(err)}`);
    assert.equal(err.message, message);
    assert.ok(!err.message.includes('\n'));
    return true;
  });
}

describe('the --where parser', () => {
  it('parses comparisons, names with sigils and literals', () => {
    assert.equal(
      show(parseWhereExpr('lr > 0.001 and #acc >= 0.9 and status = completed')),
      '((lr > 0.001 and #acc >= 0.9) and status = completed)'
    );
    assert.equal(show(parseWhereExpr('=lr=1e-3')), '=lr = 1e-3');
    assert.equal(show(parseWhereExpr('lr=-0.5')), 'lr = -0.5');
    assert.equal(show(parseWhereExpr('#loss:min<=.25')), '#loss:min <= .25');
    assert.equal(show(parseWhereExpr('.duration != 3')), '.duration != 3');
    assert.equal(
      show(parseWhereExpr("label == \"a b\" or label <> 'c\\'d'")),
      "(label = a b or label != c'd)"
    );
    assert.equal(show(parseWhereExpr('started > 2025-11-01T10:00')), 'started > 2025-11-01T10:00');
    assert.equal(show(parseWhereExpr('sys/gpu0/util < 50')), 'sys/gpu0/util < 50');
  });

  it('gives not, and, or their precedence, and parentheses override it', () => {
    assert.equal(show(parseWhereExpr('a = 1 or b = 2 and c = 3')), '(a = 1 or (b = 2 and c = 3))');
    assert.equal(
      show(parseWhereExpr('(a = 1 or b = 2) and c = 3')),
      '((a = 1 or b = 2) and c = 3)'
    );
    assert.equal(show(parseWhereExpr('not a = 1 and b = 2')), '((not a = 1) and b = 2)');
    assert.equal(show(parseWhereExpr('NOT (a = 1 OR b = 2)')), '(not (a = 1 or b = 2))');
    assert.equal(show(parseWhereExpr('not not =x = 1')), '(not (not =x = 1))');
  });

  it('parses contains, in, not in and is [not] null', () => {
    assert.equal(show(parseWhereExpr('tags contains best')), 'tags contains best');
    assert.equal(show(parseWhereExpr('label not contains x')), 'label not contains x');
    assert.equal(show(parseWhereExpr('opt in [adam, "sgd", 3]')), 'opt in [adam,sgd,3]');
    assert.equal(show(parseWhereExpr('opt not in [adam]')), 'opt not in [adam]');
    assert.equal(show(parseWhereExpr('label is null')), 'label is null');
    assert.equal(show(parseWhereExpr('label IS NOT NULL')), 'label is not null');
  });

  it('tokenizes `=` as a flag sigil only where a comparison starts', () => {
    assert.deepEqual(
      tokenize('=a = =b').map(t => `${t.type}:${t.text}`),
      ['word:=a', 'op:=', 'op:=', 'word:b', 'end:']
    );
  });
});

describe('query errors', () => {
  const cases: [string, string][] = [
    ['lr >> 1', "unexpected '>' at column 5 (expected a value)"],
    ['lr > ', 'unexpected end of expression at column 6 (expected a value)'],
    ['lr 0.1', "unexpected '0.1' at column 4 (expected an operator)"],
    ['(lr > 1', "unexpected end of expression at column 8 (expected ')')"],
    ['lr > 1)', "unexpected ')' at column 7 (expected 'and', 'or' or the end)"],
    ['lr > 1 and', 'unexpected end of expression at column 11 (expected a column name)'],
    ['and lr > 1', "unexpected 'and' at column 1 (expected a column name)"],
    ['lr ~ 1', "unexpected '~' at column 4"],
    ["label = 'open", 'unterminated string at column 9'],
    ['opt in adam', "unexpected 'adam' at column 8 (expected '[')"],
    ['opt in [a b]', "unexpected 'b' at column 11 (expected ',' or ']')"],
    ['label is empty', "unexpected 'empty' at column 10 (expected 'null')"],
    ['label not = 1', "unexpected '=' at column 11 (expected 'in' or 'contains')"],
    ['x = and', "unexpected 'and' at column 5 (expected a value)"],
    ['', 'empty expression at column 1'],
    ['lrr > 1', "unknown column 'lrr' at column 1"],
    ['status = done or =lr > fast', "'fast' is not a number at column 24"],
    ['started > yesterday', "'yesterday' is not a date at column 11 (expected e.g. 2025-11-01)"],
    ['=amp = maybe', "'maybe' is not true or false at column 8"],
    ['lr contains 9', "'contains' needs a text column, =lr is not one at column 1"],
    ['tags > a', "'>' does not apply to tags at column 1 (expected '=', '!=', 'contains' or 'in')"]
  ];
  let index: RunsIndex;
  before(() => {
    const root = path.join(tempDir('nbx-query-'), '.nbx');
    createRun(root, { notebook: 'nb.ipynb', flags: { lr: 0.1, amp: true } });
    index = loadRunsIndex(root);
  });
  for (const [expr, message] of cases) {
    it(`reports ${JSON.stringify(expr)} on one line`, () => {
      throwsUser(() => compileWhere(index, expr), `invalid --where '${expr}': ${message}`);
    });
  }
});

describe('queries over an index', () => {
  let index: RunsIndex;
  let ids: string[];
  const runs: Partial<RunMeta>[] = [
    {
      flags: { lr: 0.01, opt: 'adam', amp: true, layers: [64, 32], mix: 1 },
      label: 'Baseline lr=0.01',
      tags: ['baseline'],
      scalars: { acc: { first: 0, last: 0.9, min: 0.1, max: 0.92, count: 3, lastStep: 2 } },
      status: 'completed',
      started: '2025-01-05T00:00:00.000Z',
      stopped: '2025-01-05T00:10:00.000Z'
    },
    {
      flags: { lr: 0.001, opt: 'sgd', amp: false, layers: [128], mix: 'auto' },
      label: null,
      tags: ['sweep', 'best'],
      scalars: { acc: { first: 0, last: 0.95, min: 0.2, max: 0.95, count: 3, lastStep: 2 } },
      status: 'completed',
      started: '2025-02-01T00:00:00.000Z',
      stopped: '2025-02-01T01:00:00.000Z'
    },
    {
      flags: { lr: 0.1, opt: 'adam', amp: false },
      label: 'diverged',
      tags: ['sweep'],
      scalars: {},
      status: 'error',
      attrs: { note: 'nan at step 3' }
    }
  ];
  before(() => {
    const root = path.join(tempDir('nbx-query-'), '.nbx');
    runs.forEach((patch, i) => {
      const dir = createRun(root, { notebook: i === 2 ? 'eval.ipynb' : 'train.ipynb' });
      dir.updateMeta({ ...patch, created: new Date(Date.UTC(2025, 0, 1 + i)).toISOString() });
    });
    index = loadRunsIndex(root);
    // Latest first: runs[2], runs[1], runs[0].
    ids = [0, 1, 2].map(k => index.id(2 - k));
  });
  /** Which of runs[0..2] match. */
  const where = (expr: string): number[] =>
    filterRows(index, { where: expr })
      .map(row => 2 - row)
      .sort();

  it('resolves names: core column, then flag, then scalar, then attribute', () => {
    assert.equal(resolveColumn(index, 'lr'), '=lr');
    assert.equal(resolveColumn(index, '=lr'), '=lr');
    assert.equal(resolveColumn(index, 'acc'), '#acc');
    assert.equal(resolveColumn(index, 'acc:min'), '#acc:min');
    assert.equal(resolveColumn(index, '#acc:last'), '#acc');
    assert.equal(resolveColumn(index, 'acc:step'), '#acc:step');
    assert.equal(resolveColumn(index, '.duration'), 'duration');
    assert.equal(resolveColumn(index, 'note'), '.note');
    assert.equal(resolveColumn(index, 'status'), 'status');
    assert.equal(resolveColumn(index, '#lr'), null);
    assert.equal(resolveColumn(index, '='), null);
    assert.deepEqual(whereColumns(index, 'lr > 1 or (acc < 2 and nope = 1)'), ['=lr', '#acc']);
  });

  it('applies every comparison operator to numbers', () => {
    assert.deepEqual(where('lr = 0.01'), [0]);
    assert.deepEqual(where('lr == 1e-2'), [0]);
    assert.deepEqual(where('lr != 0.01'), [1, 2]);
    assert.deepEqual(where('lr <> 0.01'), [1, 2]);
    assert.deepEqual(where('lr < 0.01'), [1]);
    assert.deepEqual(where('lr <= 0.01'), [0, 1]);
    assert.deepEqual(where('lr > 0.01'), [2]);
    assert.deepEqual(where('lr >= 0.01'), [0, 2]);
    assert.deepEqual(where('#acc >= 0.9'), [0, 1]);
    assert.deepEqual(where('#acc:min > 0.15'), [1]);
    assert.deepEqual(where('#acc:step = 2'), [0, 1]);
  });

  it('treats missing values as null', () => {
    assert.deepEqual(where('#acc < 2'), [0, 1]);
    assert.deepEqual(where('#acc != 0.9'), [1, 2]);
    assert.deepEqual(where('#acc is null'), [2]);
    assert.deepEqual(where('#acc is not null'), [0, 1]);
    assert.deepEqual(where('label is null'), [1]);
    assert.deepEqual(where('=layers is null'), [2]);
    assert.deepEqual(where('duration is null'), [2]);
  });

  it('compares text, booleans, dates, tags and mixed columns', () => {
    assert.deepEqual(where('opt = adam'), [0, 2]);
    assert.deepEqual(where("opt = 'sgd'"), [1]);
    assert.deepEqual(where('opt > b'), [1]);
    assert.deepEqual(where('status = completed'), [0, 1]);
    assert.deepEqual(where('notebook = eval.ipynb'), [2]);
    assert.deepEqual(where('amp = true'), [0]);
    assert.deepEqual(where('amp = FALSE'), [1, 2]);
    assert.deepEqual(where('started >= 2025-01-10'), [1]);
    assert.deepEqual(where('duration > 600'), [1]);
    assert.deepEqual(where('duration <= 600'), [0]);
    assert.deepEqual(where('tags = sweep'), [1, 2]);
    assert.deepEqual(where('tags != sweep'), [0]);
    assert.deepEqual(where('tags contains best'), [1]);
    assert.deepEqual(where('tags in [best, baseline]'), [0, 1]);
    assert.deepEqual(where('mix = 1'), [0]);
    assert.deepEqual(where('mix = auto'), [1]);
    assert.deepEqual(where('layers = "[64,32]"'), [0]);
    assert.deepEqual(where('layers contains 128'), [1]);
    assert.deepEqual(where('note contains NaN'), [2]);
  });

  it('applies contains, in and not in', () => {
    assert.deepEqual(where('label contains baseline'), [0]);
    assert.deepEqual(where('label not contains baseline'), [1, 2]);
    assert.deepEqual(where('opt in [sgd, rmsprop]'), [1]);
    assert.deepEqual(where('lr in [0.1, 0.01]'), [0, 2]);
    assert.deepEqual(where('lr not in [0.1, 0.01]'), [1]);
    assert.deepEqual(where('label not in [diverged]'), [0, 1]);
  });

  it('combines with and, or, not and parentheses', () => {
    assert.deepEqual(where('lr > 0.001 and #acc >= 0.9 and status = completed'), [0]);
    assert.deepEqual(where('opt = sgd or lr > 0.05 and status = error'), [1, 2]);
    assert.deepEqual(where('(opt = sgd or lr > 0.05) and status = completed'), [1]);
    assert.deepEqual(where('not opt = adam'), [1]);
    assert.deepEqual(where('not (opt = adam or amp = false)'), []);
  });

  it('filters by status, notebook, label and tags', () => {
    const rows = (filter: Parameters<typeof filterRows>[1]): number[] =>
      filterRows(index, filter)
        .map(row => 2 - row)
        .sort();
    assert.deepEqual(rows({ status: ['error'] }), [2]);
    assert.deepEqual(rows({ status: ['error', 'completed'] }), [0, 1, 2]);
    assert.deepEqual(rows({ notebook: 'train' }), [0, 1]);
    assert.deepEqual(rows({ notebook: 'some/dir/eval.ipynb' }), [2]);
    assert.deepEqual(rows({ label: 'BASE' }), [0]);
    assert.deepEqual(rows({ tags: ['sweep'] }), [1, 2]);
    assert.deepEqual(rows({ tags: ['sweep', 'best'] }), [1]);
    assert.deepEqual(rows({ tags: ['sweep'], status: ['error'], where: 'lr > 0' }), [2]);
    assert.deepEqual(parseStatuses(['completed,error', ' Running ']), [
      'completed',
      'error',
      'running'
    ]);
    throwsUser(
      () => parseStatuses(['done']),
      "unknown status 'done' — one of staged, queued, running, completed, error, terminated"
    );
  });

  it('sorts by several keys, descending with -, nulls last, stable', () => {
    const order = (spec: string): string[] =>
      sortRows(index, [0, 1, 2], parseSort(index, spec)).map(row => index.id(row));
    assert.deepEqual(order('-#acc'), [ids[1], ids[0], ids[2]]);
    assert.deepEqual(order('#acc'), [ids[0], ids[1], ids[2]]);
    assert.deepEqual(order('opt,-lr'), [ids[2], ids[0], ids[1]]);
    assert.deepEqual(order('opt, +lr'), [ids[0], ids[2], ids[1]]);
    assert.deepEqual(order('status'), [ids[1], ids[0], ids[2]], 'ties keep the list order');
    assert.deepEqual(order('-label'), [ids[2], ids[0], ids[1]]);
    throwsUser(
      () => parseSort(index, '-#acc,nope'),
      "invalid --sort '-#acc,nope': unknown column 'nope' at column 7"
    );
    throwsUser(
      () => parseSort(index, 'lr,,acc'),
      "invalid --sort 'lr,,acc': missing column name at column 4"
    );
  });
});
