import assert from 'node:assert/strict';
import { test } from 'node:test';

import Ajv from 'ajv';

import { CorruptMetaError, isRunStatus } from './meta';
import { nbxVersion } from '../base/paths';
import { hasCurrentValidator } from '../base/json-schema';
import { META_VALIDATOR, parseMeta, RUN_META_SCHEMA } from './meta-schema';

/** `text` is refused with `CorruptMetaError(file, reason)`, its message naming the file. */
function assertCorrupt(text: string, reason: string): void {
  assert.throws(
    () => parseMeta(text, '/r/runs/a/meta.json'),
    (err: unknown) =>
      err instanceof CorruptMetaError &&
      err.reason === reason &&
      err.message === `/r/runs/a/meta.json: ${reason}`
  );
}

test('parseMeta fills defaults for missing fields and keeps unknown ones', () => {
  const meta = parseMeta(
    JSON.stringify({ id: 'abc', status: 'completed', notebook: '/p/train.ipynb', future: 1 }),
    'meta.json'
  );
  assert.equal(meta.id, 'abc');
  assert.equal(meta.status, 'completed');
  assert.equal(meta.notebookName, 'train.ipynb');
  assert.deepEqual(meta.tags, []);
  assert.deepEqual(meta.flags, {});
  assert.equal(meta.pid, null);
  assert.equal(meta.gpus, null);
  assert.deepEqual(meta.progress, { cells: 0, done: 0, current: null });
  assert.equal((meta as unknown as { future: number }).future, 1);
  assert.equal(meta.settings, undefined);
});

test('parseMeta normalises execution settings when present', () => {
  const text = JSON.stringify({ id: 'a', status: 'queued', settings: { timeoutS: 30 } });
  assert.deepEqual(parseMeta(text, 'meta.json').settings, { timeoutS: 30, allowErrors: false });
});

test('parseMeta rejects corrupt records with a clear message', () => {
  const cases: Array<[string, string]> = [
    ['{"id": "a", ', 'meta.json is not valid JSON'],
    ['[]', 'meta.json is not a JSON object'],
    ['{"status": "running"}', 'meta.json has no run id'],
    ['{"id": "a"}', 'meta.json has no status'],
    ['{"id": "a", "status": "done"}', 'meta.json has unknown status "done"']
  ];
  for (const [text, reason] of cases) {
    assertCorrupt(text, reason);
  }
});

test('isRunStatus and nbxVersion', () => {
  assert.ok(isRunStatus('queued'));
  assert.ok(!isRunStatus('done'));
  assert.match(nbxVersion(), /^\d+\.\d+\.\d+/);
  assert.notEqual(nbxVersion(), '0.0.0');
});

test('the meta.json schema is a valid JSON Schema, and a bad field is named with what it must be', () => {
  const ajv = new Ajv();
  assert.equal(ajv.validateSchema(RUN_META_SCHEMA), true, ajv.errorsText());
  const cases: Array<[object, string]> = [
    [{ tags: 'a' }, 'meta.json field tags must be array'],
    [{ pid: 'x' }, 'meta.json field pid must be number'],
    [{ progress: { cells: '3' } }, 'meta.json field progress.cells must be number'],
    [{ kind: 'sweep' }, 'meta.json field kind must be one of run, batch, pipeline'],
    [{ kernel: { displayName: 'Python' } }, 'meta.json field kernel.name is missing']
  ];
  for (const [fields, reason] of cases) {
    const text = JSON.stringify({ id: 'a', status: 'completed', ...fields });
    assertCorrupt(text, reason);
  }
});

test('the build compiled the meta.json schema (npm run build:kernel)', () => {
  assert.ok(hasCurrentValidator(META_VALIDATOR, RUN_META_SCHEMA));
});
