import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { GpuInfo, NVIDIA_SMI_NOT_FOUND, parseGpuCsv, queryGpus } from './gpus';

/** The fake nvidia-smi, from kernel/lib/tracking. */
const FAKE_BIN = path.resolve(__dirname, '../../test/bin');

/** process.env without FAKE_* settings, with `dirs` put first on PATH. */
function envWith(dirs: string[], extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('FAKE_')) {
      env[key] = value;
    }
  }
  env.PATH = [...dirs, process.env.PATH ?? ''].join(path.delimiter);
  return { ...env, ...extra };
}

const REAL_OUTPUT = [
  'index, uuid, name, memory.total [MiB], memory.used [MiB], utilization.gpu [%], power.draw [W]',
  '0, GPU-3f6a0c1e-51b2-4c3d-8e4f-1a2b3c4d5e6f, NVIDIA A100-SXM4-40GB, ' +
    '40960 MiB, 1024 MiB, 37 %, 61.22 W',
  '1, GPU-9b1c2d3e-0000-4000-8000-00000000abcd, NVIDIA A100-SXM4-40GB, ' +
    '40960 MiB, 3 MiB, 0 %, [N/A]',
  ''
].join('\n');

describe('queryGpus', () => {
  let tmp = '';

  before(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'nbx-gpus-'));
  });

  after(async () => {
    await fs.rm(tmp, { recursive: true, force: true });
  });

  it('lists the 4 GPUs of the fake nvidia-smi', async () => {
    const result = await queryGpus({ env: envWith([FAKE_BIN]) });
    assert.equal(result.reason, null);
    assert.deepEqual(
      result.gpus.map(gpu => gpu.index),
      [0, 1, 2, 3]
    );
    const uuids = new Set(result.gpus.map(gpu => gpu.uuid));
    assert.equal(uuids.size, 4);
    for (const gpu of result.gpus) {
      assert.match(gpu.uuid, /^GPU-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      assert.equal(gpu.name, 'NVIDIA A100-SXM4-40GB');
      assert.equal(gpu.memoryTotalMiB, 40960);
      assert.equal(typeof gpu.memoryUsedMiB, 'number');
      assert.ok(
        gpu.utilizationPct !== null && gpu.utilizationPct >= 0 && gpu.utilizationPct <= 100
      );
      assert.ok(gpu.powerW !== null && gpu.powerW > 0);
    }
  });

  it('follows FAKE_GPU_COUNT', async () => {
    const result = await queryGpus({ env: envWith([FAKE_BIN], { FAKE_GPU_COUNT: '2' }) });
    assert.equal(result.reason, null);
    assert.equal(result.gpus.length, 2);
  });

  it('reports busy GPUs of the fake as busy', async () => {
    const result = await queryGpus({ env: envWith([FAKE_BIN], { FAKE_GPU_BUSY: '1' }) });
    const [idle, busy] = result.gpus;
    assert.ok((busy.utilizationPct ?? 0) > 90 && (idle.utilizationPct ?? 100) < 50);
    assert.ok((busy.memoryUsedMiB ?? 0) > (idle.memoryUsedMiB ?? Infinity));
  });

  it('gives an empty list and a reason when nvidia-smi is not on PATH', async () => {
    const result = await queryGpus({ env: { PATH: tmp } });
    assert.deepEqual(result, { gpus: [], reason: NVIDIA_SMI_NOT_FOUND });
    assert.equal(NVIDIA_SMI_NOT_FOUND, 'nvidia-smi not found on PATH');
  });

  it('ignores a nvidia-smi on PATH that is not executable', async () => {
    const dir = path.join(tmp, 'not-executable');
    await fs.mkdir(dir);
    await fs.writeFile(path.join(dir, 'nvidia-smi'), 'echo hi\n', { mode: 0o644 });
    const result = await queryGpus({ env: { PATH: dir } });
    assert.deepEqual(result, { gpus: [], reason: NVIDIA_SMI_NOT_FOUND });
  });

  it('reports the driver failure message as the reason', async () => {
    const result = await queryGpus({ env: envWith([FAKE_BIN], { FAKE_NVIDIA_SMI_FAIL: '1' }) });
    assert.deepEqual(result.gpus, []);
    assert.equal(
      result.reason,
      "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. " +
        'Make sure that the latest NVIDIA driver is installed and running.'
    );
  });

  it('reports "No devices were found" when there are no GPUs', async () => {
    const result = await queryGpus({ env: envWith([FAKE_BIN], { FAKE_GPU_COUNT: '0' }) });
    assert.deepEqual(result, { gpus: [], reason: 'No devices were found' });
  });

  it('gives up on a nvidia-smi that hangs', async () => {
    const dir = path.join(tmp, 'hanging');
    await fs.mkdir(dir);
    await fs.writeFile(path.join(dir, 'nvidia-smi'), '#!/bin/sh\nexec sleep 30\n', {
      mode: 0o755
    });
    const started = Date.now();
    const result = await queryGpus({ env: envWith([dir]), timeoutMs: 200 });
    assert.deepEqual(result, { gpus: [], reason: 'nvidia-smi did not answer within 0.2 s' });
    assert.ok(Date.now() - started < 5000);
  });

  it('reports output it cannot read', async () => {
    const dir = path.join(tmp, 'garbled');
    await fs.mkdir(dir);
    await fs.writeFile(path.join(dir, 'nvidia-smi'), '#!/bin/sh\necho "hello world"\n', {
      mode: 0o755
    });
    const result = await queryGpus({ env: envWith([dir]) });
    assert.deepEqual(result, { gpus: [], reason: 'unexpected nvidia-smi output: hello world' });
  });
});

describe('parseGpuCsv', () => {
  it('parses the real format, with [N/A] as null', () => {
    const expected: GpuInfo[] = [
      {
        index: 0,
        uuid: 'GPU-3f6a0c1e-51b2-4c3d-8e4f-1a2b3c4d5e6f',
        name: 'NVIDIA A100-SXM4-40GB',
        memoryTotalMiB: 40960,
        memoryUsedMiB: 1024,
        utilizationPct: 37,
        powerW: 61.22
      },
      {
        index: 1,
        uuid: 'GPU-9b1c2d3e-0000-4000-8000-00000000abcd',
        name: 'NVIDIA A100-SXM4-40GB',
        memoryTotalMiB: 40960,
        memoryUsedMiB: 3,
        utilizationPct: 0,
        powerW: null
      }
    ];
    assert.deepEqual(parseGpuCsv(REAL_OUTPUT), expected);
  });

  it('finds columns by name in any order, without units, and with CRLF', () => {
    const csv =
      'power.draw [W], name, utilization.gpu [%], index, uuid\r\n' +
      '[Not Supported], Tesla K80, [Not Supported], 3, GPU-abc\r\n';
    assert.deepEqual(parseGpuCsv(csv), [
      {
        index: 3,
        uuid: 'GPU-abc',
        name: 'Tesla K80',
        memoryTotalMiB: null,
        memoryUsedMiB: null,
        utilizationPct: null,
        powerW: null
      }
    ]);
  });

  it('parses values printed with nounits', () => {
    const csv = 'index, uuid, name, memory.total [MiB], power.draw [W]\n0, GPU-1, X, 81920, 70.5\n';
    const [gpu] = parseGpuCsv(csv);
    assert.equal(gpu.memoryTotalMiB, 81920);
    assert.equal(gpu.powerW, 70.5);
  });

  it('keeps a product name that contains a comma', () => {
    const csv = 'index, uuid, name, memory.total [MiB]\n0, GPU-1, Quadro, Special, 1024 MiB\n';
    const [gpu] = parseGpuCsv(csv);
    assert.equal(gpu.name, 'Quadro, Special');
    assert.equal(gpu.memoryTotalMiB, 1024);
  });

  it('gives no GPUs for empty output', () => {
    assert.deepEqual(parseGpuCsv(''), []);
    assert.deepEqual(parseGpuCsv('index, uuid, name\n'), []);
  });

  it('throws on a table without index, uuid and name', () => {
    assert.throws(() => parseGpuCsv('memory.total [MiB]\n1 MiB\n'), /unexpected nvidia-smi output/);
  });

  it('throws on a row that does not fit the header', () => {
    assert.throws(
      () => parseGpuCsv('index, uuid, name\nfoo\n'),
      /unexpected nvidia-smi output: foo/
    );
    assert.throws(() => parseGpuCsv('index, uuid, name\nx, GPU-1, A\n'), /unexpected/);
  });
});
