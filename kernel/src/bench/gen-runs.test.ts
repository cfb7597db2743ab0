import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';

import { loadRunsIndex } from '../store/index';
import { SCALAR_STATS } from '../store/index-columns';
import { generateRuns } from './gen-runs';
import { tempDir } from '../testing/fixtures';

test('generated runs are real run directories with 20 flags and 30 scalar keys', () => {
  const root = path.join(tempDir('nbx-gen-'), 'home');
  const ids = generateRuns(root, { count: 50 });
  assert.equal(ids.length, 50);
  const warnings: string[] = [];
  const index = loadRunsIndex(root, { onWarning: w => warnings.push(w) });
  assert.deepEqual(warnings, []);
  assert.equal(index.numRows, 50);
  assert.equal(index.names('flag').length, 20);
  // 30 keys, each with its summaries (last, min, max, the last step).
  assert.equal(index.names('scalar').length, 30 * SCALAR_STATS.length);
  const files = fs.readdirSync(path.join(root, 'runs', index.id(0))).sort();
  assert.ok(files.includes('meta.json') && files.includes('snapshot.ipynb'));
  // Same seed, same runs.
  const again = path.join(tempDir('nbx-gen-'), 'home');
  assert.deepEqual(generateRuns(again, { count: 50 }), ids);
});
