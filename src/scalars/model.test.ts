import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { writeScalarPoints } from '../../kernel/lib/bench/gen-scalars';
import { createRun } from '../../kernel/lib/store/run-dir';
import {
  apiScalarLogName,
  scalarsDir,
  ScalarLogWriter
} from '../../kernel/lib/tracking/scalars-format';
import { RootedService } from '../client/rooted';
import { runColor, runColors } from '../run-colors';
import { NbxSettings } from '../settings';
import { LocalConnection, tempProject } from '../testing/service';
import { ScalarsModel, type IAppended } from './model';
import { smooth } from './smoothing';

describe('ScalarsModel', () => {
  const project = tempProject();
  const start = Date.parse('2026-03-01T00:00:00Z');
  const make = (points: number, flags: Record<string, number>, status = 'completed'): string => {
    const run = createRun(project.root, {
      notebook: path.join(project.dir, 'train.ipynb'),
      status: status as 'completed'
    });
    run.updateMeta({ flags });
    writeScalarPoints(project.root, run.id, { points, start, seed: points });
    return run.id;
  };
  const a = make(3000, { lr: 0.1, epochs: 3 });
  const b = make(200, { lr: 0.01, epochs: 3 });
  const live = make(50, { lr: 0.001, epochs: 3 }, 'running');
  const connection = new LocalConnection(project);
  const service = new RootedService(connection, new NbxSettings(null));
  const models: ScalarsModel[] = [];
  const open = (): ScalarsModel => {
    const model = new ScalarsModel({ service, maxPoints: 500 });
    models.push(model);
    return model;
  };
  after(() => {
    models.forEach(model => model.dispose());
    connection.dispose();
  });

  it('groups the keys by prefix, system metrics folded, and fetches the visible ones', async () => {
    const model = open();
    await model.setRuns([a, b]);
    assert.deepEqual(
      model.groups.map(g => [g.prefix, g.keys, g.folded]),
      [
        ['', ['acc', 'loss', 'lr'], false],
        ['sys', ['sys/cpu', 'sys/gpu/0/util'], true]
      ]
    );
    assert.deepEqual(model.visibleKeys, ['acc', 'loss', 'lr']);
    assert.ok(model.hasPoints('loss') && !model.hasPoints('sys/cpu'));
    model.search = 'GPU';
    assert.deepEqual(model.visibleKeys, []);
    model.setFolded('sys', false);
    assert.deepEqual(model.visibleKeys, ['sys/gpu/0/util']);
  });

  it('charts each run downsampled, coloured by id, with the flags that differ', async () => {
    const model = open();
    await model.setRuns([a, b]);
    model.smoothing = 0;
    const chart = model.chart('loss');
    assert.deepEqual(
      chart.traces.map(t => [t.runId, t.color]),
      [
        [a, runColors([a, b]).get(a)],
        [b, runColors([a, b]).get(b)]
      ]
    );
    // At most maxPoints (min/max buckets), the short run whole.
    assert.ok(chart.traces[0].raw.length <= 500 && chart.traces[0].raw.length > 250);
    assert.equal(chart.traces[1].raw.length, 200);
    assert.equal(chart.downsampled, true);
    assert.deepEqual(chart.traces[0].flags, ['lr=0.1']);
    assert.equal(chart.traces[1].smoothed, chart.traces[1].raw);
    model.smoothing = 0.9;
    const smoothed = model.chart('loss').traces[1];
    assert.deepEqual([...smoothed.smoothed], [...smooth(smoothed.raw, 0.9)]);
  });

  it('switches the x axis: step, wall time, seconds since the first point', async () => {
    const model = open();
    await model.setRuns([b]);
    const trace = (): { x: Float64Array; step: Float64Array } => model.chart('loss').traces[0];
    assert.deepEqual([...trace().x.subarray(0, 3)], [0, 1, 2]);
    model.xAxis = 'time';
    assert.deepEqual([...trace().x.subarray(0, 2)], [start, start + 1000]);
    model.xAxis = 'relative';
    assert.deepEqual([...trace().x.subarray(0, 3)], [0, 1, 2]);
  });

  it('fetches a zoom window at full resolution, and goes back', async () => {
    const model = open();
    await model.setRuns([a]);
    const whole = model.chart('loss').traces[0].raw.length;
    await model.zoom('loss', [1000, 1099]);
    const zoomed = model.chart('loss');
    assert.deepEqual(
      [...zoomed.traces[0].step],
      Array.from({ length: 100 }, (_, i) => 1000 + i)
    );
    assert.deepEqual(zoomed.window, [1000, 1099]);
    await model.zoom('loss', null);
    assert.equal(model.chart('loss').traces[0].raw.length, whole);
  });

  it('changes the revision of the charts that would draw something else, only', async () => {
    const model = open();
    await model.setRuns([a, b]);
    const revisions = (): string[] => ['acc', 'loss'].map(key => model.chartRevision(key));
    const [acc, loss] = revisions();
    await model.zoom('loss', [1000, 1099]);
    assert.equal(model.chartRevision('acc'), acc);
    assert.notEqual(model.chartRevision('loss'), loss);
    const zoomed = revisions();
    model.logY = true;
    revisions().forEach((revision, i) => assert.notEqual(revision, zoomed[i]));
  });

  it('leaves outliers out of the y range on request', async () => {
    const model = open();
    await model.setRuns([a, b]);
    assert.equal(model.chart('loss').yRange, null);
    model.ignoreOutliers = true;
    const [lo, hi] = model.chart('loss').yRange ?? [NaN, NaN];
    const values = model.chart('loss').traces.flatMap(t => [...t.raw]);
    assert.ok(lo > Math.min(...values) || hi < Math.max(...values));
    assert.ok(lo < hi);
  });

  it('writes a chart as CSV at full resolution', async () => {
    const model = open();
    await model.setRuns([a, b]);
    const lines = (await model.csv('loss')).trim().split('\n');
    assert.equal(lines[0], 'run,label,step,time,value');
    assert.equal(lines.length, 1 + 3000 + 200);
    assert.match(
      lines[1],
      new RegExp(`^${a},train.ipynb ${a.slice(0, 8)},0,2026-03-01T00:00:00.000Z,`)
    );
  });

  it("appends a live run's new points as they are pushed", async () => {
    const model = open();
    await model.setRuns([b, live]);
    model.smoothing = 0.5;
    assert.deepEqual(model.liveIds, [live]);
    const got = new Promise<IAppended[]>(resolve =>
      model.appended.connect((_m, appended) => resolve(appended))
    );
    const revision = model.chartRevision('loss');
    const writer = new ScalarLogWriter(
      path.join(scalarsDir(path.join(project.root, 'runs', live)), apiScalarLogName(7))
    );
    for (let step = 50; step < 53; step++) {
      writer.point('loss', step, start + step * 1000, 0.5);
    }
    writer.close();
    const appended = (await got).find(p => p.key === 'loss');
    // The chart grows by the points appended: no redraw.
    assert.equal(model.chartRevision('loss'), revision);
    assert.deepEqual([...(appended?.x ?? [])], [50, 51, 52]);
    const trace = model.chart('loss').traces.find(t => t.runId === live);
    assert.equal(trace?.raw.length, 53);
    assert.deepEqual(
      [...(appended?.smoothed ?? [])],
      [...smooth(trace?.raw ?? [], 0.5).subarray(50)]
    );
  });

  it(
    'appends the points of a push that also brings a new key (a first system sample)',
    { timeout: 20_000 },
    async () => {
      const model = open();
      await model.setRuns([live]);
      const revision = model.chartRevision('loss');
      const got = new Promise<IAppended[]>(resolve =>
        model.appended.connect((_m, appended) => resolve(appended))
      );
      const writer = new ScalarLogWriter(
        path.join(scalarsDir(path.join(project.root, 'runs', live)), apiScalarLogName(9))
      );
      writer.point('sys/cpu_new', 0, start, 12);
      for (let step = 60; step < 63; step++) {
        writer.point('loss', step, start + step * 1000, 0.5);
      }
      writer.close();
      const appended = (await got).find(p => p.key === 'loss');
      assert.ok(model.keys.some(k => k.key === 'sys/cpu_new'));
      // The loss chart is not drawn again for the new key: it grows by these points.
      assert.equal(model.chartRevision('loss'), revision);
      assert.deepEqual([...(appended?.step ?? [])], [60, 61, 62]);
    }
  );

  it('fetches a live trace grown past twice the points of a fetch again, downsampled', async () => {
    const model = open();
    await model.setRuns([live]);
    // Pushes come in batches: some appended, the one past 1,000 points redrawn.
    const downsampled = new Promise<void>(resolve => {
      const check = (): void => {
        const trace = model.chart('loss').traces[0];
        if (trace && trace.step[trace.step.length - 1] === 1299) {
          resolve();
        }
      };
      model.changed.connect(check);
      model.appended.connect(check);
    });
    const writer = new ScalarLogWriter(
      path.join(scalarsDir(path.join(project.root, 'runs', live)), apiScalarLogName(8))
    );
    for (let step = 100; step < 1300; step++) {
      writer.point('loss', step, start + step * 1000, step === 700 ? 99 : 0.4);
    }
    writer.close();
    await downsampled;
    const chart = model.chart('loss');
    const trace = chart.traces[0];
    assert.ok(chart.downsampled);
    // 1,250 points recorded; fetched again past 1,000, so at most 500 (+ pushes since).
    assert.ok(trace.raw.length <= 1000, `${trace.raw.length} points drawn`);
    assert.equal(Math.max(...trace.raw), 99);
    assert.equal(trace.step[0], 0);
  });

  it('gives a run the same colour everywhere, distinct among the runs shown', () => {
    const ids = Array.from({ length: 20 }, (_, i) => `${i}`.padStart(12, 'f'));
    const colors = runColors(ids);
    assert.equal(new Set(colors.values()).size, 20);
    assert.deepEqual(runColors([...ids].reverse()), colors);
    assert.equal(runColors([a]).get(a), runColor(a));
  });
});
