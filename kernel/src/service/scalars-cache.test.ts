/**
 * The series cache over real run directories: a run's series are opened once while its
 * logs are unchanged, again once a log grows, and the least recently used runs go first.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import { writeScalarPoints } from '../bench/gen-scalars';
import { createRun, type RunDir } from '../store/run-dir';
import { tempDir } from '../testing/fixtures';
import { apiScalarLogName, scalarsDir, ScalarLogWriter } from '../tracking/scalars-format';
import { openRunSeries, type IRunRef, type RunSeries } from '../tracking/series-cache';
import { SeriesCache } from './scalars-cache';

describe('SeriesCache', () => {
  const project = tempDir('nbx-series-cache-');
  const root = path.join(project, '.nbx');
  const make = (points: number): RunDir => {
    const run = createRun(root, { notebook: path.join(project, 't.ipynb'), status: 'completed' });
    writeScalarPoints(root, run.id, { points, start: 1_000_000 });
    return run;
  };
  const counting =
    (reads: string[]) =>
    (run: IRunRef, signature: string): RunSeries => {
      reads.push(run.path);
      return openRunSeries(run, { signature });
    };

  it('opens a run once while its logs are unchanged, and again when they grow', () => {
    const cache = new SeriesCache();
    const run = make(100);
    const reads: string[] = [];
    const first = cache.get(run, {}, counting(reads));
    assert.equal(first.full('loss').step.length, 100);
    assert.equal(first.start, 1_000_000);
    // Every key comes with the run.
    assert.equal(cache.get(run, {}, counting(reads)).full('acc').step.length, 100);
    assert.equal(reads.length, 1);
    const writer = new ScalarLogWriter(path.join(scalarsDir(run.path), apiScalarLogName(3)));
    writer.point('loss', 100, 2_000_000, 0.5);
    writer.close();
    const grown = cache.get(run, {}, counting(reads));
    assert.equal(reads.length, 2);
    assert.equal(grown.full('loss').step.length, 101);
  });

  it('lets the least recently used runs go once it holds maxBytes', () => {
    // 100 points of 5 keys (each its own overview): 12,000 bytes per run.
    const cache = new SeriesCache(30_000);
    const [a, b, c] = [make(100), make(100), make(100)];
    const reads: string[] = [];
    cache.get(a, {}, counting(reads));
    cache.get(b, {}, counting(reads));
    cache.get(a, {}, counting(reads));
    cache.get(c, {}, counting(reads));
    assert.ok(cache.bytes <= 30_000);
    cache.get(a, {}, counting(reads));
    cache.get(b, {}, counting(reads));
    assert.deepEqual(reads, [a.path, b.path, c.path, b.path]);
  });
});
