/**
 * Connection info: free ports, keys, the connection file and where it goes.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import { tempDir } from '../testing/fixtures';
import {
  address,
  freePorts,
  kernelPortRange,
  newConnectionInfo,
  readConnectionFile,
  runtimeDir,
  writeConnectionFile
} from './connection';

describe('connection info', () => {
  it('gives five distinct free ports and a random 256-bit hex key', async () => {
    const a = await newConnectionInfo('python3');
    const b = await newConnectionInfo();
    const ports = [a.shell_port, a.iopub_port, a.stdin_port, a.control_port, a.hb_port];
    assert.equal(new Set(ports).size, 5);
    assert.match(a.key, /^[0-9a-f]{64}$/);
    assert.notEqual(a.key, b.key);
    assert.equal(a.kernel_name, 'python3');
    assert.equal('kernel_name' in b, false);
    assert.equal(a.signature_scheme, 'hmac-sha256');
    assert.equal(address(a, 'hb'), `tcp://127.0.0.1:${a.hb_port}`);
    // Free means bindable, right now.
    for (const port of ports) {
      const server = net.createServer();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', resolve);
      });
      await new Promise(resolve => server.close(resolve));
    }
  });

  it('freePorts returns as many distinct ports as asked', async () => {
    const ports = await freePorts(12);
    assert.equal(ports.length, 12);
    assert.equal(new Set(ports).size, 12);
  });

  it('never hands out a port again while kernels given it may be starting', async () => {
    // Kernels started at once (a sweep's trials) each ask right after the last released
    // its listeners; the OS may offer a released port again.
    const batches = await Promise.all(Array.from({ length: 40 }, () => freePorts(5)));
    const all = batches.flat();
    assert.equal(new Set(all).size, all.length);
    const later = await freePorts(5);
    assert.ok(later.every(port => !all.includes(port)));
  });

  it('hands out ports the OS never gives out by itself (not its ephemeral ones)', async () => {
    const range = kernelPortRange();
    assert.ok(range, 'this machine has room outside its ephemeral ports');
    const [low, high] = fs
      .readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    assert.ok(range.high < low || range.low > high, JSON.stringify({ range, low, high }));
    const ports = await freePorts(20);
    for (const port of ports) {
      assert.ok(port >= range.low && port <= range.high, `${port} in ${JSON.stringify(range)}`);
    }
  });

  it('writes a private connection file that reads back the same', async () => {
    const info = await newConnectionInfo('tslab');
    const dir = path.join(tempDir(), 'runtime');
    const file = writeConnectionFile(info, dir);
    assert.equal(path.dirname(file), dir);
    assert.match(path.basename(file), /^kernel-nbx-[0-9a-f]{12}\.json$/);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
    assert.deepEqual(readConnectionFile(file), info);
    assert.notEqual(writeConnectionFile(info, dir), file);
  });

  it('runtimeDir: JUPYTER_RUNTIME_DIR, else <data dir>/runtime', () => {
    assert.equal(runtimeDir({ JUPYTER_RUNTIME_DIR: '/r', JUPYTER_DATA_DIR: '/d' }), '/r');
    assert.equal(runtimeDir({ JUPYTER_DATA_DIR: '/d' }), '/d/runtime');
    assert.equal(runtimeDir({}), path.join(os.homedir(), '.local', 'share', 'jupyter', 'runtime'));
  });
});
