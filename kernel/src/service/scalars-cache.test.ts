/**
 * The series cache over real run directories: a run's logs are read once while they are
 * unchanged, again once a log grows, and the least recently used runs go first.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import { writeScalarPoints } from '../bench/gen-scalars';
import { createRun } from '../store/run-dir';
import { tempDir } from '../testing/fixtures';
import { readScalarColumns } from '../tracking/scalars';
import { apiScalarLogName, scalarsDir, ScalarLogWriter } from '../tracking/scalars-format';
import { SeriesCache } from './scalars-cache';

describe('SeriesCache', () => {
  const project = tempDir('nbx-series-cache-');
  const root = path.join(project, '.nbx');
  const make = (points: number): string => {
    const run = createRun(root, { notebook: path.join(project, 't.ipynb'), status: 'completed' });
    writeScalarPoints(root, run.id, { points, start: 1_000_000 });
    return run.path;
  };
  const counting = (runPath: string, reads: string[]) => () => {
    reads.push(runPath);
    return readScalarColumns(runPath);
  };

  it('reads a run once while its logs are unchanged, and again when they grow', () => {
    const cache = new SeriesCache();
    const run = make(100);
    const reads: string[] = [];
    const first = cache.get(run, ['loss'], counting(run, reads));
    assert.equal(first.series.get('loss')?.step.length, 100);
    assert.equal(first.start, 1_000_000);
    cache.get(run, ['loss'], counting(run, reads));
    assert.equal(reads.length, 1);
    // A key not asked for before is read (once), the others kept.
    cache.get(run, ['loss', 'acc'], counting(run, reads));
    cache.get(run, ['acc'], counting(run, reads));
    assert.equal(reads.length, 2);
    const writer = new ScalarLogWriter(path.join(scalarsDir(run), apiScalarLogName(3)));
    writer.point('loss', 100, 2_000_000, 0.5);
    writer.close();
    const grown = cache.get(run, ['loss'], counting(run, reads));
    assert.equal(reads.length, 3);
    assert.equal(grown.series.get('loss')?.step.length, 101);
  });

  it('lets the least recently used runs go once it holds maxBytes', () => {
    // 100 points of one key: 2,400 bytes per run.
    const cache = new SeriesCache(5000);
    const [a, b, c] = [make(100), make(100), make(100)];
    const reads: string[] = [];
    cache.get(a, ['loss'], counting(a, reads));
    cache.get(b, ['loss'], counting(b, reads));
    cache.get(a, ['loss'], counting(a, reads));
    cache.get(c, ['loss'], counting(c, reads));
    assert.ok(cache.bytes <= 5000);
    cache.get(a, ['loss'], counting(a, reads));
    cache.get(b, ['loss'], counting(b, reads));
    assert.deepEqual(reads, [a, b, c, b]);
  });
});
