/**
 * The sweep progress display: the terminal bar line, the line per trial state change
 * printed without a terminal, and what `SweepProgress` writes in each form.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { objectiveOption } from '../scheduler/objective';
import type { ITrialEvent } from '../scheduler/queue';
import type { IScalarSummary, RunMeta } from '../store/meta';
import { newRunMeta, RunDir } from '../store/run-dir';
import { batchSummary } from './execute';
import { bestTrial, variedFlags } from '../scheduler/sweep-status';
import { formatSweepBar, SweepProgress, trialLine, type ISweepCounts } from './sweep-progress';

const ROOT = '/tmp/nbx-sweep-progress-test';

function summary(last: number): IScalarSummary {
  return { first: last, last, min: last, max: last, count: 1, lastStep: 0 };
}

/** A trial record: id `<n repeated>`, started at 0 s, the fields given. */
function trial(n: number, fields: Partial<RunMeta> = {}): RunMeta {
  return {
    ...newRunMeta(String(n).repeat(32), { notebook: '/p/train.ipynb' }),
    started: '2026-01-01T00:00:00.000Z',
    ...fields
  };
}

function event(index: number, total: number, meta: RunMeta): ITrialEvent {
  return { index, total, run: new RunDir(ROOT, meta.id), meta };
}

const counts = (c: Partial<ISweepCounts>): ISweepCounts => ({
  total: 20,
  completed: 0,
  running: 0,
  queued: 0,
  failed: 0,
  ...c
});

describe('formatSweepBar', () => {
  const minLoss = objectiveOption('#loss');

  it('shows done/running/queued/failed, the best objective value and its trial, the time', () => {
    const line = formatSweepBar(
      counts({ completed: 5, running: 2, queued: 12, failed: 1 }),
      { objective: minLoss, best: { id: '3c4d5e6f'.padEnd(32, '0'), value: 0.04213 } },
      83_000
    );
    assert.equal(
      line,
      '[###-------] 5/20 done \u00b7 2 running \u00b7 12 queued \u00b7 1 failed \u00b7 ' +
        'best #loss 0.04213 (3c4d5e6f) \u00b7 1:23'
    );
  });

  it('says so while no trial has a value yet, and leaves the best out without an objective', () => {
    assert.equal(
      formatSweepBar(
        counts({ total: 4, running: 2, queued: 2 }),
        { objective: minLoss, best: null },
        0
      ),
      '[----------] 0/4 done \u00b7 2 running \u00b7 2 queued \u00b7 0 failed \u00b7 best #loss - \u00b7 0:00'
    );
    assert.equal(
      formatSweepBar(counts({ total: 4, completed: 4 }), null, 3_723_000),
      '[##########] 4/4 done \u00b7 0 running \u00b7 0 queued \u00b7 0 failed \u00b7 1:02:03'
    );
    assert.equal(
      formatSweepBar(counts({ total: 0 }), null, 0),
      '[----------] 0/0 done \u00b7 0 running \u00b7 0 queued \u00b7 0 failed \u00b7 0:00'
    );
  });

  it('fills the bar with the trials that ended, failed ones included', () => {
    const line = formatSweepBar(counts({ total: 4, completed: 1, failed: 1, running: 2 }), null, 0);
    assert.ok(line.startsWith('[#####-----] 1/4 done'), line);
  });

  it('truncates to the width of the terminal (a redrawn line must not wrap)', () => {
    const full = formatSweepBar(counts({ completed: 5 }), null, 0);
    const cut = formatSweepBar(counts({ completed: 5 }), null, 0, 20);
    assert.equal(cut.length, 20);
    assert.equal(cut, `${full.slice(0, 19)}\u2026`);
    assert.equal(formatSweepBar(counts({ completed: 5 }), null, 0, full.length), full);
  });
});

describe('bestTrial and variedFlags', () => {
  const metas = [
    trial(1, { scalars: { loss: summary(0.5), acc: summary(0.7) } }),
    trial(2, { scalars: { loss: summary(0.2), acc: summary(0.6) } }),
    trial(3, { scalars: {} }),
    trial(4, { scalars: { loss: summary(Number.NaN), acc: summary(0.9) } })
  ];

  it('picks the lowest value to minimise, the highest to maximise, skipping trials without one', () => {
    assert.deepEqual(bestTrial(metas, objectiveOption('#loss')), { id: metas[1].id, value: 0.2 });
    assert.deepEqual(bestTrial(metas, objectiveOption('-#acc')), { id: metas[3].id, value: 0.9 });
    assert.equal(bestTrial(metas, objectiveOption('#f1')), null);
    assert.equal(bestTrial([], objectiveOption('-#acc')), null);
  });

  it('reads -#acc as --sort -#acc does: the highest acc is the best, in the end-of-sweep line', () => {
    const batch = { ...batchOf(metas, '-#acc'), status: 'completed' as const };
    const line = batchSummary(batch, metas, '/p/.nbx/runs/b').split('\n')[0];
    assert.match(line, new RegExp(`best -#acc 0\\.9 \\(${metas[3].id.slice(0, 8)}\\)$`));
  });

  it('names the flags whose values differ between trials, in flag order', () => {
    const flagged = [
      trial(1, { flags: { lr: 0.1, layers: 2, opt: 'sgd', sizes: [1, 2] } }),
      trial(2, { flags: { lr: 0.1, layers: 4, opt: 'sgd', sizes: [1, 3] } }),
      trial(3, { flags: { lr: 0.1, layers: 2, opt: 'sgd', sizes: [1, 2] } })
    ];
    assert.deepEqual(variedFlags(flagged), ['layers', 'sizes']);
    assert.deepEqual(variedFlags(flagged.slice(0, 1)), []);
  });
});

describe('trialLine', () => {
  const varied = ['lr', 'layers'];
  const flags = { lr: 0.01, layers: 4, wait: 1 };

  it('prints a started trial with the flags the sweep varies and its GPUs', () => {
    const running = trial(3, { status: 'running', flags, gpus: '1' });
    assert.equal(
      trialLine(event(2, 20, running), varied, null),
      `trial 3/20 ${'3'.repeat(8)} running lr=0.01 layers=4 gpus=1`
    );
    const noGpus = trial(3, { status: 'running', flags, gpus: null });
    assert.equal(
      trialLine(event(2, 20, noGpus), varied, null),
      `trial 3/20 ${'3'.repeat(8)} running lr=0.01 layers=4`
    );
    const queued = trial(3, { status: 'queued', flags, gpus: '1' });
    assert.equal(
      trialLine(event(2, 20, queued), varied, null),
      `trial 3/20 ${'3'.repeat(8)} queued lr=0.01 layers=4`,
      'a queued trial has no GPUs yet'
    );
    assert.equal(
      trialLine(event(0, 1, trial(1, { status: 'running', flags })), [], null),
      `trial 1/1 ${'1'.repeat(8)} running`
    );
  });

  it('prints a completed trial with its time and the objective, else its first scalars', () => {
    const done = trial(3, {
      status: 'completed',
      flags,
      stopped: '2026-01-01T00:00:02.300Z',
      scalars: {
        'sys/cpu': summary(50),
        loss: summary(0.04213),
        acc: summary(0.9),
        f1: summary(0.8),
        step: summary(10)
      }
    });
    assert.equal(
      trialLine(event(2, 20, done), varied, objectiveOption('#loss')),
      `trial 3/20 ${'3'.repeat(8)} completed 2.3s loss=0.04213`
    );
    assert.equal(
      trialLine(event(2, 20, done), varied, null),
      `trial 3/20 ${'3'.repeat(8)} completed 2.3s loss=0.04213 acc=0.9 f1=0.8`
    );
    const long = { ...done, stopped: '2026-01-01T00:02:05.000Z', scalars: {} };
    assert.equal(
      trialLine(event(2, 20, long), varied, objectiveOption('-#acc')),
      `trial 3/20 ${'3'.repeat(8)} completed 2m05s`
    );
  });

  it('prints a failed or stopped trial with its error', () => {
    const failed = trial(2, {
      status: 'error',
      flags,
      stopped: '2026-01-01T00:00:01.000Z',
      error: 'cell 2: ZeroDivisionError: division by zero'
    });
    assert.equal(
      trialLine(event(1, 4, failed), varied, null),
      `trial 2/4 ${'2'.repeat(8)} error 1.0s: cell 2: ZeroDivisionError: division by zero`
    );
    const cancelled = trial(4, {
      status: 'terminated',
      started: null,
      error: 'cancelled: the batch was stopped'
    });
    assert.equal(
      trialLine(event(3, 4, cancelled), varied, null),
      `trial 4/4 ${'4'.repeat(8)} terminated: cancelled: the batch was stopped`
    );
  });
});

/** A stream that records what is written. */
function fakeStream(tty: boolean, columns = 200): NodeJS.WriteStream & { text: string } {
  const stream = {
    text: '',
    isTTY: tty,
    columns,
    write(chunk: string): boolean {
      stream.text += chunk;
      return true;
    }
  };
  return stream as unknown as NodeJS.WriteStream & { text: string };
}

function batchOf(trials: RunMeta[], objective: string | null): RunMeta {
  return {
    ...newRunMeta('b'.repeat(32), { notebook: '/p/train.ipynb' }),
    kind: 'batch',
    trials: trials.map(t => t.id),
    batch: { kind: 'grid', seed: null, parallel: 2, gpus: null, gpusPerTrial: 0, objective }
  };
}

describe('SweepProgress', () => {
  const trials = [
    trial(1, { status: 'queued', flags: { lr: 0.1, layers: 2 } }),
    trial(2, { status: 'queued', flags: { lr: 0.2, layers: 2 } })
  ];
  const batch = batchOf(trials, '#loss');
  const completed = (t: RunMeta, loss: number): RunMeta => ({
    ...t,
    status: 'completed',
    stopped: '2026-01-01T00:00:02.000Z',
    scalars: { loss: summary(loss) }
  });

  it('without a terminal prints a line per state change, not the initial queueing', () => {
    const stream = fakeStream(false);
    const progress = new SweepProgress(stream, ROOT, batch);
    progress.start(batch, trials);
    trials.forEach((t, i) => progress.update(event(i, 2, t)));
    progress.update(event(0, 2, { ...trials[0], status: 'running' }));
    progress.update(event(1, 2, { ...trials[1], status: 'running' }));
    progress.update(event(1, 2, completed(trials[1], 0.3)));
    progress.update(event(0, 2, { ...completed(trials[0], 0.5), status: 'error', error: 'boom' }));
    assert.deepEqual(progress.counts(), {
      total: 2,
      completed: 1,
      running: 0,
      queued: 0,
      failed: 1
    });
    assert.deepEqual(progress.best(), { id: trials[1].id, value: 0.3 });
    progress.done('sweep bbbbbbbb completed');
    assert.equal(
      stream.text,
      [
        'sweep bbbbbbbb: 2 trials, 2 at a time',
        `trial 1/2 11111111 running lr=0.1`,
        `trial 2/2 22222222 running lr=0.2`,
        `trial 2/2 22222222 completed 2.0s loss=0.3`,
        `trial 1/2 11111111 error 2.0s: boom`,
        'sweep bbbbbbbb completed',
        ''
      ].join('\n')
    );
  });

  it('on a terminal redraws one bar line in place, failures printed above it', () => {
    const stream = fakeStream(true, 200);
    const progress = new SweepProgress(stream, ROOT, batch);
    progress.start(batch, trials);
    progress.update(event(0, 2, { ...trials[0], status: 'running' }));
    progress.update(event(0, 2, completed(trials[0], 0.25)));
    progress.update(
      event(1, 2, { ...trials[1], status: 'terminated', started: null, error: 'stopped' })
    );
    progress.done('sweep bbbbbbbb terminated');
    const clear = '\r\x1b[2K';
    // Every redraw replaces the line; nothing but a failure or the summary ends one.
    const screen = stream.text.split('\n');
    assert.equal(screen[0], `sweep bbbbbbbb: 2 trials, 2 at a time`);
    const frames = stream.text.split(clear).filter(f => f !== '');
    assert.ok(
      frames.includes(
        '[----------] 0/2 done \u00b7 1 running \u00b7 1 queued \u00b7 0 failed \u00b7 best #loss - \u00b7 0:00'
      ),
      JSON.stringify(frames)
    );
    assert.ok(
      frames.includes(
        '[#####-----] 1/2 done \u00b7 0 running \u00b7 1 queued \u00b7 0 failed \u00b7 ' +
          'best #loss 0.25 (11111111) \u00b7 0:00'
      ),
      JSON.stringify(frames)
    );
    assert.ok(
      frames.includes(`trial 2/2 22222222 terminated: stopped\n`),
      'the failure is a line of its own'
    );
    assert.ok(
      !frames.some(f => f.includes('completed 2.0s')),
      'completed trials are counted in the bar, not printed'
    );
    assert.ok(stream.text.endsWith(`${clear}sweep bbbbbbbb terminated\n`), 'the bar is removed');
  });

  it('prints nothing but what the caller gives done() when quiet', () => {
    const stream = fakeStream(true);
    const progress = new SweepProgress(stream, ROOT, batch, { quiet: true });
    progress.start(batch, trials);
    progress.update(event(0, 2, { ...trials[0], status: 'running' }));
    progress.update(event(0, 2, { ...trials[0], status: 'error', error: 'boom' }));
    progress.done('sweep bbbbbbbb error');
    assert.equal(stream.text, 'sweep bbbbbbbb error\n');
    assert.equal(progress.counts().failed, 1, 'still counted');
  });
});
