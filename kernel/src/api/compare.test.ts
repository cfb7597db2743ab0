/**
 * `nbx.runs()`, `nbx.scalars()` and `nbx.compare()` called in Node against real runs roots
 * (runs made by the store, 200 generated ones): the HTML escapes every value and marks the
 * best of each metric (per the objective when given), a big comparison shows a page of
 * rows and says how many more there are, bad arguments fail with one line naming the
 * problem, and tables reach the notebook's own apache-arrow.
 */
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import type * as Arrow from 'apache-arrow';

import { PACKAGE_ROOT } from '../base/paths';
import { generateRuns } from '../bench/gen-runs';
import { loadRunsIndex } from '../store/index';
import type { IScalarSummary, RunMeta } from '../store/meta';
import { createRun } from '../store/run-dir';
import { scalarsDir, ScalarLogWriter } from '../tracking/scalars-format';
import { ownArrowCopy } from '../testing/arrow-copy';
import { tempDir } from '../testing/fixtures';
import { renderCompareHtml, renderCompareText } from './compare-html';
import { selectView, type CompareRuns, type ICompareOptions } from './compare';
import * as nbx from './index';
import { notebookArrow, notebookTable } from './notebook-arrow';

function summary(last: number): IScalarSummary {
  return { first: last, last, min: last, max: last, count: 1, lastStep: 0 };
}

/** A runs root with `runs` made by the store, oldest first; returns it and their ids. */
function store(runs: Partial<RunMeta>[]): { home: string; ids: string[] } {
  const home = path.join(tempDir(), 'home');
  const ids = runs.map((patch, i) => {
    const dir = createRun(home, { notebook: 'train.ipynb' });
    dir.updateMeta({
      status: 'completed',
      created: new Date(Date.UTC(2026, 0, 1 + i)).toISOString(),
      started: new Date(Date.UTC(2026, 0, 1 + i)).toISOString(),
      stopped: new Date(Date.UTC(2026, 0, 1 + i) + 65_000).toISOString(),
      ...patch
    });
    return dir.id;
  });
  return { home, ids };
}

/** Three runs: loss 0.5 / 0.2 / 0.9, acc 0.7 / 0.95 / 0.6, lr 0.1 / 0.2 / 0.3. */
function threeRuns(): { home: string; ids: string[] } {
  return store(
    [
      [0.1, 0.5, 0.7],
      [0.2, 0.2, 0.95],
      [0.3, 0.9, 0.6]
    ].map(([lr, loss, acc]) => ({
      flags: { lr },
      scalars: { loss: summary(loss), acc: summary(acc) }
    }))
  );
}

function view(home: string, runs?: CompareRuns, options?: ICompareOptions) {
  return selectView(loadRunsIndex(home), runs, options);
}

interface IShown {
  head: string[];
  /** Cell texts (tags stripped, entities kept) by column title. */
  rows: Record<string, string>[];
  /** Titles of the columns whose cell is marked best, per row. */
  best: string[][];
}

/** The table of a display's HTML. */
function parseHtml(html: string): IShown {
  const head = [...html.matchAll(/<th(?: [^>]*)?>(.*?)<\/th>/g)].map(m => m[1]);
  const body = html.match(/<tbody>(.*)<\/tbody>/)?.[1] ?? '';
  const rows: Record<string, string>[] = [];
  const best: string[][] = [];
  for (const tr of body.split('</tr>').filter(t => t !== '')) {
    const cells = [...tr.matchAll(/<td(?: [^>]*)?>(.*?)<\/td>/g)].map(m => m[1]);
    rows.push(Object.fromEntries(cells.map((c, i) => [head[i], c.replace(/<[^>]*>/g, '')])));
    best.push(head.filter((_, i) => cells[i].startsWith('<b>')));
  }
  return { head, rows, best };
}

describe('nbx.compare display', () => {
  it('escapes every value: labels, flag values, tags, scalar keys', () => {
    const { home } = store([
      {
        flags: { note: '<script>alert(1)</script>' },
        label: `<img src=x onerror="alert('x')"> & co`,
        tags: ['<b>t</b>'],
        scalars: { 'a<b>': summary(1) }
      },
      { flags: { note: 'plain' }, label: 'ok', scalars: { 'a<b>': summary(2) } }
    ]);
    const v = view(home, undefined, { columns: 'label,tags,=note,#a<b>' });
    const html = renderCompareHtml(v);
    const tags = [...html.matchAll(/<\/?([a-z]+)/g)].map(m => m[1]);
    assert.deepEqual(
      [...new Set(tags)].sort(),
      ['b', 'code', 'div', 'table', 'tbody', 'td', 'th', 'thead', 'tr'],
      'only the display own tags'
    );
    assert.ok(!/<(script|img)/.test(html));
    assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    assert.match(
      html,
      /title="&lt;img src=x onerror=&quot;alert\(&#39;x&#39;\)&quot;&gt; &amp; co"/
    );
    assert.match(html, /<th[^>]*>#a&lt;b&gt;<\/th>/);
    assert.match(html, /&lt;b&gt;t&lt;\/b&gt;/);
    // The text form is the aligned table nbx compare prints.
    assert.match(renderCompareText(v), /^run +label +tags +=note +#a<b>$/m);
  });

  it('marks the lowest loss and the highest accuracy, each in its column', () => {
    const { home } = threeRuns();
    const shown = parseHtml(renderCompareHtml(view(home)));
    assert.deepEqual(shown.head, ['run', 'notebook', 'status', 'label', '=lr', '#loss', '#acc']);
    // Latest first: lr 0.3, 0.2, 0.1.
    assert.deepEqual(
      shown.rows.map(r => [r['=lr'], r['#loss'], r['#acc']]),
      [
        ['0.3', '0.9', '0.6'],
        ['0.2', '0.2', '0.95'],
        ['0.1', '0.5', '0.7']
      ]
    );
    assert.deepEqual(shown.best, [[], ['#loss', '#acc'], []]);
  });

  it('marks and sorts by the objective: -#acc highest first, #acc lowest first', () => {
    const { home } = threeRuns();
    const high = parseHtml(renderCompareHtml(view(home, undefined, { objective: '-#acc' })));
    assert.deepEqual(
      high.rows.map(r => r['#acc']),
      ['0.95', '0.7', '0.6']
    );
    assert.equal(high.best[0].includes('#acc'), true);
    const low = view(home, undefined, { objective: '#acc' });
    const shown = parseHtml(renderCompareHtml(low));
    assert.deepEqual(
      shown.rows.map(r => r['#acc']),
      ['0.6', '0.7', '0.95']
    );
    assert.deepEqual(shown.best[0], ['#acc'], 'the lowest acc is best under #acc');
    assert.deepEqual(shown.best[2], ['#loss'], 'loss is still lowest best');
    assert.match(renderCompareText(low), /^3 runs × 7 columns · objective #acc$/m);
    // The objective's column comes first among the metrics.
    assert.deepEqual(high.head.slice(-2), ['#acc', '#loss']);
  });

  it('marks every run that ties for the best', () => {
    const { home } = store([0.2, 0.4, 0.2].map(loss => ({ scalars: { loss: summary(loss) } })));
    const shown = parseHtml(renderCompareHtml(view(home)));
    assert.deepEqual(shown.best, [['#loss'], [], ['#loss']]);
  });

  it('shows 50 of 200 runs with a note; without runs, the latest 20', () => {
    const home = path.join(tempDir(), 'home');
    generateRuns(home, { count: 200 });
    const all = view(home, '1:200');
    const shown = parseHtml(renderCompareHtml(all));
    assert.equal(all.table.rows.length, 200);
    assert.equal(shown.rows.length, 50);
    assert.match(renderCompareText(all), /^150 more runs not shown \(\{ limit: N \} shows more/m);
    assert.equal(
      parseHtml(renderCompareHtml(view(home, '1:200', { limit: 120 }))).rows.length,
      120
    );
    const latest = view(home);
    assert.equal(latest.table.rows.length, 20);
    assert.deepEqual(
      latest.table.rows,
      Array.from({ length: 20 }, (_, i) => i)
    );
    assert.match(renderCompareText(latest), /the latest 20 of 200 runs/);
    // Every metric column has one best value marked somewhere among the compared runs.
    const best = parseHtml(renderCompareHtml(view(home, '1:50'))).best.flat();
    const metrics = shown.head.filter(h => h.startsWith('#'));
    assert.ok(metrics.length >= 20);
    assert.deepEqual([...new Set(best)].sort(), [...metrics].sort());
  });

  it('says there are no runs, or none matching', () => {
    const empty = path.join(tempDir(), 'home');
    assert.match(renderCompareText(view(empty)), /^no runs yet in /m);
    const { home } = threeRuns();
    assert.match(
      renderCompareText(view(home, undefined, { where: 'lr > 1' })),
      /^0 runs × \d+ columns\nno runs match$/
    );
  });
});

describe('nbx.compare arguments', () => {
  it('takes ids, prefixes, positions, ranges and tables with an id column, in their order', () => {
    const { home, ids } = threeRuns();
    const rowsOf = (runs: CompareRuns): string[] => {
      const v = view(home, runs);
      return v.table.rows.map(row => v.table.index.id(row));
    };
    assert.deepEqual(rowsOf([ids[0], ids[2].slice(0, 6)]), [ids[0], ids[2]]);
    assert.deepEqual(rowsOf('2:3'), [ids[1], ids[0]]);
    assert.deepEqual(rowsOf(['1', ids[2]]), [ids[2]]);
    // A table of another Arrow copy, such as a sweep's done().
    const arrowMain = notebookArrow(PACKAGE_ROOT);
    const table = arrowMain.tableFromArrays({ trial: [1, 2], id: [ids[1], ids[0]] });
    assert.deepEqual(rowsOf(table), [ids[1], ids[0]]);
  });

  it('fails with one line naming the problem', () => {
    const { home, ids } = threeRuns();
    const fails = (runs: unknown, options: unknown, message: RegExp): void => {
      assert.throws(
        () => view(home, runs as CompareRuns, options as ICompareOptions),
        (err: Error) => {
          assert.equal(err.name, 'NbxApiError');
          assert.match(err.message, message);
          assert.ok(!err.message.includes('\n'), err.message);
          assert.equal(err.stack, `NbxApiError: ${err.message}`);
          return true;
        }
      );
    };
    fails(
      undefined,
      { where: 'lr >> 1' },
      /^nbx\.compare: invalid where 'lr >> 1': unexpected '>' at column 5/
    );
    fails(
      undefined,
      { where: 'nope > 1' },
      /^nbx\.compare: invalid where 'nope > 1': unknown column 'nope'/
    );
    fails(['ffffffff'], undefined, /^nbx\.compare: no run matches 'ffffffff'/);
    fails([ids[0], 3], undefined, /^nbx\.compare: run references must be strings, got number/);
    fails(
      42,
      undefined,
      /^nbx\.compare: runs must be run ids, a table from nbx\.runs\(\) or nothing/
    );
    fails({ getChild: () => null }, undefined, /^nbx\.compare: the table has no id column/);
    fails(
      undefined,
      { columns: '=lr,=nope' },
      /^nbx\.compare: invalid columns '=lr,=nope': unknown column '=nope'/
    );
    fails(undefined, { sort: '-=nope' }, /^nbx\.compare: invalid sort/);
    fails(undefined, { objective: 'acc loss' }, /^nbx\.compare: invalid objective 'acc loss'/);
    fails(
      undefined,
      { objective: '-#f1' },
      /^nbx\.compare: no run has the objective's scalar 'f1'/
    );
    fails(undefined, { limit: 0 }, /^nbx\.compare: limit must be a whole number above 0, got 0/);
    fails(undefined, 'x', /^nbx\.compare: options must be an object/);
  });
});

describe('nbx.runs and nbx.scalars', () => {
  let saved: string | undefined;
  beforeEach(() => {
    saved = process.env.NBX_HOME;
  });
  afterEach(() => {
    if (saved === undefined) {
      delete process.env.NBX_HOME;
    } else {
      process.env.NBX_HOME = saved;
    }
  });

  it('returns the index, or the runs matching a where expression, as an Arrow table', () => {
    const { home, ids } = threeRuns();
    process.env.NBX_HOME = home;
    const all = nbx.runs();
    assert.equal(Object.getPrototypeOf(all), (notebookArrow() as typeof Arrow).Table.prototype);
    assert.equal(all.numRows, 3);
    assert.deepEqual(all.getChild('id')?.toJSON(), [...ids].reverse());
    const some = nbx.runs('#acc >= 0.7');
    assert.deepEqual(some.getChild('id')?.toJSON(), [ids[1], ids[0]]);
    assert.deepEqual(some.getChild('#loss')?.toJSON(), [0.2, 0.5]);
    const field = some.schema.fields.find(f => f.name === '=lr');
    assert.equal(field?.metadata.get('nbx.kind'), 'number');
    assert.throws(() => nbx.runs('lr >> 1'), /^NbxApiError: nbx\.runs: invalid where 'lr >> 1'/);
    process.env.NBX_HOME = path.join(tempDir(), 'none');
    assert.equal(nbx.runs().numRows, 0);
    assert.throws(() => nbx.runs('lr >'), /nbx\.runs: invalid where 'lr >'/);
  });

  it("returns a run's points, of one key or all", () => {
    const { home, ids } = threeRuns();
    process.env.NBX_HOME = home;
    const runPath = path.join(home, 'runs', ids[1]);
    const writer = new ScalarLogWriter(path.join(scalarsDir(runPath), 'api-1.nbxs'));
    for (let step = 0; step < 4; step++) {
      writer.point('loss', step, 1000 + step, 1 / (step + 1));
      writer.point('acc', step, 1000 + step, step / 4);
    }
    writer.point('loss', 4, 2000, NaN);
    writer.close();
    const loss = nbx.scalars(ids[1].slice(0, 6), 'loss');
    assert.deepEqual(
      loss.schema.fields.map(f => f.name),
      ['key', 'step', 'time', 'value']
    );
    assert.deepEqual(loss.getChild('step')?.toJSON(), [0, 1, 2, 3, 4]);
    assert.deepEqual(loss.getChild('value')?.toJSON(), [1, 0.5, 1 / 3, 0.25, NaN]);
    assert.equal(loss.schema.metadata.get('nbx.run'), ids[1]);
    const all = nbx.scalars('2');
    assert.equal(all.numRows, 9);
    assert.deepEqual(JSON.parse(JSON.stringify(all.toArray()[1])), {
      key: 'acc',
      step: 0,
      time: 1000,
      value: 0
    });
    assert.throws(
      () => nbx.scalars(ids[1], 'los'),
      /^NbxApiError: nbx\.scalars: run [0-9a-f]{8} has no scalar 'los' \(its keys: acc, loss\)$/
    );
    assert.throws(() => nbx.scalars('zzz'), /^NbxApiError: nbx\.scalars: no run matches 'zzz'/);
    assert.equal(nbx.scalars(ids[0]).numRows, 0);
  });

  it("reads tables back with the notebook's own apache-arrow, else nbx's", () => {
    const project = tempDir();
    ownArrowCopy(project);
    const own = notebookArrow(project);
    const table = loadRunsIndex(threeRuns().home).table;
    const mine = notebookTable(table, project);
    // Arrow 21's instanceof also answers true across copies (by a marker); the class tells.
    assert.equal(Object.getPrototypeOf(mine), own.Table.prototype, "the notebook's Table");
    assert.notEqual(own.Table, (notebookArrow(PACKAGE_ROOT) as typeof Arrow).Table);
    const again = own.tableFromIPC(own.tableToIPC(mine as unknown as Arrow.Table));
    assert.equal(again.numRows, 3);
    assert.deepEqual(notebookTable(table, tempDir()).getChild('#loss')?.toJSON(), [0.9, 0.2, 0.5]);
  });
});
