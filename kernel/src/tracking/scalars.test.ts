/**
 * Scalar storage: the binary log, two writers, 1M points, summaries, tailing, and the
 * runner's RunScalars.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RUN_FILES } from '../store/run-dir';
import { tempDir } from '../testing/fixtures';
import {
  apiScalarLogName,
  decodeScalarLog,
  newScalarLogCursor,
  OUTPUT_SCALAR_LOG,
  POINT_RECORD_BYTES,
  ScalarLogWriter,
  SCALARS_DIR,
  scalarsDir
} from './scalars-format';
import {
  readRunAttrs,
  readScalarColumns,
  readScalars,
  ScalarLogTail,
  ScalarSummarizer,
  summarize,
  type IScalarPoint
} from './scalars';
import { RunScalars, type IRunScalarsUpdate } from './scalars-run';
import { parseOutputScalarsConfig } from './output-scan';

function logPath(run: string, name: string): string {
  return path.join(scalarsDir(run), name);
}

describe('scalar log', () => {
  it('lives in the directory RUN_FILES reserves', () => {
    assert.equal(RUN_FILES.scalars, SCALARS_DIR);
  });

  it('round-trips points, keys and attributes, NaN and infinities included', () => {
    const run = tempDir();
    const w = new ScalarLogWriter(logPath(run, OUTPUT_SCALAR_LOG));
    w.point('loss', 0, 1000, 0.5);
    w.point('acc', 0, 1000, NaN);
    w.point('loss', 1, 1001, -Infinity);
    w.point('ünïcode/key', 2 ** 40, 1002, 1e-300);
    w.attr('best', { epoch: 3, tags: ['a'] });
    w.attr('best', 4);
    w.close();
    assert.deepEqual(readScalars(run), [
      { key: 'loss', step: 0, time: 1000, value: 0.5 },
      { key: 'acc', step: 0, time: 1000, value: NaN },
      { key: 'loss', step: 1, time: 1001, value: -Infinity },
      { key: 'ünïcode/key', step: 2 ** 40, time: 1002, value: 1e-300 }
    ]);
    assert.deepEqual(readRunAttrs(run), { best: 4 });
  });

  it('ignores a torn last record, and the next writer cuts it off before appending', () => {
    const run = tempDir();
    const file = logPath(run, OUTPUT_SCALAR_LOG);
    const w = new ScalarLogWriter(file);
    w.point('x', 0, 1, 1);
    w.point('x', 1, 2, 2);
    w.close();
    fs.truncateSync(file, fs.statSync(file).size - 5);
    assert.deepEqual(
      readScalars(run).map(p => p.value),
      [1]
    );
    const again = new ScalarLogWriter(file);
    again.point('x', 2, 3, 3);
    again.close();
    assert.deepEqual(
      readScalars(run).map(p => [p.step, p.value]),
      [
        [0, 1],
        [2, 3]
      ]
    );
  });

  it('keeps what is readable of a corrupt log and warns', () => {
    const run = tempDir();
    const file = logPath(run, OUTPUT_SCALAR_LOG);
    const w = new ScalarLogWriter(file);
    w.point('x', 0, 1, 1);
    w.close();
    fs.appendFileSync(file, Buffer.from([0xff, 1, 2, 3]));
    const warnings: string[] = [];
    assert.equal(readScalars(run, { onWarning: m => warnings.push(m) }).length, 1);
    assert.match(warnings[0], /unknown record tag 255/);
    fs.writeFileSync(logPath(run, 'api-1.nbxs'), 'not a log at all');
    assert.equal(readScalars(run, { onWarning: m => warnings.push(m) }).length, 1);
    assert.ok(warnings.some(m => /api-1\.nbxs: not an nbx scalar log \(bad header\)/.test(m)));
  });

  it('merges two writers appending at the same time, each file in order, by wall time', () => {
    const run = tempDir();
    const out = new ScalarLogWriter(logPath(run, OUTPUT_SCALAR_LOG), { flushBytes: 100 });
    const api = new ScalarLogWriter(logPath(run, apiScalarLogName(4242)), { flushBytes: 64 });
    for (let i = 0; i < 1000; i++) {
      out.point('scanned', i, 2 * i, i);
      api.point('logged', i, 2 * i + 1, -i);
    }
    out.close();
    api.close();
    const c = readScalarColumns(run);
    assert.equal(c.length, 2000);
    for (let i = 1; i < c.length; i++) {
      assert.ok(c.time[i] >= c.time[i - 1]);
    }
    const s = summarize(c);
    assert.deepEqual(s.scanned, {
      first: 0,
      last: 999,
      min: 0,
      max: 999,
      count: 1000,
      lastStep: 999
    });
    assert.deepEqual(s.logged, {
      first: -0,
      last: -999,
      min: -999,
      max: -0,
      count: 1000,
      lastStep: 999
    });
  });

  it('stores 1M points compactly and reads them back as columns', () => {
    const run = tempDir();
    const w = new ScalarLogWriter(logPath(run, apiScalarLogName(1)));
    const keys = ['loss', 'acc', 'lr', 'grad/norm'];
    const n = 1_000_000;
    for (let i = 0; i < n; i++) {
      w.point(keys[i & 3], i >> 2, 1_700_000_000_000 + i, i * 0.5);
    }
    w.close();
    const size = fs.statSync(logPath(run, apiScalarLogName(1))).size;
    assert.ok(size < n * POINT_RECORD_BYTES + 1000, `${size} bytes`);
    const c = readScalarColumns(run);
    assert.equal(c.length, n);
    assert.deepEqual(c.keys, keys);
    for (const i of [0, 1, 12345, n - 1]) {
      assert.equal(c.keys[c.key[i]], keys[i & 3]);
      assert.equal(c.step[i], i >> 2);
      assert.equal(c.time[i], 1_700_000_000_000 + i);
      assert.equal(c.value[i], i * 0.5);
    }
    const s = summarize(c);
    assert.equal(s.loss.count, n / 4);
    assert.equal(s['grad/norm'].last, (n - 1) * 0.5);
    assert.equal(s['grad/norm'].lastStep, n / 4 - 1);
  });

  it('decodes a log given in arbitrary pieces', () => {
    const run = tempDir();
    const file = logPath(run, OUTPUT_SCALAR_LOG);
    const w = new ScalarLogWriter(file);
    for (let i = 0; i < 50; i++) {
      w.point(`k${i % 7}`, i, i, i);
      if (i % 10 === 0) {
        w.attr(`a${i}`, i);
      }
    }
    w.close();
    const bytes = fs.readFileSync(file);
    for (const size of [1, 3, 29, 64]) {
      const cursor = newScalarLogCursor();
      const points: number[] = [];
      let attrs = 0;
      let pending = Buffer.alloc(0);
      for (let i = 0; i < bytes.length; i += size) {
        pending = Buffer.concat([pending, bytes.subarray(i, i + size)]);
        const before = cursor.offset;
        decodeScalarLog(pending, cursor, { point: (_k, s) => points.push(s), attr: () => attrs++ });
        pending = pending.subarray(cursor.offset - before);
      }
      assert.equal(points.length, 50, `pieces of ${size}`);
      assert.equal(attrs, 5);
    }
  });
});

describe('summaries', () => {
  it('summarize: first, last, min, max, count, last step per key', () => {
    const points: IScalarPoint[] = [
      { key: 'loss', step: 0, time: 10, value: 0.9 },
      { key: 'loss', step: 1, time: 11, value: NaN },
      { key: 'loss', step: 2, time: 12, value: 0.3 },
      { key: 'loss', step: 3, time: 13, value: 0.5 },
      { key: 'acc', step: 5, time: 10, value: NaN }
    ];
    const s = summarize(points);
    assert.deepEqual(Object.keys(s), ['acc', 'loss']);
    assert.deepEqual(s.loss, { first: 0.9, last: 0.5, min: 0.3, max: 0.9, count: 4, lastStep: 3 });
    assert.deepEqual(s.acc, { first: NaN, last: NaN, min: NaN, max: NaN, count: 1, lastStep: 5 });
  });

  it('the incremental summarizer orders by wall time whatever the arrival order', () => {
    const z = new ScalarSummarizer();
    z.point('x', 2, 200, 2);
    z.point('x', 1, 100, 1);
    z.point('x', 3, 300, 3);
    z.point('x', 0, 50, 0);
    assert.deepEqual(z.summary().x, { first: 0, last: 3, min: 0, max: 3, count: 4, lastStep: 3 });
    const v = z.version;
    z.point('y', 0, 1, 1);
    assert.ok(z.version > v);
  });
});

describe('ScalarLogTail', () => {
  it('reads only what was appended since the last poll, new files included', () => {
    const run = tempDir();
    const tail = new ScalarLogTail(run);
    const seen: number[] = [];
    const sink = { point: (_k: string, _s: number, _t: number, v: number) => seen.push(v) };
    assert.equal(tail.poll(sink), 0, 'no scalars directory yet');
    const a = new ScalarLogWriter(logPath(run, OUTPUT_SCALAR_LOG));
    a.point('x', 0, 0, 1);
    a.flush();
    tail.poll(sink);
    assert.deepEqual(seen, [1]);
    a.point('x', 1, 1, 2);
    a.flush();
    const b = new ScalarLogWriter(logPath(run, apiScalarLogName(7)));
    b.point('y', 0, 0, 10);
    b.close();
    tail.poll(sink);
    assert.deepEqual(
      [...seen].sort((x, y) => x - y),
      [1, 2, 10]
    );
    assert.equal(tail.poll(sink), 0);
    a.close();
  });
});

describe('RunScalars', () => {
  it('scans output into the run, follows the API log, and reports summaries and attrs', () => {
    const run = tempDir();
    let clock = 1000;
    const rs = new RunScalars(run, {
      config: parseOutputScalarsConfig({}),
      flags: ['lr'],
      now: () => clock++
    });
    const updates: IRunScalarsUpdate[] = [];
    rs.start(u => updates.push(u), 60_000);
    rs.write('stdout', 'lr: 0.1\nstep=1 loss=0.5 acc=0.25\nstep=2 lo');
    rs.write('stdout', 'ss=0.4 acc=0.5\n');
    rs.write('stderr', 'warning: something\n');
    const api = new ScalarLogWriter(logPath(run, apiScalarLogName(99)));
    api.point('val_loss', 2, clock++, 0.45);
    api.attr('best', 2);
    api.close();
    const first = rs.poll();
    assert.ok(first);
    assert.deepEqual(Object.keys(first.scalars), ['acc', 'loss', 'val_loss']);
    assert.deepEqual(first.scalars.loss, {
      first: 0.5,
      last: 0.4,
      min: 0.4,
      max: 0.5,
      count: 2,
      lastStep: 2
    });
    assert.deepEqual(first.attrs, { best: 2 });
    assert.equal(rs.poll(), null, 'nothing new');
    rs.write('stdout', 'step=3 loss=0.3');
    const final = rs.close();
    assert.equal(final.scalars.loss.last, 0.3, 'the unfinished last line is scanned at close');
    assert.equal(updates.length, 1, 'close reports the last change');
    assert.deepEqual(updates[0].scalars.loss.lastStep, 3);
    assert.equal(readScalars(run).length, 6);
  });

  it('counts the points a restarted run already has, and records nothing when disabled', () => {
    const run = tempDir();
    const w = new ScalarLogWriter(logPath(run, OUTPUT_SCALAR_LOG));
    w.point('loss', 0, 1, 0.9);
    w.close();
    const rs = new RunScalars(run, {
      config: parseOutputScalarsConfig({ nbx: { output_scalars: false } })
    });
    rs.write('stdout', 'loss: 0.1\n');
    const final = rs.close();
    assert.deepEqual(final.scalars.loss, {
      first: 0.9,
      last: 0.9,
      min: 0.9,
      max: 0.9,
      count: 1,
      lastStep: 0
    });
    assert.deepEqual(fs.readdirSync(scalarsDir(run)), [OUTPUT_SCALAR_LOG]);
  });
});
