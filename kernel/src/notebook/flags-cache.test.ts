import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { code, notebook, tempDir } from '../testing/fixtures';
import { parseFlags } from './flags';
import { parseFlagsCached } from './flags-cache';

test('parseFlagsCached gives what parseFlags gives, from its cache the second time', () => {
  const dir = path.join(tempDir(), 'flags');
  const nb = notebook('tslab', [
    code("const lr = 0.1; // rate\nconst name = 'a';", ['parameters'])
  ]);
  const expected = parseFlags(nb, 'typescript');
  assert.deepEqual(parseFlagsCached(nb, 'typescript', dir), expected);
  const [entry] = fs.readdirSync(dir);
  assert.match(entry, /^[0-9a-f]{64}\.json$/);
  // The cached entry is what answers now: prove it by changing it.
  const file = path.join(dir, entry);
  fs.writeFileSync(file, JSON.stringify([{ ...expected[0], description: 'from cache' }]));
  assert.equal(parseFlagsCached(nb, 'typescript', dir)[0].description, 'from cache');
  // A broken entry is parsed again; a changed cell is a different entry.
  fs.writeFileSync(file, '{not json');
  assert.deepEqual(parseFlagsCached(nb, 'typescript', dir), expected);
  const changed = notebook('tslab', [code('const lr = 0.2;', ['parameters'])]);
  assert.equal(parseFlagsCached(changed, 'typescript', dir)[0].default, 0.2);
  assert.equal(fs.readdirSync(dir).length, 2);
});

test('parseFlagsCached does not cache errors', () => {
  const dir = path.join(tempDir(), 'flags');
  const nb = notebook('python3', [code('lr = [1,', ['parameters'])]);
  assert.throws(() => parseFlagsCached(nb, 'python', dir), /syntax error/);
  assert.throws(() => parseFlagsCached(nb, 'python', dir), /syntax error/);
  assert.ok(!fs.existsSync(dir) || fs.readdirSync(dir).length === 0);
});
