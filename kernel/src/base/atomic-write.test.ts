import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';

import { isAtomicTempName, writeFileAtomic, writeFileAtomicSync } from './atomic-write';

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'nbx-atomic-'));
}

test('writeFileAtomicSync creates and replaces a file, leaving no temp files', () => {
  const dir = tempDir();
  const target = path.join(dir, 'a.json');
  writeFileAtomicSync(target, 'one');
  assert.equal(fs.readFileSync(target, 'utf8'), 'one');
  writeFileAtomicSync(target, Buffer.from('two'));
  assert.equal(fs.readFileSync(target, 'utf8'), 'two');
  assert.deepEqual(fs.readdirSync(dir), ['a.json']);
});

test('writeFileAtomic (async) creates and replaces a file, leaving no temp files', async () => {
  const dir = tempDir();
  const target = path.join(dir, 'b.txt');
  await writeFileAtomic(target, 'first');
  await writeFileAtomic(target, 'second, longer content');
  assert.equal(fs.readFileSync(target, 'utf8'), 'second, longer content');
  assert.deepEqual(fs.readdirSync(dir), ['b.txt']);
});

test('atomic writes keep the mode of an existing file', () => {
  const dir = tempDir();
  const target = path.join(dir, 'script.sh');
  fs.writeFileSync(target, 'old', { mode: 0o640 });
  fs.chmodSync(target, 0o640);
  writeFileAtomicSync(target, 'new');
  assert.equal(fs.statSync(target).mode & 0o777, 0o640);
});

test('a failed atomic write removes its temp file and keeps the target', async () => {
  const dir = tempDir();
  const target = path.join(dir, 'taken');
  fs.mkdirSync(target);
  fs.writeFileSync(path.join(target, 'inside'), 'x');
  assert.throws(() => writeFileAtomicSync(target, 'data'));
  await assert.rejects(writeFileAtomic(target, 'data'));
  assert.deepEqual(fs.readdirSync(dir), ['taken']);
  assert.deepEqual(fs.readdirSync(target), ['inside']);
});

test('concurrent async writes all land whole', async () => {
  const dir = tempDir();
  const target = path.join(dir, 'c.txt');
  const contents = Array.from({ length: 20 }, (_, i) => String(i).repeat(1000));
  await Promise.all(contents.map(c => writeFileAtomic(target, c)));
  assert.ok(contents.includes(fs.readFileSync(target, 'utf8')));
  assert.deepEqual(fs.readdirSync(dir), ['c.txt']);
});

test('isAtomicTempName recognises temp names', () => {
  assert.ok(isAtomicTempName('.meta.json.123.abcdef.nbx-tmp'));
  assert.ok(!isAtomicTempName('meta.json'));
});
