import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

import type { GpuInfo } from './gpus';
import {
  parseProcStat,
  processTree,
  processUsage,
  selectGpus,
  SystemSampler,
  type ISystemPoint
} from './system';

/** The fake nvidia-smi, from kernel/lib/tracking. */
const FAKE_BIN = path.resolve(__dirname, '../../test/bin');

/** process.env without FAKE_* settings, with `dirs` put first on PATH. */
function envWith(dirs: string[]): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('FAKE_')) {
      env[key] = value;
    }
  }
  env.PATH = [...dirs, process.env.PATH ?? ''].join(path.delimiter);
  return env;
}

/** A node process burning CPU, with a child of its own burning CPU too (for at most 60 s). */
const BUSY_TREE = [
  "const { spawn } = require('child_process');",
  "spawn(process.execPath, ['-e', 'const e = Date.now() + 60000; while (Date.now() < e) {}'],",
  "  { stdio: 'inherit' });",
  'const end = Date.now() + 60000;',
  'while (Date.now() < end) {}'
].join('\n');

const delay = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms));

/** Collects the samples of a sampler. */
function collector(): { samples: ISystemPoint[][]; onSample: (p: ISystemPoint[]) => void } {
  const samples: ISystemPoint[][] = [];
  return { samples, onSample: points => samples.push(points) };
}

const keysOf = (points: ISystemPoint[]): string[] => points.map(p => p.key).sort();

describe('SystemSampler', () => {
  let busy: ChildProcess;
  let pid = 0;

  before(async () => {
    busy = spawn(process.execPath, ['-e', BUSY_TREE], { stdio: 'ignore', detached: true });
    pid = busy.pid ?? 0;
    for (let i = 0; i < 100 && (await processTree(pid)).length < 2; i++) {
      await delay(50);
    }
  });

  after(() => {
    try {
      // The busy tree is its own process group: end it whole.
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  });

  it('finds the tree by /proc children files and by scanning /proc alike', async () => {
    const byChildren = await processTree(pid, 'children');
    const byScan = await processTree(pid, 'scan');
    assert.equal(byChildren.length, 2);
    assert.equal(byChildren[0], pid);
    assert.deepEqual([...byScan].sort(), [...byChildren].sort());
    const usage = await processUsage(byChildren);
    assert.equal(usage.processes, 2);
    assert.ok(usage.rssBytes > 10 * 1024 * 1024);
  });

  it('measures CPU and RSS of the whole busy tree, and only the assigned GPUs', async t => {
    const { samples, onSample } = collector();
    const sampler = new SystemSampler({
      kernelPid: pid,
      gpus: '0,2',
      intervalMs: 400,
      onSample,
      env: envWith([FAKE_BIN])
    }).start();
    assert.equal(sampler.running, true);
    while (samples.length < 2) {
      await delay(50);
    }
    await sampler.stop();
    assert.equal(sampler.running, false);
    assert.ok(samples.length >= 3, 'two timed samples and the final one');
    const [sample] = samples;
    assert.deepEqual(keysOf(sample), [
      'sys/cpu',
      'sys/gpu0/mem_used_mib',
      'sys/gpu0/power_w',
      'sys/gpu0/util',
      'sys/gpu2/mem_used_mib',
      'sys/gpu2/power_w',
      'sys/gpu2/util',
      'sys/rss_mib'
    ]);
    const value = (key: string): number => sample.find(p => p.key === key)?.value ?? NaN;
    t.diagnostic(`busy tree: cpu ${value('sys/cpu')} %, rss ${value('sys/rss_mib')} MiB`);
    assert.ok(value('sys/cpu') > 0);
    assert.ok(value('sys/rss_mib') > 0);
    assert.equal(value('sys/gpu0/mem_used_mib'), 4);
    assert.equal(value('sys/gpu2/power_w'), 59.66);
    const now = Date.now();
    assert.ok(sample.every(p => p.time > now - 10_000 && p.time <= now));
    // Stopped: no more samples.
    const count = samples.length;
    await delay(600);
    assert.equal(samples.length, count);
  });

  it('reports every GPU when they are inherited, none for an empty list', async () => {
    const all = await new SystemSampler({
      kernelPid: pid,
      gpus: null,
      onSample: () => undefined,
      env: envWith([FAKE_BIN])
    }).sample();
    const gpuKeys = keysOf(all).filter(k => k.startsWith('sys/gpu'));
    assert.deepEqual(
      [...new Set(gpuKeys.map(k => k.split('/')[1]))],
      ['gpu0', 'gpu1', 'gpu2', 'gpu3']
    );
    const none = await new SystemSampler({
      kernelPid: pid,
      gpus: '',
      onSample: () => undefined,
      env: envWith([FAKE_BIN])
    }).sample();
    assert.deepEqual(keysOf(none), ['sys/rss_mib']);
  });

  it('leaves GPU keys out silently without nvidia-smi', async () => {
    const points = await new SystemSampler({
      kernelPid: pid,
      gpus: '0',
      onSample: () => undefined,
      env: { PATH: '/nonexistent' }
    }).sample();
    assert.deepEqual(keysOf(points), ['sys/rss_mib']);
  });

  it('survives a kernel that is gone and a consumer that throws', async () => {
    const gone = spawn(process.execPath, ['-e', '0']);
    await new Promise(resolve => gone.on('exit', resolve));
    let calls = 0;
    const sampler = new SystemSampler({
      kernelPid: gone.pid ?? 0,
      gpus: '1',
      intervalMs: 50,
      onSample: () => {
        calls++;
        throw new Error('consumer failure');
      },
      env: envWith([FAKE_BIN])
    }).start();
    await delay(400);
    await sampler.stop();
    await sampler.stop();
    assert.ok(calls >= 2);
    const points = await sampler.sample();
    assert.deepEqual(keysOf(points), [
      'sys/gpu1/mem_used_mib',
      'sys/gpu1/power_w',
      'sys/gpu1/util'
    ]);
  });
});

describe('parseProcStat', () => {
  it('reads the fields after a command name with spaces and parentheses', () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
    fields[4 - 3] = '77';
    fields[14 - 3] = '100';
    fields[15 - 3] = '20';
    fields[16 - 3] = '3';
    fields[17 - 3] = '4';
    fields[24 - 3] = '2560';
    const line = `4242 (my (odd) proc) ${fields.join(' ')}\n`;
    assert.deepEqual(parseProcStat(line), { pid: 4242, ppid: 77, ticks: 127, rssPages: 2560 });
    assert.equal(parseProcStat('garbage'), null);
    assert.equal(parseProcStat('1 (x) S 0'), null);
  });
});

describe('selectGpus', () => {
  const gpu = (index: number, uuid: string): GpuInfo => ({
    index,
    uuid,
    name: 'A100',
    memoryTotalMiB: null,
    memoryUsedMiB: null,
    utilizationPct: null,
    powerW: null
  });
  const gpus = [gpu(0, 'GPU-aaa1'), gpu(1, 'GPU-bbb2'), gpu(2, 'GPU-ccc3')];
  const cases: Array<[string | null, number[]]> = [
    [null, [0, 1, 2]],
    ['', []],
    ['0,2', [0, 2]],
    ['2,0', [2, 0]],
    [' 1 ', [1]],
    ['7', []],
    ['GPU-BBB2', [1]],
    ['gpu-ccc', [2]],
    ['0,GPU-aaa1', [0]]
  ];
  for (const [visible, expected] of cases) {
    it(`selects ${JSON.stringify(expected)} for ${JSON.stringify(visible)}`, () => {
      assert.deepEqual(
        selectGpus(gpus, visible).map(g => g.index),
        expected
      );
    });
  }
});
