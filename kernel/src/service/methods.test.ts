/**
 * Helpers of the service methods that deserve their own checks: log tails cut at
 * character boundaries, tag changes, and the kernelspec installer.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import { UserError } from '../base/errors';
import { readKernelSpec } from '../protocol/kernelspec';
import { tempDir } from '../testing/fixtures';
import { installServiceKernelspec, SERVICE_MAIN } from './install';
import { connectionFileArg } from './main';
import { readTail } from './methods-read';
import { applyTagChanges } from '../store/tags';

describe('readTail', () => {
  it('returns the last bytes, starting at a character boundary', () => {
    const file = path.join(tempDir('nbx-tail-'), 'output.log');
    fs.writeFileSync(file, 'loss: 0.5\nété 🚀\n');
    const size = fs.statSync(file).size;
    const tailOf = (maxBytes: number) => readTail(fs.openSync(file, 'r'), maxBytes);
    assert.deepEqual(tailOf(1000), { text: 'loss: 0.5\nété 🚀\n', size, truncated: false });
    // The last 4 bytes cut the rocket (4 bytes in UTF-8) short: its partial bytes are dropped.
    const tail = tailOf(4);
    assert.equal(tail.truncated, true);
    assert.equal(tail.size, size);
    assert.equal(tail.text, '\n');
    assert.equal(tailOf(5).text, '🚀\n');
  });
});

describe('applyTagChanges', () => {
  it('adds, removes and keeps order and uniqueness', () => {
    assert.deepEqual(applyTagChanges(['a', 'b'], ['+c', '-a', 'b', 'd']), ['b', 'c', 'd']);
    assert.deepEqual(applyTagChanges([], ['-x']), []);
  });

  it('refuses tags with spaces or commas', () => {
    assert.throws(() => applyTagChanges([], ['+two words']), UserError);
    assert.throws(() => applyTagChanges([], ['a,b']), /no spaces or commas/);
    assert.throws(() => applyTagChanges([], ['+']), UserError);
  });
});

describe('installServiceKernelspec', () => {
  it('writes a kernelspec that starts main.js with this node', () => {
    const prefix = tempDir('nbx-prefix-');
    const dir = installServiceKernelspec(prefix);
    assert.equal(dir, path.join(prefix, 'share', 'jupyter', 'kernels', 'nbx-service'));
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'kernel.json'), 'utf8'));
    assert.deepEqual(json.argv, [process.execPath, SERVICE_MAIN, '-f', '{connection_file}']);
    assert.ok(path.isAbsolute(SERVICE_MAIN) && fs.existsSync(SERVICE_MAIN));
    assert.equal(json.display_name, 'nbx service');
    assert.equal(json.language, 'nbx');
    assert.deepEqual(json.metadata.nbx, { service: true });
    const spec = readKernelSpec(dir);
    assert.equal(spec?.name, 'nbx-service');
    assert.equal(spec?.interruptMode, 'message');
    // Installing again replaces it.
    installServiceKernelspec(prefix);
    assert.deepEqual(fs.readdirSync(dir), ['kernel.json']);
  });
});

describe('connectionFileArg', () => {
  it('reads -f FILE and -f=FILE', () => {
    assert.equal(connectionFileArg(['-f', '/x/k.json']), '/x/k.json');
    assert.equal(connectionFileArg(['--f=/x/k.json']), '/x/k.json');
    assert.equal(connectionFileArg(['-f=/x/k.json']), '/x/k.json');
    assert.equal(connectionFileArg([]), null);
    assert.equal(connectionFileArg(['-f']), null);
  });
});
