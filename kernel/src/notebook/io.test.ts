import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';

import { UserError } from '../base/errors';
import {
  parseNotebook,
  readNotebook,
  serializeNotebook,
  writeNotebookAtomic,
  writeNotebookAtomicAsync
} from './io';
import type { ICodeCell, INotebook } from './nbformat';
import type { JSONObject } from '../base/json';

/** Fixtures stay in the source tree: kernel/lib/notebook -> kernel/src/notebook/fixtures. */
const FIXTURES = path.resolve(__dirname, '../../src/notebook/fixtures');
const PYTHON = path.resolve(__dirname, '../../../.venv/bin/python');

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'nbx-io-'));
}

function fixture(name: string): string {
  return fs.readFileSync(path.join(FIXTURES, name), 'utf8');
}

function minimal(cells: unknown[] = []): string {
  return JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells });
}

/** Asserts `fn` throws a one-line UserError whose message matches `pattern`. */
function throwsUser(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof UserError, `expected a UserError, got ${String(err)}`);
    assert.ok(!err.message.includes('\n'), `not one line: ${err.message}`);
    assert.match(err.message, pattern);
    return true;
  });
}

test('a notebook saved by Jupyter round-trips byte for byte', () => {
  const text = fixture('jupyter-saved.ipynb');
  assert.equal(serializeNotebook(parseNotebook(text, 'jupyter-saved.ipynb')), text);
});

test('serializing applies nbformat split_lines and strip_transient like Jupyter', () => {
  const nb = parseNotebook(fixture('unsplit-input.ipynb'), 'unsplit-input.ipynb');
  assert.equal(serializeNotebook(nb), fixture('unsplit-expected.ipynb'));
  // The in-memory notebook is not modified.
  assert.equal(nb.cells[0].source, 'lr = 0.1\nepochs = 2\n');
  assert.equal(nb.metadata.signature, 'sha256:abc');
});

test('serializing drops the transient field of outputs', () => {
  const nb = parseNotebook(minimal(), 'x.ipynb');
  nb.cells.push({
    cell_type: 'code',
    metadata: {},
    source: 'display()',
    execution_count: 1,
    outputs: [
      {
        output_type: 'display_data',
        data: { 'text/plain': 'hi' },
        metadata: {},
        transient: { display_id: 'abc' }
      }
    ]
  });
  const text = serializeNotebook(nb);
  assert.doesNotMatch(text, /transient|display_id/);
  assert.match(text, /"text\/plain": \[\n {7}"hi"\n {6}\]/);
});

test('serializing matches the nbformat writer of the venv on varied numbers and text', t => {
  if (!fs.existsSync(PYTHON)) {
    t.skip(`no python at ${PYTHON}`);
    return;
  }
  let seed = 7;
  const random = (): number => {
    seed = (seed * 16807) % 2147483647;
    return seed / 2147483647;
  };
  const numbers: number[] = [];
  for (let i = 0; i < 300; i++) {
    const scale = 10 ** Math.floor(random() * 60 - 30);
    numbers.push(random() * scale, Math.round(random() * 1e6), -random() * scale);
  }
  const literals = numbers.map(String).concat(['5.0', '-0.0', '1e300', '12345678901234567890']);
  const text =
    '{"nbformat": 4, "nbformat_minor": 5, "metadata": {"numbers": [' +
    literals.join(', ') +
    '], "text": "tab\\t \\u0001 é 😀 \\u2029 \\u007f"}, "cells": [' +
    '{"cell_type": "code", "metadata": {}, "source": "a\\r\\nb\\u000bc", "execution_count": null, "outputs": []}]}';
  const script = [
    'import sys, json, nbformat',
    'from nbformat.v4.nbjson import writes',
    'nb = json.loads(sys.stdin.buffer.read().decode("utf-8"))',
    'sys.stdout.buffer.write((writes(nbformat.from_dict(nb)) + "\\n").encode("utf-8"))'
  ].join('\n');
  const result = spawnSync(PYTHON, ['-c', script], { input: text, encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  assert.equal(serializeNotebook(parseNotebook(text, 'random.ipynb')), result.stdout);
});

test('parseNotebook keeps unknown fields and normalises code cells', () => {
  const nb = parseNotebook(
    JSON.stringify({
      nbformat: 4,
      nbformat_minor: 2,
      metadata: { custom: { deep: [1, 2] } },
      extra: 'kept',
      cells: [
        { cell_type: 'code', source: 'x = 1', metadata: {}, mystery: true },
        { cell_type: 'markdown', source: ['# hi'] }
      ]
    }),
    'x.ipynb'
  );
  const code = nb.cells[0] as ICodeCell;
  assert.deepEqual(code.outputs, []);
  assert.equal(code.execution_count, null);
  assert.equal((code as unknown as JSONObject).mystery, true);
  assert.deepEqual(nb.cells[1].metadata, {});
  assert.equal((nb as unknown as JSONObject).extra, 'kept');
  assert.deepEqual(nb.metadata.custom, { deep: [1, 2] });
});

test('parseNotebook rejects bad input with one-line UserErrors', () => {
  throwsUser(
    () => parseNotebook('{"nbformat": 4,', 'a.ipynb'),
    /^a\.ipynb is not valid JSON \(.*line 1, column 16\)/
  );
  throwsUser(() => parseNotebook('[]', 'a.ipynb'), /^a\.ipynb is not a notebook: it holds a list/);
  throwsUser(() => parseNotebook('{"cells": []}', 'a.ipynb'), /no "nbformat" field/);
  throwsUser(
    () => parseNotebook('{"nbformat": 3, "nbformat_minor": 0, "worksheets": []}', 'old.ipynb'),
    /^old\.ipynb is nbformat 3; nbx reads nbformat 4 notebooks — open and save it in JupyterLab to upgrade$/
  );
  throwsUser(
    () => parseNotebook('{"nbformat": 5, "metadata": {}, "cells": []}', 'n.ipynb'),
    /is nbformat 5;/
  );
  throwsUser(
    () => parseNotebook('{"nbformat": 4, "cells": []}', 'a.ipynb'),
    /has no "metadata" object/
  );
  throwsUser(
    () => parseNotebook('{"nbformat": 4, "metadata": []}', 'a.ipynb'),
    /an invalid "metadata"/
  );
  throwsUser(
    () => parseNotebook('{"nbformat": 4, "metadata": {}}', 'a.ipynb'),
    /has no "cells" list/
  );
  throwsUser(
    () => parseNotebook('{"nbformat": 4, "metadata": {}, "cells": {}}', 'a.ipynb'),
    /has an invalid "cells" list/
  );
});

test('parseNotebook names the bad cell', () => {
  const ok = { cell_type: 'markdown', source: '', metadata: {} };
  throwsUser(
    () => parseNotebook(minimal([ok, { cell_type: 'python', source: '' }]), 'c.ipynb'),
    /^c\.ipynb: cells\[1\] has cell_type "python"; expected "code", "markdown" or "raw"/
  );
  throwsUser(
    () => parseNotebook(minimal([ok, ok, { cell_type: 'code', metadata: {} }]), 'c.ipynb'),
    /^c\.ipynb: cells\[2\] \(code\) has no "source"/
  );
  throwsUser(
    () => parseNotebook(minimal([{ source: 'x' }]), 'c.ipynb'),
    /cells\[0\] has no "cell_type"/
  );
  throwsUser(() => parseNotebook(minimal([42]), 'c.ipynb'), /cells\[0\] is number 42, not a cell/);
  throwsUser(
    () => parseNotebook(minimal([{ cell_type: 'code', source: '', outputs: [{}] }]), 'c.ipynb'),
    /cells\[0\]\.outputs\[0\] has no "output_type"/
  );
});

test('readNotebook reports missing files, directories and non-notebooks', () => {
  const dir = tempDir();
  throwsUser(() => readNotebook(path.join(dir, 'nope.ipynb')), /^no such notebook: .*nope\.ipynb$/);
  fs.mkdirSync(path.join(dir, 'folder.ipynb'));
  throwsUser(
    () => readNotebook(path.join(dir, 'folder.ipynb')),
    /is a directory — give the path of an \.ipynb/
  );
  fs.writeFileSync(path.join(dir, 'train.py'), 'print(1)\n');
  throwsUser(
    () => readNotebook(path.join(dir, 'train.py')),
    /train\.py is not a notebook — .*\*\.ipynb/
  );
  fs.writeFileSync(path.join(dir, 'bad.ipynb'), 'not json');
  throwsUser(() => readNotebook(path.join(dir, 'bad.ipynb')), /bad\.ipynb is not valid JSON/);
  fs.writeFileSync(path.join(dir, 'latin1.ipynb'), Buffer.from([0x7b, 0xe9, 0x7d]));
  throwsUser(() => readNotebook(path.join(dir, 'latin1.ipynb')), /is not UTF-8 text/);
});

test('readNotebook reads a notebook with a UTF-8 byte order mark', () => {
  const dir = tempDir();
  const file = path.join(dir, 'bom.ipynb');
  fs.writeFileSync(file, '\ufeff' + minimal());
  assert.equal(readNotebook(file).nbformat, 4);
});

test('writeNotebookAtomic writes what serializeNotebook returns, leaving no temp files', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'out.ipynb');
  const nb: INotebook = parseNotebook(fixture('jupyter-saved.ipynb'), 'jupyter-saved.ipynb');
  fs.writeFileSync(file, 'old content');
  writeNotebookAtomic(file, nb);
  assert.equal(fs.readFileSync(file, 'utf8'), fixture('jupyter-saved.ipynb'));
  nb.cells.pop();
  await writeNotebookAtomicAsync(file, nb);
  assert.equal(fs.readFileSync(file, 'utf8'), serializeNotebook(nb));
  assert.equal(readNotebook(file).cells.length, nb.cells.length);
  assert.deepEqual(fs.readdirSync(dir), ['out.ipynb']);
});
