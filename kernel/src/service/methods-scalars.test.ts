/**
 * The Scalars panel's methods over runs with real scalar logs: keys with points per run,
 * points downsampled per series and exact in a zoom window (Arrow bytes decoded as the
 * frontend decodes them), and points appended to a log pushed by the live watch.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { tableFromIPC } from 'apache-arrow';

import { writeScalarPoints } from '../bench/gen-scalars';
import type { IScalarKeysResult, IScalarPointsResult, IScalarsAppendedEvent } from '../contract';
import type { BinaryBuffer } from '../protocol/server';
import { createRun } from '../store/run-dir';
import { tempDir } from '../testing/fixtures';
import { apiScalarLogName, scalarsDir, ScalarLogWriter } from '../tracking/scalars-format';
import { createContext } from './context';
import {
  scalarKeysMethod,
  scalarPointsMethod,
  unwatchScalarsMethod,
  watchScalarsMethod
} from './methods-scalars';
import { ServiceConnection } from './connection';
import { RunWatch } from './run-watch';
import { ScalarsWatch } from './scalars-watch';

describe('scalar methods', () => {
  const project = tempDir('nbx-scalars-');
  const root = path.join(project, '.nbx');
  const pushed: { event: IScalarsAppendedEvent; buffers: BinaryBuffer[] }[] = [];
  let onPush: () => void = () => undefined;
  const scalars = new ScalarsWatch({ delayMs: 20 });
  after(() => scalars.close());
  // The connection a panel's requests come on: the points are pushed to it.
  const connection = new ServiceConnection((event, buffers) => {
    pushed.push({ event: event as IScalarsAppendedEvent, buffers });
    onPush();
  });
  const context = {
    ...createContext({
      cwd: project,
      env: { NBX_HOME: root },
      log: () => undefined,
      scalars,
      runs: new RunWatch()
    }),
    connection
  };
  const start = Date.parse('2026-01-01T00:00:00Z');
  const make = (points: number): string => {
    const run = createRun(root, {
      notebook: path.join(project, 'train.ipynb'),
      status: 'completed'
    });
    writeScalarPoints(root, run.id, { points, start, seed: points });
    return run.id;
  };
  const long = make(5000);
  const short = make(40);
  const decode = (bytes: BinaryBuffer): { step: number[]; time: number[]; value: number[] } => {
    const table = tableFromIPC(bytes as Uint8Array);
    const column = (name: string): number[] => [...(table.getChild(name)?.toArray() ?? [])];
    return { step: column('step'), time: column('time'), value: column('value') };
  };

  it('lists the keys of the runs with their points per run', () => {
    const json = scalarKeysMethod({ ids: [long, short.slice(0, 8)] }, context)
      .json as IScalarKeysResult;
    assert.deepEqual(
      json.runs.map(meta => meta.id),
      [long, short]
    );
    assert.deepEqual(
      json.keys.map(k => k.key),
      ['acc', 'loss', 'lr', 'sys/cpu', 'sys/gpu/0/util']
    );
    assert.deepEqual(json.keys.find(k => k.key === 'loss')?.points, { [long]: 5000, [short]: 40 });
  });

  it('sends each series downsampled to maxPoints, keeping the extremes', () => {
    const reply = scalarPointsMethod(
      { ids: [long, short], keys: ['loss', 'nope'], maxPoints: 500 },
      context
    );
    const json = reply.json as IScalarPointsResult;
    assert.equal(reply.buffers?.length, 4);
    assert.deepEqual(
      json.series.map(s => [s.id, s.key, s.total, s.downsampled]),
      [
        [long, 'loss', 5000, true],
        [long, 'nope', 0, false],
        [short, 'loss', 40, false],
        [short, 'nope', 0, false]
      ]
    );
    assert.equal(json.series[0].start, start);
    const sent = decode(reply.buffers?.[0] as BinaryBuffer);
    assert.ok(sent.step.length <= 500 && sent.step.length === json.series[0].points);
    const full = decode(
      scalarPointsMethod({ ids: [long], keys: ['loss'], maxPoints: 100_000 }, context)
        .buffers?.[0] as BinaryBuffer
    );
    assert.equal(full.value.length, 5000);
    assert.equal(Math.min(...sent.value), Math.min(...full.value));
    assert.equal(Math.max(...sent.value), Math.max(...full.value));
  });

  it('sends a zoom window at full resolution, by step or by time since the first point', () => {
    const byStep = scalarPointsMethod(
      {
        ids: [long],
        keys: ['loss'],
        maxPoints: 500,
        window: { axis: 'step', from: 1000, to: 1199 }
      },
      context
    );
    const points = decode(byStep.buffers?.[0] as BinaryBuffer);
    assert.deepEqual(
      points.step,
      Array.from({ length: 200 }, (_, i) => 1000 + i)
    );
    assert.equal((byStep.json as IScalarPointsResult).series[0].downsampled, false);
    // One point per second from `start`: 10 s to 19 s are steps 10 to 19.
    const byTime = scalarPointsMethod(
      { ids: [long], keys: ['loss'], window: { axis: 'relative', from: 10_000, to: 19_000 } },
      context
    );
    assert.deepEqual(
      decode(byTime.buffers?.[0] as BinaryBuffer).step,
      [10, 11, 12, 13, 14, 15, 16, 17, 18, 19]
    );
  });

  it('says what is wrong with a window', () => {
    assert.throws(
      () =>
        scalarPointsMethod(
          { ids: [long], keys: ['loss'], window: { axis: 'x', from: 0, to: 1 } },
          context
        ),
      /window.axis/
    );
  });

  it('pushes the points appended to a watched run, coalesced, until unwatched', async () => {
    const { watch, ids } = watchScalarsMethod({ ids: [short] }, context).json as {
      watch: number;
      ids: string[];
    };
    assert.deepEqual(ids, [short]);
    const got = new Promise<void>(resolve => (onPush = resolve));
    const writer = new ScalarLogWriter(
      path.join(scalarsDir(path.join(root, 'runs', short)), apiScalarLogName(1))
    );
    for (let step = 40; step < 50; step++) {
      writer.point('loss', step, start + step * 1000, step / 100);
    }
    writer.flush();
    await got;
    const points = pushed.flatMap(p => {
      const i = p.event.keys.indexOf('loss');
      return i < 0 ? [] : decode(p.buffers[i]).step;
    });
    assert.deepEqual(points, [40, 41, 42, 43, 44, 45, 46, 47, 48, 49]);
    assert.ok(pushed.every(p => p.event.id === short && p.event.event === 'scalars-appended'));
    assert.equal(scalars.runs, 1);
    unwatchScalarsMethod({ watch }, context);
    assert.equal(scalars.runs, 0);
    writer.close();
  });
});
