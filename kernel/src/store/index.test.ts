import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';

import { loadRunsIndex, type ILoadRunsIndexOptions, type RunsIndex } from './index';
import { arrow } from './index-arrow';
import {
  indexCachePath,
  indexCorePath,
  readIndexCache,
  readIndexCore,
  readMetaFile
} from './index-cache';
import type { RunMeta } from './meta';
import { processStartToken } from './process';
import { createRun, type RunDir } from './run-dir';
import { removeRun } from './runs';
import { tempDir } from '../testing/fixtures';

function tempRoot(): string {
  return path.join(tempDir('nbx-index-'), '.nbx');
}

/** A run made the way the engine makes them, created `minutes` after 2025-01-01. */
function run(root: string, minutes: number, patch: Partial<RunMeta> = {}): RunDir {
  const dir = createRun(root, { notebook: '/p/train.ipynb' });
  const created = new Date(Date.UTC(2025, 0, 1) + minutes * 60_000).toISOString();
  dir.updateMeta({ created, status: 'completed', ...patch });
  return dir;
}

function scalar(last: number, min = last, max = last): RunMeta['scalars'][string] {
  return { first: max, last, min, max, count: 3, lastStep: 2 };
}

function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid;
}

/** Loads with a reader that counts meta.json reads. */
function load(
  root: string,
  options: ILoadRunsIndexOptions = {}
): { index: RunsIndex; reads: string[]; warnings: string[] } {
  const reads: string[] = [];
  const warnings: string[] = [];
  const index = loadRunsIndex(root, {
    onWarning: w => warnings.push(w),
    readFile: file => {
      reads.push(path.basename(path.dirname(file)));
      return readMetaFile(file);
    },
    ...options
  });
  return { index, reads, warnings };
}

function column(index: RunsIndex, name: string): unknown[] {
  return Array.from({ length: index.numRows }, (_, row) => index.value(row, name));
}

test('an empty or missing runs root gives an empty index', () => {
  const root = tempRoot();
  const { index, warnings } = load(root);
  assert.equal(index.numRows, 0);
  assert.deepEqual(warnings, []);
  assert.deepEqual(
    index.columns.map(c => c.name),
    [
      'id',
      'notebook',
      'status',
      'label',
      'tags',
      'created',
      'started',
      'stopped',
      'duration',
      'kind',
      'parent',
      'slurm'
    ]
  );
  assert.equal(index.table.numRows, 0);
  assert.ok(!fs.existsSync(root), 'listing does not create a runs root');
});

test('the index has typed core, flag, attr and scalar columns, latest first', () => {
  const root = tempRoot();
  const a = run(root, 1, {
    flags: { lr: 0.01, optimizer: 'adam', layers: [64, 32], debug: false },
    label: 'lr=0.01',
    tags: ['baseline', 'v2'],
    started: '2025-01-01T00:01:10.000Z',
    stopped: '2025-01-01T00:03:10.500Z',
    scalars: { loss: scalar(0.25, 0.2, 2.3), acc: scalar(0.91, 0.1, 0.93) },
    attrs: { params: 1200 }
  });
  const b = run(root, 2, {
    flags: { lr: 0.1, optimizer: 'sgd', layers: [128], debug: true },
    scalars: { loss: scalar(0.5) },
    status: 'error'
  });
  const { index, reads } = load(root);
  assert.equal(reads.length, 2);
  assert.equal(index.stats.cache, 'rebuilt');
  assert.ok(index.stats.written);
  assert.deepEqual(column(index, 'id'), [b.id, a.id]);
  assert.deepEqual(column(index, 'notebook'), ['train.ipynb', 'train.ipynb']);
  assert.deepEqual(column(index, 'status'), ['error', 'completed']);
  assert.deepEqual(column(index, 'label'), [null, 'lr=0.01']);
  assert.deepEqual(column(index, 'tags'), [[], ['baseline', 'v2']]);
  assert.deepEqual(column(index, 'started'), [null, Date.parse('2025-01-01T00:01:10.000Z')]);
  assert.deepEqual(column(index, 'duration'), [null, 120.5]);
  assert.deepEqual(column(index, '=lr'), [0.1, 0.01]);
  assert.deepEqual(column(index, '=optimizer'), ['sgd', 'adam']);
  assert.deepEqual(column(index, '=layers'), ['[128]', '[64,32]']);
  assert.deepEqual(column(index, '=debug'), [true, false]);
  assert.deepEqual(column(index, '.params'), [null, 1200]);
  assert.deepEqual(column(index, '#loss'), [0.5, 0.25]);
  assert.deepEqual(column(index, '#loss:min'), [0.5, 0.2]);
  assert.deepEqual(column(index, '#loss:max'), [0.5, 2.3]);
  assert.deepEqual(column(index, '#acc'), [null, 0.91]);

  const types = Object.fromEntries(index.table.schema.fields.map(f => [f.name, String(f.type)]));
  assert.equal(types['=lr'], 'Float64');
  assert.equal(types['=optimizer'], 'Utf8');
  assert.equal(types['=debug'], 'Bool');
  assert.equal(types['=layers'], 'Utf8');
  assert.equal(types['#loss:min'], 'Float64');
  assert.equal(types.started, 'Timestamp<MILLISECOND>');
  assert.equal(types.duration, 'Float64');
  assert.equal(types.tags, 'List<Utf8>');
  assert.ok(!index.table.schema.fields.some(f => f.name.startsWith('_')), 'no hidden columns');
  assert.deepEqual(
    index.columns.filter(c => c.family === 'flag').map(c => [c.name, c.kind]),
    [
      ['=lr', 'number'],
      ['=optimizer', 'string'],
      ['=layers', 'json'],
      ['=debug', 'bool']
    ]
  );

  const row = index.toRow(1);
  assert.equal(row.index, 2);
  assert.deepEqual(row.flags, { lr: 0.01, optimizer: 'adam', layers: [64, 32], debug: false });
  assert.deepEqual(row.scalars.loss, { last: 0.25, min: 0.2, max: 2.3 });
  assert.equal(row.started, '2025-01-01T00:01:10.000Z');
  assert.equal(index.rowOf(a.id), 1);

  // The public table survives an IPC round trip with its kinds.
  const back = arrow.tableFromIPC(index.toIPC());
  assert.equal(back.numRows, 2);
  assert.equal(
    back.schema.fields.find(f => f.name === '=layers')?.metadata.get('nbx.kind'),
    'json'
  );
  const picked = index.select([1], ['id', '=lr', '#loss']);
  assert.deepEqual(
    picked.toArray().map(r => r.toJSON()),
    [{ id: a.id, '=lr': 0.01, '#loss': 0.25 }]
  );
});

test("the step of each key's last value is a column, #key:step, kept by a warm refresh", () => {
  const root = tempRoot();
  const a = run(root, 1, { scalars: { loss: { ...scalar(0.25), lastStep: 4999 } } });
  run(root, 2, { scalars: { acc: { ...scalar(0.9), lastStep: 12 } } });
  const cold = load(root).index;
  assert.deepEqual(column(cold, '#loss:step'), [null, 4999]);
  assert.deepEqual(column(cold, '#acc:step'), [12, null]);
  assert.equal(cold.column('#loss:step')?.kind, 'number');
  // Not a summary of values: the row's scalars keep last/min/max only.
  assert.deepEqual(cold.toRow(1).scalars.loss, { last: 0.25, min: 0.25, max: 0.25 });
  // A warm load copies the column from the cache without reading the unchanged run.
  run(root, 3, { scalars: { loss: { ...scalar(0.1), lastStep: 7 } } });
  const warm = load(root);
  assert.ok(!warm.reads.includes(a.id));
  assert.deepEqual(column(warm.index, '#loss:step'), [7, null, 4999]);
});

test('a run on Slurm has its job in the slurm column: queue place while it waits, then the node', () => {
  const root = tempRoot();
  const placement = { partition: 'gpu' };
  const waiting = run(root, 1, {
    status: 'queued',
    slurm: {
      jobId: '4242',
      partition: 'gpu',
      node: '',
      placement,
      queue: { position: 3, reason: 'Priority' }
    }
  });
  run(root, 2);
  assert.deepEqual(column(load(root).index, 'slurm'), [
    null,
    '4242 · gpu · #3 in queue (Priority)'
  ]);
  waiting.updateMeta({
    status: 'completed',
    slurm: { jobId: '4242', partition: 'gpu', node: 'node01', placement, queue: null }
  });
  const warm = load(root).index;
  assert.deepEqual(column(warm, 'slurm'), [null, '4242 · gpu · node01']);
  assert.equal(warm.toRow(1).slurm, '4242 · gpu · node01');
  assert.equal(warm.toRow(0).slurm, null);
});

test('a refresh re-reads only new and changed runs and drops deleted ones', () => {
  const root = tempRoot();
  const runs = [0, 1, 2, 3].map(i => run(root, i, { flags: { lr: i / 10 } }));
  assert.equal(load(root).reads.length, 4);

  const warm = load(root);
  assert.deepEqual(warm.reads, []);
  assert.equal(warm.index.stats.cache, 'fresh');
  assert.equal(warm.index.stats.written, false);
  assert.equal(warm.index.numRows, 4);

  runs[1].updateMeta({ flags: { lr: 0.99 }, label: 'changed' });
  const changed = load(root);
  assert.deepEqual(changed.reads, [runs[1].id]);
  assert.equal(changed.index.stats.cache, 'updated');
  assert.deepEqual(column(changed.index, '=lr'), [0.3, 0.2, 0.99, 0]);
  assert.deepEqual(column(changed.index, 'label'), [null, null, 'changed', null]);

  const added = run(root, 10, { flags: { lr: 1, extra: 'x' } });
  const withNew = load(root);
  assert.deepEqual(withNew.reads, [added.id]);
  assert.deepEqual(column(withNew.index, 'id'), [added.id, ...[3, 2, 1, 0].map(i => runs[i].id)]);
  assert.deepEqual(column(withNew.index, '=extra'), ['x', null, null, null, null]);

  removeRun(root, added.id);
  removeRun(root, runs[0].id);
  const deleted = load(root);
  assert.deepEqual(deleted.reads, []);
  assert.equal(deleted.index.stats.removed, 2);
  assert.deepEqual(
    column(deleted.index, 'id'),
    [3, 2, 1].map(i => runs[i].id)
  );
  assert.equal(deleted.index.column('=extra'), undefined, 'a flag no run has any more is gone');
  assert.deepEqual(load(root).reads, []);
});

test('a flag column turns to text when a run brings another type, and back when it goes', () => {
  const root = tempRoot();
  run(root, 0, { flags: { lr: 0.1 } });
  const odd = run(root, 1, { flags: { lr: 'auto' } });
  const mixed = load(root).index;
  assert.equal(mixed.column('=lr')?.kind, 'mixed');
  assert.deepEqual(column(mixed, '=lr'), ['auto', '0.1']);
  assert.deepEqual(mixed.flags(1), { lr: 0.1 });
  // An unrelated change keeps the mixed column as it was.
  const other = run(root, 2, { flags: { lr: true } });
  const three = load(root);
  assert.deepEqual(three.reads, [other.id]);
  assert.deepEqual(column(three.index, '=lr'), ['true', 'auto', '0.1']);
  assert.deepEqual(three.index.flags(0), { lr: true });
  removeRun(root, other.id);
  removeRun(root, odd.id);
  const { index, reads } = load(root);
  assert.deepEqual(reads, []);
  assert.equal(index.column('=lr')?.kind, 'number');
  assert.deepEqual(column(index, '=lr'), [0.1]);
});

test('a corrupt or missing meta.json is skipped with a warning, and not re-read until it changes', () => {
  const root = tempRoot();
  const good = run(root, 0);
  const bad = run(root, 1);
  fs.writeFileSync(bad.metaPath, '{"id": "x", "stat');
  fs.mkdirSync(path.join(root, 'runs', 'empty'));
  fs.writeFileSync(path.join(root, 'runs', 'stray-file'), '');
  fs.mkdirSync(path.join(root, 'runs', '.removing-y'));
  const first = load(root);
  assert.deepEqual(column(first.index, 'id'), [good.id]);
  assert.deepEqual(
    first.warnings.sort(),
    [
      `skipping run ${bad.path}: meta.json is not valid JSON`,
      `skipping run ${path.join(root, 'runs', 'empty')}: no meta.json`
    ].sort()
  );
  assert.equal(first.index.stats.skipped, 2);

  const again = load(root);
  assert.deepEqual(again.reads, [], 'the corrupt file is remembered by its stat');
  assert.equal(again.index.stats.cache, 'fresh');
  assert.equal(again.warnings.length, 2, 'but still warned about');

  fs.writeFileSync(bad.metaPath, JSON.stringify({ ...good.readMeta(), id: bad.id }));
  const fixed = load(root);
  assert.deepEqual(fixed.reads, [bad.id]);
  assert.equal(fixed.index.numRows, 2);
  assert.equal(fixed.warnings.length, 1);
});

test('a meta.json edited, truncated, garbled or deleted in place shows at the next load', () => {
  const root = tempRoot();
  const runs = [0, 1, 2, 3, 4].map(i => run(root, i, { label: `run ${i}` }));
  const ids = (index: RunsIndex): unknown[] => column(index, 'id');
  assert.equal(load(root).index.numRows, 5);
  assert.equal(load(root).index.stats.cache, 'fresh');
  const runsDirMtime = fs.statSync(path.join(root, 'runs')).mtimeMs;

  // Written in place, as an editor or a script would: the runs directory does not change.
  const edit = (dir: RunDir, patch: Partial<RunMeta>): void =>
    fs.writeFileSync(dir.metaPath, JSON.stringify({ ...dir.readMeta(), ...patch }, null, 1));
  edit(runs[0], { status: 'error', label: 'edited by hand' });
  const edited = load(root);
  assert.deepEqual(edited.reads, [runs[0].id]);
  assert.equal(edited.index.value(edited.index.rowOf(runs[0].id), 'status'), 'error');
  assert.equal(edited.index.value(edited.index.rowOf(runs[0].id), 'label'), 'edited by hand');
  assert.deepEqual(edited.warnings, []);

  fs.truncateSync(runs[1].metaPath, 0);
  fs.writeFileSync(runs[2].metaPath, 'garbage');
  fs.rmSync(runs[3].metaPath);
  assert.equal(fs.statSync(path.join(root, 'runs')).mtimeMs, runsDirMtime);
  const broken = load(root);
  assert.deepEqual(ids(broken.index), [runs[4].id, runs[0].id]);
  assert.deepEqual(
    broken.warnings.sort(),
    [
      `skipping run ${runs[1].path}: meta.json is not valid JSON`,
      `skipping run ${runs[2].path}: meta.json is not valid JSON`,
      `skipping run ${runs[3].path}: no meta.json`
    ].sort()
  );
  const again = load(root);
  assert.deepEqual(ids(again.index), ids(broken.index));
  assert.equal(again.warnings.length, 3, 'one warning per skipped run at every load');
  assert.deepEqual(again.reads, [], 'a skipped meta.json is not re-read until it changes');

  edit(runs[4], { label: 'also by hand' });
  fs.writeFileSync(runs[3].metaPath, JSON.stringify({ ...runs[4].readMeta(), id: runs[3].id }));
  const fixed = load(root);
  assert.deepEqual(fixed.reads.sort(), [runs[3].id, runs[4].id].sort());
  assert.equal(fixed.index.numRows, 3);
  assert.equal(fixed.index.value(fixed.index.rowOf(runs[4].id), 'label'), 'also by hand');
});

test('a meta.json that is a symbolic link is skipped, cold and warm', () => {
  const root = tempRoot();
  const runs = [0, 1].map(i => run(root, i, { label: `run ${i}` }));
  const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'nbx-outside-'));
  const elsewhere = path.join(outside, 'meta.json');
  fs.copyFileSync(runs[1].metaPath, elsewhere);
  fs.rmSync(runs[1].metaPath);
  fs.symlinkSync(elsewhere, runs[1].metaPath);
  const why = `skipping run ${runs[1].path}: meta.json is a symbolic link`;
  for (const cache of [false, true, true]) {
    const { index, warnings } = load(root, { cache });
    assert.deepEqual(column(index, 'id'), [runs[0].id]);
    assert.deepEqual(warnings, [why]);
  }
  fs.rmSync(outside, { recursive: true, force: true });
});

test('a missing, corrupt or truncated cache is rebuilt silently', () => {
  const root = tempRoot();
  run(root, 0, { flags: { lr: 0.1 } });
  run(root, 1, { flags: { lr: 0.2 } });
  load(root);
  const file = indexCachePath(root);
  const bytes = fs.readFileSync(file);
  for (const broken of [
    Buffer.from('not arrow at all'),
    bytes.subarray(0, bytes.length >> 1),
    Buffer.alloc(0)
  ]) {
    fs.writeFileSync(file, broken);
    const { index, reads, warnings } = load(root);
    assert.equal(index.stats.cache, 'rebuilt');
    assert.equal(reads.length, 2);
    assert.deepEqual(warnings, []);
    assert.deepEqual(column(index, '=lr'), [0.2, 0.1]);
    assert.notEqual(readIndexCache(root), null, 'rewritten');
  }
  fs.rmSync(file);
  assert.equal(load(root).index.stats.cache, 'rebuilt');
  // Without the cache option nothing is read from or written to the cache.
  fs.rmSync(file);
  const uncached = load(root, { cache: false });
  assert.equal(uncached.index.numRows, 2);
  assert.ok(!fs.existsSync(file));
});

test('the status is effective: a running run whose runner is gone reads as terminated', async () => {
  const root = tempRoot();
  const dead = run(root, 0, {
    status: 'running',
    pid: deadPid(),
    host: os.hostname(),
    started: new Date(Date.now() - 60_000).toISOString()
  });
  const elsewhere = run(root, 1, { status: 'running', pid: deadPid(), host: 'other-host' });
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  await new Promise(resolve => child.once('spawn', resolve));
  const pid = child.pid as number;
  const live = run(root, 2, {
    status: 'running',
    pid,
    pidStart: processStartToken(pid),
    host: os.hostname(),
    started: new Date(Date.now() - 5000).toISOString()
  });
  try {
    const { index } = load(root);
    const status = (dir: RunDir): unknown => index.value(index.rowOf(dir.id), 'status');
    assert.equal(status(dead), 'terminated');
    assert.equal(status(elsewhere), 'running', 'another host is trusted as recorded');
    assert.equal(status(live), 'running');
    const duration = index.value(index.rowOf(live.id), 'duration') as number;
    assert.ok(duration >= 5 && duration < 60, `a running run counts until now (${duration})`);
    assert.equal(dead.readMeta().status, 'running', 'the record is not rewritten');
    const deadDuration = index.value(index.rowOf(dead.id), 'duration');
    const lastWrite = fs.statSync(dead.metaPath).mtimeMs;
    const started = Date.parse(dead.readMeta().started ?? '');
    assert.equal(
      deadDuration,
      (lastWrite - started) / 1000,
      'a dead run counts until its last write'
    );
  } finally {
    child.kill('SIGKILL');
    await new Promise(resolve => child.once('exit', resolve));
  }
  // Nothing changed on disk: the cache is used as is, and the status still checked.
  const { index, reads } = load(root);
  assert.deepEqual(reads, []);
  assert.equal(index.value(index.rowOf(live.id), 'status'), 'terminated');
});

test('concurrent refreshes never leave a torn cache', async () => {
  const root = tempRoot();
  for (let i = 0; i < 40; i++) {
    run(root, i, { flags: { lr: i }, scalars: { loss: scalar(i) } });
  }
  const script = `require(${JSON.stringify(path.join(__dirname, 'index.js'))}).loadRunsIndex(${JSON.stringify(root)})`;
  for (let round = 0; round < 3; round++) {
    fs.rmSync(indexCachePath(root), { force: true });
    const children = Array.from({ length: 4 }, () =>
      spawn(process.execPath, ['-e', script], { stdio: 'ignore' })
    );
    const codes = await Promise.all(
      children.map(c => new Promise<number | null>(resolve => c.once('exit', resolve)))
    );
    assert.deepEqual(codes, [0, 0, 0, 0]);
    const cached = readIndexCache(root);
    assert.ok(cached, 'a complete cache');
    assert.equal(cached.table.numRows, 40);
    assert.deepEqual(fs.readdirSync(path.dirname(indexCachePath(root))).sort(), [
      'runs-index-core.arrow',
      'runs-index.arrow'
    ]);
    // Two writers may cross (one's core file last, the other's full file): that core file
    // is never used, and the next listing that wants it writes it again.
    const listed = load(root, { coreOnly: true });
    assert.deepEqual([listed.index.numRows, listed.reads], [40, []]);
    assert.notEqual(readIndexCore(root), null, 'a core file that matches the full one');
  }
  const { index, reads } = load(root);
  assert.deepEqual(reads, []);
  assert.equal(index.numRows, 40);
});

test('a listing of the core columns reads the core file, and never a stale one', () => {
  const root = tempRoot();
  const a = run(root, 0, { flags: { lr: 0.1 }, label: 'first' });
  run(root, 1, { flags: { lr: 0.2 }, label: 'second' });
  load(root);
  const core = readIndexCore(root);
  assert.ok(core, 'written beside the full file');
  assert.equal(core.table.getChild('=lr'), null, 'no flag columns in it');
  const fresh = load(root, { coreOnly: true });
  assert.deepEqual([fresh.index.stats.cache, fresh.reads], ['fresh', []]);
  assert.deepEqual(column(fresh.index, 'label'), ['second', 'first']);
  assert.equal(fresh.index.column('=lr'), undefined);

  // An edit by hand: the core load notices it and answers from an updated full index.
  const oldCore = fs.readFileSync(indexCorePath(root));
  const meta = JSON.parse(fs.readFileSync(a.metaPath, 'utf8')) as RunMeta;
  fs.writeFileSync(a.metaPath, JSON.stringify({ ...meta, label: 'edited', status: 'error' }));
  const edited = load(root, { coreOnly: true });
  assert.deepEqual(edited.reads, [a.id]);
  assert.deepEqual(edited.warnings, []);
  assert.deepEqual(column(edited.index, 'label'), ['second', 'edited']);
  assert.deepEqual(column(edited.index, 'status'), ['completed', 'error']);

  // A core file left from before the full file was replaced is never used.
  fs.writeFileSync(indexCorePath(root), oldCore);
  assert.equal(readIndexCore(root), null);
  const again = load(root, { coreOnly: true });
  assert.deepEqual(column(again.index, 'label'), ['second', 'edited']);
  assert.deepEqual(again.reads, [], 'the full cache was current');
  assert.notEqual(readIndexCore(root), null, 'and the core file is written again');

  // A corrupt run seen through the core file is warned about once.
  fs.writeFileSync(a.metaPath, '{ not json');
  const broken = load(root, { coreOnly: true });
  assert.equal(broken.warnings.length, 1, broken.warnings.join('\n'));
  const after = load(root, { coreOnly: true });
  assert.deepEqual([after.index.stats.cache, after.warnings.length], ['fresh', 1]);
  assert.deepEqual(column(after.index, 'label'), ['second']);
});
