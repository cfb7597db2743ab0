import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';

import { UserError } from '../base/errors';
import {
  acquireGpus,
  gpuHolder,
  gpusDir,
  listGpuReservations,
  releaseGpus,
  transferGpus,
  validateGpusPerTrial,
  waitForGpus
} from './gpu-pool';

const GPUS = ['0', '1', '2', '3'];

function tempRoot(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'nbx-gpu-pool-'));
  process.on('exit', () => fs.rmSync(root, { recursive: true, force: true }));
  return root;
}

/** The pid of a process that has exited (and been reaped). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  return child.pid;
}

test('acquire reserves GPUs in order, all or nothing; null when too few are free', () => {
  const root = tempRoot();
  const a = gpuHolder('run-a');
  const b = gpuHolder('run-b');
  assert.deepEqual(acquireGpus(root, GPUS, 2, a), ['0', '1']);
  assert.deepEqual(acquireGpus(root, GPUS, 1, b), ['2']);
  assert.equal(acquireGpus(root, GPUS, 2, gpuHolder('run-c')), null);
  // The failed acquire reserved nothing: GPU 3 is still free.
  assert.deepEqual(
    listGpuReservations(root).map(r => [r.gpu, r.runId]),
    [
      ['0', 'run-a'],
      ['1', 'run-a'],
      ['2', 'run-b']
    ]
  );
  assert.deepEqual(acquireGpus(root, GPUS, 1, gpuHolder('run-c')), ['3']);
  // A holder's own GPUs count toward what it asks for: run-b has GPU 2, but no second one is free.
  assert.equal(acquireGpus(root, GPUS, 2, b), null);
  assert.equal(acquireGpus(root, GPUS, 1, gpuHolder('run-d')), null);
  // A holder asking again gets what it has.
  assert.deepEqual(acquireGpus(root, GPUS, 2, a), ['0', '1']);
  // Release frees only the holder's own GPUs.
  assert.deepEqual(releaseGpus(root, ['0', '1', '2'], a), ['0', '1']);
  assert.deepEqual(acquireGpus(root, ['2', '1', '0'], 2, gpuHolder('run-e')), ['1', '0']);
  assert.deepEqual(acquireGpus(root, GPUS, 0, a), []);
});

test('reservation files hold who has the GPU', () => {
  const root = tempRoot();
  const holder = gpuHolder('run-x');
  acquireGpus(root, ['GPU-3f6a0000-0000'], 1, holder);
  const stored = JSON.parse(
    fs.readFileSync(path.join(gpusDir(root), 'GPU-3f6a0000-0000.json'), 'utf8')
  ) as Record<string, unknown>;
  assert.equal(stored.runId, 'run-x');
  assert.equal(stored.pid, process.pid);
  assert.equal(stored.pidStart, holder.pidStart);
  assert.equal(stored.host, os.hostname());
  assert.ok(!Number.isNaN(Date.parse(String(stored.since))));
  assert.deepEqual(
    fs.readdirSync(gpusDir(root)).filter(n => !n.startsWith('.')),
    ['GPU-3f6a0000-0000.json']
  );
});

test('a reservation whose holder died is reclaimed; a live or foreign one is not', () => {
  const root = tempRoot();
  fs.mkdirSync(gpusDir(root), { recursive: true });
  const write = (gpu: string, data: object): void =>
    fs.writeFileSync(path.join(gpusDir(root), `${gpu}.json`), JSON.stringify(data));
  write('0', {
    gpu: '0',
    runId: 'dead',
    pid: deadPid(),
    pidStart: null,
    host: os.hostname(),
    since: ''
  });
  // A reused pid: this process, but another start token.
  write('1', {
    gpu: '1',
    runId: 'reused',
    pid: process.pid,
    pidStart: '1',
    host: os.hostname(),
    since: ''
  });
  write('2', {
    gpu: '2',
    runId: 'live',
    pid: process.pid,
    pidStart: null,
    host: os.hostname(),
    since: ''
  });
  write('3', {
    gpu: '3',
    runId: 'remote',
    pid: deadPid(),
    pidStart: null,
    host: 'elsewhere',
    since: ''
  });
  fs.writeFileSync(path.join(gpusDir(root), '4.json'), '{ not json');
  const stale = listGpuReservations(root).map(r => [r.gpu, r.stale]);
  assert.deepEqual(stale, [
    ['0', true],
    ['1', true],
    ['2', false],
    ['3', false]
  ]);
  const holder = gpuHolder('new');
  assert.equal(acquireGpus(root, ['0', '1', '2', '3', '4'], 4, holder), null);
  assert.deepEqual(acquireGpus(root, ['0', '1', '2', '3', '4'], 3, holder), ['0', '1', '4']);
});

test('transfer hands reservations to another holder', () => {
  const root = tempRoot();
  const scheduler = gpuHolder('trial-1');
  const runner = { ...gpuHolder('trial-1'), pid: 1, pidStart: null };
  acquireGpus(root, GPUS, 2, scheduler);
  assert.deepEqual(transferGpus(root, ['0', '1', '2'], scheduler, runner), ['0', '1']);
  assert.deepEqual(releaseGpus(root, ['0'], scheduler), []);
  assert.deepEqual(
    listGpuReservations(root).map(r => [r.gpu, r.pid]),
    [
      ['0', 1],
      ['1', 1]
    ]
  );
  assert.deepEqual(releaseGpus(root, ['0', '1'], runner), ['0', '1']);
  assert.deepEqual(listGpuReservations(root), []);
});

test('waitForGpus resolves when a GPU is released, and stops on abort', async () => {
  const root = tempRoot();
  const a = gpuHolder('a');
  assert.deepEqual(acquireGpus(root, ['0'], 1, a), ['0']);
  const started = Date.now();
  const waiting = waitForGpus(root, ['0'], 1, gpuHolder('b'), { pollMs: 5000 });
  setTimeout(() => releaseGpus(root, ['0'], a), 100);
  assert.deepEqual(await waiting, ['0']);
  // Woken by the directory change, not the 5 s poll.
  assert.ok(Date.now() - started < 3000);

  const controller = new AbortController();
  const aborted = waitForGpus(root, ['0'], 1, gpuHolder('c'), {
    signal: controller.signal,
    pollMs: 20
  });
  setTimeout(() => controller.abort(new Error('stopped')), 50);
  await assert.rejects(aborted, /stopped/);
  await assert.rejects(waitForGpus(root, ['0'], 2, a), {
    message: '--gpus-per-trial 2 needs at least 2 GPUs, --gpus gives 1'
  });
});

test('--gpus-per-trial larger than the GPUs given is a one-line error', () => {
  assert.throws(() => validateGpusPerTrial(2, ['0']), {
    name: 'UserError',
    message: '--gpus-per-trial 2 needs at least 2 GPUs, --gpus gives 1'
  });
  assert.throws(() => validateGpusPerTrial(1, []), {
    message: '--gpus-per-trial 1 needs at least 1 GPU, --gpus gives 0'
  });
  assert.throws(() => validateGpusPerTrial(0, GPUS), {
    message: '--gpus-per-trial must be a positive integer, got 0'
  });
  assert.throws(() => validateGpusPerTrial(2, ['0']), UserError);
  validateGpusPerTrial(4, GPUS);
});

/** A child process: 2 concurrent workers, each reserving 1 of 4 GPUs `rounds` times. */
const WORKER = `
const fs = require('fs');
const pool = require(process.env.POOL);
const root = process.env.ROOT;
const rounds = Number(process.env.ROUNDS);
const gpus = ['0', '1', '2', '3'];
const now = () => process.hrtime.bigint().toString();
const sleep = ms => new Promise(r => setTimeout(r, ms));
async function worker(w) {
  const records = [];
  for (let i = 0; i < rounds; i++) {
    const holder = pool.gpuHolder('p' + process.pid + '-w' + w + '-' + i);
    const [gpu] = await pool.waitForGpus(root, gpus, 1, holder, { pollMs: 5 });
    const start = now();
    await sleep(1 + (i % 3));
    const end = now();
    records.push({ gpu, holder: holder.runId, start, end });
    const released = pool.releaseGpus(root, [gpu], holder);
    if (released.length !== 1) throw new Error('GPU ' + gpu + ' was taken over while ' + holder.runId + ' held it');
  }
  return records;
}
Promise.all([worker(0), worker(1)]).then(all => {
  fs.writeFileSync(process.env.OUT, JSON.stringify(all.flat()));
});
`;

interface IHold {
  gpu: string;
  holder: string;
  start: string;
  end: string;
}

test('four processes sharing 4 GPUs (8 workers) never hold one GPU at once', async () => {
  const root = tempRoot();
  const rounds = 25;
  const children = [0, 1, 2, 3].map(n => {
    const out = path.join(root, `holds-${n}.json`);
    const child = spawn(process.execPath, ['-e', WORKER], {
      env: {
        ...process.env,
        POOL: path.join(__dirname, 'gpu-pool.js'),
        ROOT: root,
        ROUNDS: String(rounds),
        OUT: out
      },
      stdio: ['ignore', 'ignore', 'pipe']
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    return new Promise<IHold[]>((resolve, reject) => {
      child.on('exit', code => {
        if (code !== 0) {
          reject(new Error(`worker ${n} exited ${code}: ${stderr}`));
        } else {
          resolve(JSON.parse(fs.readFileSync(out, 'utf8')) as IHold[]);
        }
      });
    });
  });
  const holds = (await Promise.all(children)).flat();
  assert.equal(holds.length, 4 * 2 * rounds);
  const byGpu = new Map<string, IHold[]>();
  for (const hold of holds) {
    assert.ok(['0', '1', '2', '3'].includes(hold.gpu));
    byGpu.set(hold.gpu, [...(byGpu.get(hold.gpu) ?? []), hold]);
  }
  assert.ok(byGpu.size >= 2, 'the workers spread over several GPUs');
  for (const [gpu, list] of byGpu) {
    list.sort((x, y) => (BigInt(x.start) < BigInt(y.start) ? -1 : 1));
    for (let i = 1; i < list.length; i++) {
      assert.ok(
        BigInt(list[i].start) >= BigInt(list[i - 1].end),
        `GPU ${gpu} held by ${list[i - 1].holder} and ${list[i].holder} at once`
      );
    }
  }
  assert.deepEqual(listGpuReservations(root), []);
});
