/**
 * `listRuns` with filters, order, limit and column selection, called as the service
 * calls it (a context over a temporary runs root), its Arrow bytes decoded as the
 * frontend decodes them.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { tableFromIPC } from 'apache-arrow';

import type { RunMeta } from '../store/meta';
import { createRun } from '../store/run-dir';
import { removeRun } from '../store/runs';
import { tempDir } from '../testing/fixtures';
import { createContext } from './context';
import { listRunsMethod } from './methods-read';
import type { IMethodResult } from './protocol';
import type { Params } from './params';

interface IListResult {
  runs: number;
  matched: number;
  rows: number;
  keyMetric: string | null;
  columns: { name: string; family: string; kind: string }[];
  missing: string[];
}

describe('listRunsMethod', () => {
  const project = tempDir('nbx-list-');
  const root = path.join(project, '.nbx');
  const context = createContext({ cwd: project, env: { NBX_HOME: root }, log: () => undefined });
  const base = Date.parse('2025-11-01T10:00:00Z');
  const make = (i: number, change: Partial<RunMeta>): string => {
    const run = createRun(root, {
      notebook: path.join(project, 'train.ipynb'),
      status: 'completed'
    });
    run.updateMeta({
      created: new Date(base + i * 60_000).toISOString(),
      started: new Date(base + i * 60_000).toISOString(),
      stopped: new Date(base + i * 60_000 + 30_000).toISOString(),
      flags: { lr: 0.001 * (i + 1) },
      scalars: {
        'sys/gpu': { first: 1, last: 1, min: 1, max: 1, count: 1, lastStep: null },
        loss: { first: 1, last: 1 / (i + 1), min: 1 / (i + 1), max: 1, count: 2, lastStep: 1 }
      },
      ...change
    });
    return run.id;
  };
  const ids = [
    make(0, { label: 'a' }),
    make(1, { label: 'b', status: 'error' }),
    make(2, { label: 'c' }),
    make(3, { label: 'd', status: 'terminated' })
  ];
  const list = (params: Params): { json: IListResult; ids: string[]; names: string[] } => {
    const result: IMethodResult = listRunsMethod(params, context) as IMethodResult;
    assert.equal(result.buffers?.length, 1);
    const table = tableFromIPC(result.buffers?.[0] as Uint8Array);
    const idColumn = table.getChild('id');
    return {
      json: result.json as IListResult,
      ids: idColumn ? [...idColumn].map(String) : [],
      names: table.schema.fields.map(f => f.name)
    };
  };

  it('lists every run latest first with every column by default', () => {
    const { json, ids: listed, names } = list({});
    assert.deepEqual(listed, [...ids].reverse());
    assert.equal(json.runs, 4);
    assert.equal(json.matched, 4);
    assert.equal(json.rows, 4);
    assert.deepEqual(
      names,
      json.columns.map(c => c.name)
    );
    assert.equal(json.keyMetric, null);
  });

  it('filters with the --where language and statuses', () => {
    assert.deepEqual(list({ where: 'lr > 0.0015 and status = completed' }).ids, [ids[2]]);
    assert.deepEqual(list({ status: ['error', 'terminated'] }).ids, [ids[3], ids[1]]);
    assert.deepEqual(list({ status: 'completed', where: '#loss < 0.6' }).ids, [ids[2]]);
    const none = list({ where: 'label = zzz' });
    assert.deepEqual(none.ids, []);
    assert.equal(none.json.matched, 0);
    assert.equal(none.json.runs, 4);
  });

  it('keeps only the runs named by id or prefix, with where and sort', () => {
    const compared = list({ ids: [ids[0], ids[2].slice(0, 10), ids[3]] });
    assert.deepEqual(compared.ids, [ids[3], ids[2], ids[0]]);
    assert.equal(compared.json.matched, 3);
    assert.equal(compared.json.runs, 4);
    assert.deepEqual(list({ ids: [ids[0], ids[2], ids[3]], where: 'lr > 0.0015' }).ids, [
      ids[3],
      ids[2]
    ]);
    assert.deepEqual(list({ ids: [ids[0], ids[1]], sort: '#loss' }).ids, [ids[1], ids[0]]);
    assert.throws(() => list({ ids: ['ffffffffff'] }), /ffffffffff/);
  });

  it('with skipMissing, leaves out an id naming no run and says which', () => {
    const gone = make(4, { label: 'gone' });
    removeRun(root, gone, { force: true });
    const compared = list({ ids: [ids[0], gone, ids[2]], skipMissing: true });
    assert.deepEqual(compared.ids, [ids[2], ids[0]]);
    assert.deepEqual(compared.json.missing, [gone]);
    assert.deepEqual(list({ ids: [ids[1]], skipMissing: true }).json.missing, []);
    // Still one line for an ambiguous prefix; and an error without the option.
    assert.throws(() => list({ ids: [''], skipMissing: true }), /empty run reference/);
    assert.throws(() => list({ ids: [gone] }), new RegExp(gone));
  });

  it('sends the rows of changed runs as a small batch with the columns of the full list', () => {
    // What the Runs panel asks when a runs-changed event names runs: their rows, in its
    // columns, with the index's columns and key metric to tell whether columns changed.
    const panel = { columns: ['id', 'status', 'label', 'started'], keyMetric: true };
    const full = listRunsMethod(panel, context) as IMethodResult;
    const batch = listRunsMethod({ ...panel, ids: [ids[1], ids[3]] }, context) as IMethodResult;
    const table = tableFromIPC(batch.buffers?.[0] as Uint8Array);
    assert.deepEqual([...(table.getChild('id') ?? [])].map(String), [ids[3], ids[1]]);
    assert.deepEqual([...(table.getChild('status') ?? [])], ['terminated', 'error']);
    const json = batch.json as IListResult;
    const fullJson = full.json as IListResult;
    assert.equal(json.rows, 2);
    assert.equal(json.runs, 4);
    assert.deepEqual(json.columns, fullJson.columns);
    assert.equal(json.keyMetric, '#loss');
    assert.deepEqual(
      table.schema.fields.map(f => f.name),
      tableFromIPC(full.buffers?.[0] as Uint8Array).schema.fields.map(f => f.name)
    );
    // A run filtered out by `where` is left out of the batch (the panel drops its row).
    const filtered = list({ ...panel, ids: [ids[1], ids[2]], where: 'status = completed' });
    assert.deepEqual(filtered.ids, [ids[2]]);
  });

  it('lists changed runs by id with the new columns they bring, and refuses a gone one', () => {
    const panel = { columns: ['id', 'status'], keyMetric: true };
    listRunsMethod(panel, context);
    const extra = make(4, { label: 'e', flags: { lr: 0.1, warmup: 3 } });
    const batch = list({ ...panel, ids: [extra] });
    assert.deepEqual(batch.ids, [extra]);
    assert.ok(batch.json.columns.some(c => c.name === '=warmup'));
    assert.equal(batch.json.runs, 5);
    assert.throws(() => list({ ...panel, ids: ['f'.repeat(32)] }), /ffffffff/);
    removeRun(root, extra);
  });

  it('sorts and limits', () => {
    assert.deepEqual(list({ sort: 'label' }).ids, ids);
    // Reordered rows are rebuilt columns; the dictionary-encoded status must survive that.
    const sorted = listRunsMethod({ sort: 'label', columns: ['status'] }, context);
    const statuses = tableFromIPC(sorted.buffers?.[0] as Uint8Array).getChild('status');
    assert.deepEqual(statuses ? [...statuses] : [], [
      'completed',
      'error',
      'completed',
      'terminated'
    ]);
    assert.deepEqual(list({ sort: '-#loss' }).ids, ids);
    const limited = list({ sort: 'lr', limit: 2 });
    assert.deepEqual(limited.ids, ids.slice(0, 2));
    assert.equal(limited.json.matched, 4);
    assert.equal(limited.json.rows, 2);
  });

  it('sends only the columns asked for, plus the key metric', () => {
    const { json, names } = list({ columns: ['id', 'status', 'nope', 'lr'], keyMetric: true });
    assert.equal(json.keyMetric, '#loss');
    assert.deepEqual(names, ['id', 'status', '=lr', '#loss']);
    assert.ok(
      json.columns.some(c => c.name === '#sys/gpu'),
      'columns lists the whole index'
    );
  });

  it('answers bad expressions with one line', () => {
    assert.throws(
      () => list({ where: 'lr >> 1' }),
      /^UserError: invalid where 'lr >> 1': unexpected '>' at column 5/
    );
    assert.throws(() => list({ where: 'nope = 1' }), /unknown column 'nope'/);
    assert.throws(() => list({ sort: '-nope' }), /invalid sort '-nope'/);
    assert.throws(() => list({ status: 'done' }), /unknown status 'done'/);
    assert.throws(() => list({ limit: -1 }), /'limit' must be a whole number/);
  });

  it('filters the JSON records too', () => {
    const result = listRunsMethod({ format: 'json', where: 'label in [a, c]' }, context) as {
      json: { metas: RunMeta[]; matched: number };
    };
    assert.deepEqual(
      result.json.metas.map(m => m.label),
      ['c', 'a']
    );
    assert.equal(result.json.matched, 2);
  });
});
