/**
 * Writes realistic run directories for the index benchmark (and for trying the CLI on a
 * big store): each with a `meta.json` as the engine writes it (2-space JSON, 20 flags,
 * 30 scalar summaries incl. `sys/*`, labels, tags, statuses, timings), the snapshot and
 * executed notebooks, `output.log` and a short `scalars.jsonl`.
 *
 *   node kernel/lib/bench/gen-runs.js ROOT [COUNT]
 *
 * Values come from a seeded generator, so the same count gives the same runs.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { JSONValue } from '../base/json';
import type { IScalarSummary, RunMeta, RunStatus } from '../store/meta';
import { formatMeta } from '../store/meta';
import { nbxVersion } from '../base/paths';
import { runsDir } from '../store/root';

/** Options of `generateRuns`. */
export interface IGenerateRunsOptions {
  /** How many runs (default 10,000). */
  count?: number;
  /** Seed of the value generator (default 1). */
  seed?: number;
}

/** A small seeded PRNG (mulberry32): uniform in [0, 1). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = () => number;

const pick = <T>(rand: Rand, items: readonly T[]): T => items[Math.floor(rand() * items.length)];
const round = (value: number, digits: number): number => Number(value.toPrecision(digits));

const NOTEBOOKS = ['train.ipynb', 'finetune.ipynb', 'sweep_cnn.ipynb', 'eval.ipynb'];
const TAGS = ['baseline', 'sweep', 'ablation', 'best', 'debug', 'v2'];

/** The notebook's flag defaults: 20 flags of every type. */
const FLAG_DEFAULTS: Record<string, JSONValue> = {
  lr: 0.001,
  momentum: 0.9,
  weight_decay: 0.0001,
  dropout: 0.1,
  batch_size: 64,
  epochs: 10,
  seed: 0,
  warmup_steps: 500,
  grad_clip: 1.0,
  label_smoothing: 0,
  hidden: 256,
  optimizer: 'adam',
  activation: 'relu',
  dataset: 'cifar10',
  scheduler: 'cosine',
  precision: 'fp32',
  augment: true,
  shuffle: true,
  amp: false,
  layers: [64, 32]
};

function flagsFor(rand: Rand): Record<string, JSONValue> {
  return {
    lr: pick(rand, [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2]),
    momentum: pick(rand, [0.8, 0.9, 0.95, 0.99]),
    weight_decay: pick(rand, [0, 1e-5, 1e-4, 5e-4]),
    dropout: round(rand() * 0.5, 2),
    batch_size: pick(rand, [16, 32, 64, 128, 256]),
    epochs: pick(rand, [5, 10, 20, 50]),
    seed: Math.floor(rand() * 1000),
    warmup_steps: pick(rand, [0, 100, 500, 1000]),
    grad_clip: pick(rand, [0.5, 1.0, 5.0]),
    label_smoothing: pick(rand, [0, 0.05, 0.1]),
    hidden: pick(rand, [128, 256, 512, 1024]),
    optimizer: pick(rand, ['adam', 'sgd', 'adamw', 'rmsprop']),
    activation: pick(rand, ['relu', 'gelu', 'tanh', 'silu']),
    dataset: pick(rand, ['cifar10', 'cifar100', 'mnist', 'svhn']),
    scheduler: pick(rand, ['cosine', 'step', 'constant', 'linear']),
    precision: pick(rand, ['fp32', 'bf16', 'fp16']),
    augment: rand() < 0.7,
    shuffle: rand() < 0.95,
    amp: rand() < 0.3,
    layers: pick(rand, [[64, 32], [128, 64], [256, 128, 64], [512]])
  };
}

/** 30 scalar keys: training curves, per-class accuracy, throughput, system metrics. */
const SCALAR_KEYS: string[] = [
  'loss',
  'acc',
  'val_loss',
  'val_acc',
  'lr',
  'grad_norm',
  'epoch',
  'samples_per_s',
  'top5_acc',
  'f1',
  'precision',
  'recall',
  ...Array.from({ length: 10 }, (_, i) => `class_acc/${i}`),
  'sys/cpu',
  'sys/rss',
  'sys/gpu0/util',
  'sys/gpu0/mem',
  'sys/gpu0/power',
  'sys/gpu1/util',
  'sys/gpu1/mem',
  'sys/gpu1/power'
];

function summary(rand: Rand, start: number, end: number, count: number): IScalarSummary {
  const first = round(start, 6);
  const last = round(end, 6);
  const lo = Math.min(first, last) * (1 - rand() * 0.05);
  const hi = Math.max(first, last) * (1 + rand() * 0.05);
  return { first, last, min: round(lo, 6), max: round(hi, 6), count, lastStep: count - 1 };
}

function scalarsFor(
  rand: Rand,
  steps: number,
  quality: number,
  flags: Record<string, JSONValue>
): Record<string, IScalarSummary> {
  const out: Record<string, IScalarSummary> = {};
  for (const key of SCALAR_KEYS) {
    if (key === 'lr') {
      const lr = Number(flags.lr);
      out[key] = summary(rand, lr, lr * (0.01 + rand() * 0.1), steps);
    } else if (key === 'epoch') {
      const epochs = Number(flags.epochs);
      out[key] = summary(rand, 0, Math.ceil(epochs * (0.3 + 0.7 * quality)), steps);
    } else if (key === 'samples_per_s') {
      out[key] = summary(rand, 800 + rand() * 4000, 800 + rand() * 4000, steps);
    } else if (key.endsWith('loss')) {
      out[key] = summary(rand, 2 + rand(), 0.05 + (1 - quality) * 1.5, steps);
    } else if (key.includes('acc') || key === 'f1' || key === 'precision' || key === 'recall') {
      out[key] = summary(rand, 0.1 * rand(), 0.5 + quality * 0.49, steps);
    } else if (key.startsWith('sys/')) {
      out[key] = summary(rand, rand() * 100, rand() * 100, Math.max(1, Math.floor(steps / 4)));
    } else {
      out[key] = summary(rand, rand() * 10, rand() * 10, steps);
    }
  }
  return out;
}

function statusFor(rand: Rand): RunStatus {
  const r = rand();
  if (r < 0.82) {
    return 'completed';
  }
  if (r < 0.9) {
    return 'error';
  }
  if (r < 0.97) {
    return 'terminated';
  }
  if (r < 0.985) {
    return 'running';
  }
  return r < 0.993 ? 'queued' : 'staged';
}

function hexId(rand: Rand): string {
  let id = '';
  for (let i = 0; i < 4; i++) {
    id += Math.floor(rand() * 0x100000000)
      .toString(16)
      .padStart(8, '0');
  }
  return id;
}

function defaultLabel(flags: Record<string, JSONValue>): string {
  return Object.entries(flags)
    .filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(FLAG_DEFAULTS[k]))
    .slice(0, 4)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
}

function notebookText(executed: boolean, flags: Record<string, JSONValue>): string {
  const flagSource = Object.entries(flags)
    .map(([k, v]) => `const ${k} = ${JSON.stringify(v)};`)
    .join('\n');
  const cell = (id: string, source: string, tags: string[] = []): JSONValue => ({
    cell_type: 'code',
    id,
    metadata: tags.length ? { tags } : {},
    source,
    execution_count: executed ? Number(id.slice(5)) + 1 : null,
    outputs: executed
      ? [{ output_type: 'stream', name: 'stdout', text: 'step=0 loss=2.31 acc=0.10\n' }]
      : []
  });
  return JSON.stringify(
    {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {
        kernelspec: { name: 'tslab', display_name: 'TypeScript', language: 'typescript' }
      },
      cells: [
        cell('cell-0', flagSource, ['parameters']),
        cell('cell-1', 'const model = build(layers, hidden);'),
        cell('cell-2', 'for (let step = 0; step < 100; step++) { train(step); }')
      ]
    },
    null,
    1
  );
}

function logText(rand: Rand, steps: number): string {
  const lines: string[] = [];
  let loss = 2.3;
  for (let step = 0; step < Math.min(steps, 40); step++) {
    loss *= 0.9 + rand() * 0.08;
    lines.push(`step=${step} loss=${loss.toFixed(4)} acc=${(1 - loss / 2.5).toFixed(4)}`);
  }
  return lines.join('\n') + '\n';
}

/**
 * Writes `count` run directories under `<root>/runs/` and returns their ids. Created
 * times spread over the 90 days before now; about 82% completed, the rest error,
 * terminated, running (with a dead runner pid, so they read as terminated), queued, staged.
 */
export function generateRuns(root: string, options: IGenerateRunsOptions = {}): string[] {
  const count = options.count ?? 10_000;
  const rand = prng(options.seed ?? 1);
  const dir = runsDir(root);
  fs.mkdirSync(dir, { recursive: true });
  const host = os.hostname();
  const now = Date.now();
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = hexId(rand);
    const notebookName = pick(rand, NOTEBOOKS);
    const notebook = path.join('/home/researcher/project', notebookName);
    const flags = flagsFor(rand);
    const status = statusFor(rand);
    const created = now - 90 * 86_400_000 + (i / count) * 90 * 86_400_000 + rand() * 60_000;
    const hasStarted = status !== 'staged' && status !== 'queued';
    const started = hasStarted ? created + 200 + rand() * 3000 : null;
    const final = status === 'completed' || status === 'error' || status === 'terminated';
    const stopped = final && started !== null ? started + 30_000 + rand() * 4 * 3_600_000 : null;
    const steps = hasStarted ? 10 + Math.floor(rand() * 5000) : 0;
    const iso = (ms: number | null): string | null =>
      ms === null ? null : new Date(ms).toISOString();
    const tags = rand() < 0.3 ? [pick(rand, TAGS)] : [];
    if (tags.length && tags[0] !== 'v2' && rand() < 0.3) {
      tags.push('v2');
    }
    const meta: RunMeta = {
      id,
      notebook,
      notebookName,
      kernel: { name: 'tslab', displayName: 'TypeScript', language: 'typescript' },
      flags,
      label: rand() < 0.05 ? `try ${pick(rand, TAGS)} ${i}` : defaultLabel(flags),
      tags,
      status,
      pid: status === 'running' || status === 'queued' ? 4_000_000 + i : null,
      pidStart: status === 'running' || status === 'queued' ? '123456' : null,
      kernelPid: status === 'running' ? 4_100_000 + i : null,
      host,
      user: 'researcher',
      gpus: pick(rand, ['0', '1', '0,1', '']),
      command: ['nbx', 'run', notebookName, `lr=${String(flags.lr)}`],
      created: new Date(created).toISOString(),
      started: iso(started),
      stopped: iso(stopped),
      exitCode: status === 'completed' ? 0 : status === 'error' ? 1 : null,
      error: status === 'error' ? 'cell 3 raised RangeError: out of memory' : null,
      progress: {
        cells: 3,
        done: status === 'completed' ? 3 : Math.floor(rand() * 3),
        current: null
      },
      sourceDigest: `sha256:${hexId(rand)}${hexId(rand)}`,
      git: {
        commit: `${hexId(rand)}${hexId(rand).slice(0, 8)}`,
        branch: 'main',
        dirty: rand() < 0.2
      },
      nbxVersion: nbxVersion(),
      settings: { timeoutS: null, allowErrors: false },
      flagDefaults: FLAG_DEFAULTS,
      attrs: rand() < 0.5 ? { model_params: Math.floor(rand() * 5e6), note: 'ok' } : {},
      scalars: hasStarted ? scalarsFor(rand, steps, rand(), flags) : {},
      comments: [],
      runtime: { node: process.version, language: 'typescript', languageVersion: '5.9.3' },
      kind: 'run',
      parent: null,
      trials: [],
      batch: null
    };
    const runPath = path.join(dir, id);
    fs.mkdirSync(runPath);
    fs.writeFileSync(path.join(runPath, 'meta.json'), formatMeta(meta));
    fs.writeFileSync(path.join(runPath, 'snapshot.ipynb'), notebookText(false, flags));
    if (hasStarted) {
      fs.writeFileSync(path.join(runPath, 'executed.ipynb'), notebookText(true, flags));
      fs.writeFileSync(path.join(runPath, 'output.log'), logText(rand, steps));
      fs.writeFileSync(
        path.join(runPath, 'scalars.jsonl'),
        `{"key":"loss","step":0,"time":${Math.round(started ?? created)},"value":2.31}\n`
      );
    }
    ids.push(id);
  }
  return ids;
}

if (require.main === module) {
  const [root, count] = process.argv.slice(2);
  if (!root) {
    process.stderr.write('usage: node gen-runs.js ROOT [COUNT]\n');
    process.exitCode = 2;
  } else {
    const ids = generateRuns(root, { count: count ? Number(count) : undefined });
    process.stdout.write(`wrote ${ids.length} runs under ${runsDir(path.resolve(root))}\n`);
  }
}
