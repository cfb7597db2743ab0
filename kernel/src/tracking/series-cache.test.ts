/**
 * A run's series cache on disk, over real run directories: built on the first open,
 * used while the logs are unchanged (no rebuild), never stale (a point appended, a log
 * truncated or deleted show on the next open), and the same points as the logs.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import { writeScalarPoints } from '../bench/gen-scalars';
import { createRun, type RunDir } from '../store/run-dir';
import { removeRun } from '../store/runs';
import { tempDir } from '../testing/fixtures';
import { selectPoints, takePoints } from './downsample';
import { readScalarColumns } from './scalars';
import { apiScalarLogName, OUTPUT_SCALAR_LOG, scalarsDir, ScalarLogWriter } from './scalars-format';
import { seriesByKey } from './scalars-points';
import { OVERVIEW_POINTS, openRunSeries, seriesCacheDir } from './series-cache';

describe('openRunSeries', () => {
  const project = tempDir('nbx-series-file-');
  const root = path.join(project, '.nbx');
  const make = (points: number): RunDir => {
    const run = createRun(root, { notebook: path.join(project, 't.ipynb'), status: 'completed' });
    writeScalarPoints(root, run.id, { points, start: 1_000_000 });
    return run;
  };
  const overviewFile = (run: RunDir): string => path.join(seriesCacheDir(run), 'overview.arrow');
  const append = (run: RunDir, pid: number, step: number, value: number): void => {
    const writer = new ScalarLogWriter(path.join(scalarsDir(run.path), apiScalarLogName(pid)));
    writer.point('loss', step, 9_000_000 + step, value);
    writer.close();
  };

  it('serves the logs’ points: the overview downsampled as a fetch is, each key whole', () => {
    const run = make(5000);
    const expected = seriesByKey(readScalarColumns(run.path), ['loss', 'acc']);
    for (const series of [openRunSeries(run), openRunSeries(run)]) {
      for (const key of ['loss', 'acc']) {
        const full = expected.get(key)!;
        assert.deepEqual(series.full(key), full);
        assert.equal(series.total(key), 5000);
        const { indices } = selectPoints(full, { maxPoints: OVERVIEW_POINTS });
        assert.deepEqual(series.overview(key), takePoints(full, indices));
      }
      assert.equal(series.start, 1_000_000);
      assert.equal(series.total('no-such-key'), 0);
      assert.equal(series.full('no-such-key').value.length, 0);
    }
  });

  it('is built once and used while the logs are unchanged', () => {
    const run = make(100);
    openRunSeries(run);
    const built = fs.statSync(overviewFile(run));
    const again = openRunSeries(run);
    assert.equal(again.full('loss').value.length, 100);
    const after = fs.statSync(overviewFile(run));
    // Not rewritten: the same file, untouched.
    assert.equal(after.ino, built.ino);
    assert.equal(after.mtimeMs, built.mtimeMs);
  });

  it('is never stale: appended, truncated and deleted logs show on the next open', () => {
    const run = make(100);
    assert.equal(openRunSeries(run).full('loss').value.length, 100);
    // Appended to the runner's log, and a new log of another writer.
    append(run, 7, 100, 0.25);
    append(run, 8, 101, 0.125);
    const grown = openRunSeries(run);
    assert.equal(grown.total('loss'), 102);
    assert.deepEqual([...grown.full('loss').value.slice(-2)], [0.25, 0.125]);
    // The runner's log cut to its header: the API's two points remain.
    const output = path.join(scalarsDir(run.path), OUTPUT_SCALAR_LOG);
    fs.truncateSync(output, 8);
    const truncated = openRunSeries(run);
    assert.equal(truncated.total('loss'), 2);
    assert.equal(truncated.total('acc'), 0);
    // Every log deleted: no points.
    fs.rmSync(scalarsDir(run.path), { recursive: true });
    const gone = openRunSeries(run);
    assert.equal(gone.total('loss'), 0);
    assert.ok(Number.isNaN(gone.start));
  });

  it('reads the logs when the cache is damaged or a key file is gone', () => {
    const run = make(2000);
    const expected = seriesByKey(readScalarColumns(run.path), ['loss']).get('loss')!;
    openRunSeries(run);
    // A key file removed after the overview was read (a newer version replaced it).
    const series = openRunSeries(run);
    for (const name of fs.readdirSync(seriesCacheDir(run))) {
      if (name !== 'overview.arrow') {
        fs.rmSync(path.join(seriesCacheDir(run), name));
      }
    }
    assert.deepEqual(series.full('loss'), expected);
    // A torn overview: rebuilt.
    fs.truncateSync(overviewFile(run), 100);
    assert.deepEqual(openRunSeries(run).full('loss'), expected);
    assert.ok(fs.statSync(overviewFile(run)).size > 100);
  });

  it('writes a new cache when told to, the points served before', () => {
    const run = make(100);
    const writes: (() => void)[] = [];
    const series = openRunSeries(run, { writeCache: write => writes.push(write) });
    assert.equal(series.full('loss').value.length, 100);
    assert.equal(fs.existsSync(overviewFile(run)), false);
    writes.forEach(write => write());
    assert.equal(fs.existsSync(overviewFile(run)), true);
    assert.equal(openRunSeries(run).total('loss'), 100);
  });

  it('goes with its run', () => {
    const run = make(100);
    openRunSeries(run);
    assert.ok(fs.existsSync(seriesCacheDir(run)));
    removeRun(root, run.id);
    assert.equal(fs.existsSync(seriesCacheDir(run)), false);
  });

  it('works uncached when the cache cannot be written', () => {
    const run = make(100);
    // A file where the cache directory would go.
    fs.mkdirSync(path.dirname(seriesCacheDir(run)), { recursive: true });
    fs.writeFileSync(seriesCacheDir(run), 'not a directory');
    assert.equal(openRunSeries(run).full('loss').value.length, 100);
  });
});
