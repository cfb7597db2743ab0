/**
 * The sweep's state, display and table, from fake batch and trial records (no CLI, no
 * kernel): what the reader makes of the records, how the display renders them, how the
 * Sweep watches, finishes and is interrupted.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';

import type { IScalarSummary, RunMeta } from '../store/meta';
import { processStartToken } from '../store/process';
import { createRun, type RunDir, type RunInit } from '../store/run-dir';
import { tempDir } from '../testing/fixtures';
import { findTslabJupyter, type ISweepOutput } from './sweep-display';
import { Sweep } from './sweep';
import { formatElapsed, formatNumber, parseObjective } from '../base/display';
import { SweepReader, type ISweepState, type ITrialState } from '../scheduler/sweep-status';
import { sweepTable } from './sweep-table';
import {
  changeLines,
  escapeHtml,
  headerLine,
  renderHtml,
  renderText,
  shownTrials
} from './sweep-view';

const NB = '/project/train.ipynb';

function summary(last: number): IScalarSummary {
  return { first: last, last, min: last, max: last, count: 1, lastStep: 0 };
}

/** A pid that no process has (any more). */
function deadPid(): number {
  const r = spawnSync('true');
  assert.ok(r.pid);
  return r.pid;
}

/** Held by this (live) process. */
const alive = (): Partial<RunInit> => ({
  pid: process.pid,
  pidStart: processStartToken(process.pid)
});

interface IFake {
  root: string;
  batch: RunDir;
  trials: RunDir[];
}

/** A batch (running, held by this process) and its trials. */
function fakeSweep(trials: Partial<RunInit>[], batch: Partial<RunInit> = {}): IFake {
  const root = tempDir();
  const b = createRun(root, {
    notebook: NB,
    kind: 'batch',
    status: 'running',
    ...alive(),
    ...batch
  });
  const dirs = trials.map(t =>
    createRun(root, { notebook: NB, status: 'queued', parent: b.id, ...alive(), ...t })
  );
  b.updateMeta({
    trials: dirs.map(d => d.id),
    batch: {
      kind: 'grid',
      seed: null,
      parallel: 2,
      gpus: null,
      gpusPerTrial: 1,
      objective: null,
      ...(batch.batch ?? {})
    }
  });
  return { root, batch: b, trials: dirs };
}

const iso = (msAgo: number, now: number = Date.now()): string =>
  new Date(now - msAgo).toISOString();

/** Completed, running, failed and queued trials, and the objective `#loss`. */
function fourTrials(): IFake {
  // One clock reading, so a trial's stop minus its start is exact.
  const now = Date.now();
  return fakeSweep(
    [
      {
        status: 'completed',
        flags: { lr: 0.001, epochs: 3 },
        started: iso(65_000, now),
        stopped: iso(5_000, now),
        scalars: { loss: summary(0.25), 'sys/cpu': summary(50) }
      },
      {
        status: 'running',
        flags: { lr: 0.01, epochs: 3 },
        started: iso(3_000, now),
        scalars: { loss: summary(0.5), acc: summary(0.9) }
      },
      {
        status: 'error',
        flags: { lr: 0.1, epochs: 3 },
        started: iso(3_000, now),
        stopped: iso(1_000, now),
        error: 'ReferenceError: <y> is not defined'
      },
      { status: 'queued', flags: { lr: 1, epochs: 3 } }
    ],
    { batch: { objective: '#loss' } as RunMeta['batch'] }
  );
}

function read(f: IFake, given: string[] = ['lr']): ISweepState {
  return new SweepReader(f.root, f.batch.readMeta(), given).read();
}

/** An output that records what it was asked to show. */
class Recorder implements ISweepOutput {
  readonly rich = true;
  shown: { html: string; text: string }[] = [];
  printed: string[] = [];
  show(html: string, text: string): void {
    this.shown.push({ html, text });
  }
  lines(lines: readonly string[]): void {
    this.printed.push(...lines);
  }
  get last(): string {
    return this.shown[this.shown.length - 1]?.text ?? '';
  }
}

function finish(dir: RunDir, loss: number): void {
  dir.updateMeta({
    status: 'completed',
    started: iso(2000),
    stopped: iso(0),
    scalars: { loss: summary(loss) }
  });
}

const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms));

/** After the SIGINT listener is added or removed (from the event loop, see Sweep). */
const settled = (): Promise<void> => new Promise(resolve => setImmediate(resolve));

describe('sweep state from the records', () => {
  it('reads trials in order with their effective statuses', () => {
    const f = fakeSweep([
      { status: 'running', flags: { lr: 1 } },
      { status: 'running', flags: { lr: 2 }, pid: deadPid(), pidStart: null },
      { status: 'completed', flags: { lr: 3 } }
    ]);
    const s = read(f);
    assert.deepEqual(
      s.trials.map(t => [t.index, t.status]),
      [
        [1, 'running'],
        [2, 'terminated'],
        [3, 'completed']
      ]
    );
    assert.equal(s.finished, false);
    assert.deepEqual(s.flagNames, ['lr']);
  });

  it('a queued trial of a finished batch, or of a dead batch runner, will never start', () => {
    const done = fakeSweep([{ status: 'completed' }, { status: 'queued' }], {
      status: 'terminated'
    });
    const s = read(done);
    assert.deepEqual(
      s.trials.map(t => t.status),
      ['completed', 'terminated']
    );
    assert.equal(s.finished, true);
    const dead = fakeSweep([{ status: 'queued', pid: null }], { pid: deadPid(), pidStart: null });
    assert.equal(read(dead).trials[0].status, 'terminated');
    assert.equal(read(dead).finished, true);
  });

  it('a trial whose record is missing reads as queued', () => {
    const f = fakeSweep([{ status: 'running' }, { status: 'queued' }]);
    fs.rmSync(f.trials[1].path, { recursive: true });
    const s = read(f);
    assert.equal(s.trials[1].status, 'queued');
    assert.equal(s.trials[1].seen, false);
  });

  it('shows the given flags, then the others that vary', () => {
    const f = fakeSweep([
      { flags: { lr: 1, epochs: 3, seed: 1 } },
      { flags: { lr: 2, epochs: 3, seed: 2 } }
    ]);
    assert.deepEqual(read(f, ['lr']).flagNames, ['lr', 'seed']);
  });

  it('a single run is a sweep of one', () => {
    const root = tempDir();
    const run = createRun(root, { notebook: NB, status: 'completed', flags: { lr: 1 } });
    const s = new SweepReader(root, run.readMeta(), ['lr']).read();
    assert.deepEqual(
      s.trials.map(t => t.id),
      [run.id]
    );
    assert.equal(s.finished, true);
  });

  it('reads objectives as --sort reads keys', () => {
    assert.deepEqual(parseObjective('#loss'), { key: 'loss', descending: false, text: '#loss' });
    assert.deepEqual(parseObjective('-#acc'), { key: 'acc', descending: true, text: '-#acc' });
    assert.deepEqual(parseObjective('acc'), { key: 'acc', descending: false, text: '#acc' });
    assert.equal(parseObjective(''), null);
  });
});

describe('sweep display', () => {
  it('renders a header, one row per trial, errors and notes as text', () => {
    const s = read(fourTrials());
    const text = renderText(s, [{ kind: 'warning', text: 'a note' }]);
    const lines = text.split('\n');
    assert.match(
      lines[0],
      /^sweep [0-9a-f]{8} · train\.ipynb · 4 trials: 1 running · 1 queued · 1 completed · 1 failed · best #loss 0\.25 \(trial 1\)$/
    );
    assert.match(lines[1], /^#\s+trial\s+lr\s+status\s+elapsed\s+loss\s+acc$/);
    assert.match(lines[2], /^1\s+[0-9a-f]{8}\s+0\.001\s+completed\s+1:00\s+0\.25$/);
    assert.match(lines[3], /^2\s+[0-9a-f]{8}\s+0\.01\s+running\s+3s\s+0\.5\s+0\.9$/);
    assert.match(lines[4], /^3\s+[0-9a-f]{8}\s+0\.1\s+error\s+2s$/);
    assert.match(lines[5], /^4\s+[0-9a-f]{8}\s+1\s+queued$/);
    assert.match(lines[6], /^trial 3 \([0-9a-f]{8}\): ReferenceError: <y> is not defined$/);
    assert.equal(lines[7], 'a note');
    assert.ok(!text.includes('sys/'), 'system metrics are not shown');
  });

  it('renders HTML with escaped values, status colours and the best value in bold', () => {
    const f = fakeSweep([
      { status: 'running', flags: { name: '<script>x</script>' }, scalars: { loss: summary(2) } },
      { status: 'completed', flags: { name: 'a&b' }, scalars: { loss: summary(1) } }
    ]);
    const s = new SweepReader(f.root, f.batch.readMeta(), ['name'], '#loss').read();
    const html = renderHtml(s, [{ kind: 'warning', text: 'interrupted <now>' }]);
    assert.ok(!html.includes('<script>'));
    assert.ok(html.includes('&lt;script&gt;x&lt;/script&gt;'));
    assert.ok(html.includes('a&amp;b'));
    assert.ok(html.includes('interrupted &lt;now&gt;'));
    assert.equal(html.match(/<tr>/g)?.length, 3, 'a header row and one row per trial');
    assert.match(html, /color:#1e88e5">▶ running</);
    assert.match(html, /color:#43a047">✓ completed</);
    assert.match(html, /<b>1<\/b>/, 'the best value');
    assert.ok(!/<link|<style|<script|class="jp-/.test(html), 'no external CSS, no script');
    assert.equal(
      escapeHtml(`<a href="x">'&'</a>`),
      '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;'
    );
  });

  it('shows the running trials and the latest of a large sweep', () => {
    const trials: ITrialState[] = Array.from({ length: 100 }, (_, i) => ({
      index: i + 1,
      id: String(i),
      status: i === 99 ? 'running' : i < 50 ? 'completed' : 'queued',
      flags: {},
      scalars: {},
      started: i < 50 ? i : null,
      stopped: i < 50 ? i + 1 : null,
      error: null,
      seen: true
    }));
    const shown = shownTrials(trials, 10);
    assert.deepEqual(
      shown.map(t => t.index),
      [42, 43, 44, 45, 46, 47, 48, 49, 50, 100]
    );
    const state: ISweepState = {
      id: 'abcdef0123',
      notebookName: 'nb.ipynb',
      trials,
      flagNames: [],
      objective: null,
      now: 100,
      finished: false
    };
    assert.match(renderText(state), /60 more trials not shown \(nbx runs\)/);
  });

  it('formats numbers and times compactly', () => {
    assert.equal(formatNumber(0.25), '0.25');
    assert.equal(formatNumber(1 / 3), '0.3333');
    assert.equal(formatNumber(12345.678), '12350');
    assert.equal(formatNumber(42), '42');
    assert.equal(formatNumber(0.00001234), '1.234e-5');
    assert.equal(formatNumber(1.5e9), '1.5e+9');
    assert.equal(formatNumber(NaN), 'NaN');
    assert.equal(formatElapsed(4_999), '4s');
    assert.equal(formatElapsed(65_000), '1:05');
    assert.equal(formatElapsed(3_723_000), '1:02:03');
  });

  it('prints a line per trial state change for plain Node', () => {
    const f = fourTrials();
    const first = read(f);
    const lines = changeLines(null, first);
    assert.equal(lines[0], headerLine(first));
    assert.equal(lines.length, 4, 'the header and the three trials that are not queued');
    finish(f.trials[1], 0.125);
    const second = read(f);
    const more = changeLines(first, second);
    assert.equal(more.length, 2);
    assert.match(more[1], /^ {2}trial 2 \([0-9a-f]{8}\) lr=0\.01: completed in 2s {2}loss=0\.125$/);
    assert.deepEqual(changeLines(second, read(f)), []);
  });

  it('finds no tslab display outside a tslab kernel', () => {
    assert.equal(findTslabJupyter(), null);
  });
});

describe('sweep table', () => {
  it('has the trials, their flags and last scalar values, typed', () => {
    const f = fourTrials();
    const table = sweepTable(read(f, ['lr']));
    assert.deepEqual(
      table.schema.fields.map(field => `${field.name}:${String(field.type)}`),
      [
        'trial:Int32',
        'id:Utf8',
        'status:Utf8',
        'duration:Float64',
        'lr:Float64',
        '#loss:Float64',
        '#acc:Float64'
      ]
    );
    const rows = table.toArray();
    assert.deepEqual(
      rows.map(r => [r.trial, r.status, r.duration, r.lr, r['#loss'], r['#acc']]),
      [
        [1, 'completed', 60, 0.001, 0.25, null],
        [2, 'running', null, 0.01, 0.5, 0.9],
        [3, 'error', 2, 0.1, null, null],
        [4, 'queued', null, 1, null, null]
      ]
    );
    assert.equal(rows[0].id, f.trials[0].id);
  });

  it('is the standard apache-arrow Table; lists, booleans and clashing names', () => {
    const f = fakeSweep([
      { status: 'completed', flags: { status: 'a', layers: [64, 32], on: true, mixed: 1 } },
      { status: 'completed', flags: { status: 'b', layers: [128], on: false, mixed: 'x' } }
    ]);
    const table = sweepTable(read(f, ['status', 'layers', 'on', 'mixed']));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const arrow = require('apache-arrow') as typeof import('apache-arrow');
    assert.ok(table instanceof arrow.Table);
    assert.deepEqual(
      table.schema.fields.slice(4).map(field => `${field.name}:${String(field.type)}`),
      ['=status:Utf8', 'layers:Utf8', 'on:Bool', 'mixed:Utf8']
    );
    const rows = table.toArray();
    assert.deepEqual(
      rows.map(r => [r['=status'], r.layers, r.on, r.mixed]),
      [
        ['a', '[64,32]', true, '1'],
        ['b', '[128]', false, '"x"']
      ]
    );
  });
});

describe('Sweep watching fake records', () => {
  it('updates one display in place, resolves done() when all finish, then stops polling', async () => {
    const f = fourTrials();
    const out = new Recorder();
    const listeners = process.listenerCount('SIGINT');
    const sweep = new Sweep(f.root, f.batch.readMeta(), ['lr'], undefined, out);
    assert.equal(sweep.trials.length, 4);
    assert.match(out.last, /1 running · 1 queued/);
    assert.equal(process.listenerCount('SIGINT'), listeners, 'no listener while nobody waits');
    const done = sweep.done();
    await settled();
    assert.equal(process.listenerCount('SIGINT'), listeners + 1, 'listens while done() waits');
    f.trials[3].updateMeta({ status: 'running', started: iso(0) });
    await sleep(1000);
    assert.match(out.last, /2 running/);
    finish(f.trials[1], 0.125);
    finish(f.trials[3], 0.0625);
    const table = await done;
    assert.equal(table.numRows, 4);
    assert.deepEqual(
      table.toArray().map(r => r.status),
      ['completed', 'completed', 'error', 'completed']
    );
    assert.match(out.last, /finished \(\d+s\) — 3 of 4 completed/);
    assert.match(out.last, /best #loss 0\.0625 \(trial 4\)/);
    await settled();
    assert.equal(process.listenerCount('SIGINT'), listeners, 'no listener left');
    const shows = out.shown.length;
    await sleep(1200);
    assert.equal(out.shown.length, shows, 'no polling after the end');
    assert.equal((await sweep.done()).numRows, 4, 'done() again resolves at once');
    assert.equal(sweep.status().finished, true);
  });

  it('an interrupt stops waiting, not the trials; done() then waits again', async () => {
    const f = fakeSweep([{ status: 'running', flags: { lr: 1 }, started: iso(0) }]);
    const out = new Recorder();
    const sweep = new Sweep(f.root, f.batch.readMeta(), ['lr'], undefined, out);
    const listeners = process.listenerCount('SIGINT');
    const waiting = sweep.done();
    await settled();
    process.emit('SIGINT', 'SIGINT');
    await assert.rejects(waiting, (err: Error) => {
      assert.match(
        err.message,
        /^nbx\.sweep: stopped waiting for sweep [0-9a-f]{8} \(interrupted\); its trials keep running/
      );
      return true;
    });
    assert.match(
      out.last,
      /interrupted: the trials keep running — nbx runs \/ nbx stop [0-9a-f]{8}/
    );
    assert.equal(sweep.status().trials[0].status, 'running', 'the trial was left alone');
    await settled();
    assert.equal(process.listenerCount('SIGINT'), listeners, 'no listener after an interrupt');
    const shows = out.shown.length;
    await sleep(1000);
    assert.equal(out.shown.length, shows, 'no polling after an interrupt');
    const again = sweep.done();
    assert.ok(!out.last.includes('interrupted'), 'watching again');
    finish(f.trials[0], 1);
    assert.equal((await again).numRows, 1);
    assert.match(out.last, /finished: all 1 trials completed/);
  });

  it('an interrupt while nobody waits changes nothing', async () => {
    const f = fakeSweep([{ status: 'running', flags: { lr: 1 }, started: iso(0) }]);
    const out = new Recorder();
    const sweep = new Sweep(f.root, f.batch.readMeta(), ['lr'], undefined, out);
    const listener = (): void => undefined;
    process.on('SIGINT', listener); // (an interrupt of this test process would be fatal)
    process.emit('SIGINT', 'SIGINT');
    process.removeListener('SIGINT', listener);
    finish(f.trials[0], 1);
    await sleep(1000);
    assert.match(out.last, /finished: all 1 trials completed/);
    assert.ok(!out.shown.some(s => s.text.includes('interrupted')));
    assert.equal(sweep.status().finished, true);
  });

  it('reports status() while running', () => {
    const f = fourTrials();
    const sweep = new Sweep(f.root, f.batch.readMeta(), ['lr'], undefined, new Recorder());
    const st = sweep.status();
    assert.deepEqual(st.counts, {
      staged: 0,
      queued: 1,
      running: 1,
      completed: 1,
      error: 1,
      terminated: 0
    });
    assert.deepEqual(st.trials[0].flags, { lr: 0.001 });
    assert.deepEqual(st.trials[0].metrics, { loss: 0.25 });
    assert.equal(st.trials[0].elapsed, 60);
    assert.equal(st.trials[2].error, 'ReferenceError: <y> is not defined');
    assert.equal(sweep.table().numRows, 4);
    // Leave nothing watching behind.
    finish(f.trials[1], 1);
    finish(f.trials[3], 1);
  });
});
