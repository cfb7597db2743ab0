/**
 * Sweeps through the real CLI: batches of trials executed by the queue, the GPU pool
 * with a fake set of GPUs, stopping a batch, killing its runner. Python trials for speed.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import type { RunMeta } from '../store/meta';
import { queryGpus } from '../tracking/gpus';
import {
  code,
  FAKE_BIN,
  nbx,
  nbxAsync,
  notebook,
  pidAlive,
  waitFor,
  writeNotebook
} from '../testing/fixtures';
import { assertOneLine, cliProject, executedText, readMeta, runIds } from '../testing/cli-project';

/** The batch being run, once its record lists its trials and names its runner. */
function startedBatch(home: string): RunMeta | undefined {
  for (const id of runIds(home)) {
    try {
      const meta = readMeta(home, id);
      if (meta.kind === 'batch' && meta.pid !== null && meta.trials.length > 0) {
        return meta;
      }
    } catch {
      // being written
    }
  }
  return undefined;
}

function batchOf(home: string): RunMeta {
  const batch = runIds(home)
    .map(id => readMeta(home, id))
    .find(m => m.kind === 'batch');
  assert.ok(batch, 'a batch was written');
  return batch;
}

/** The most runs that overlapped in time, from their recorded start and stop. */
function maxOverlap(metas: RunMeta[]): number {
  const events = metas.flatMap(m => [
    { t: Date.parse(m.started ?? ''), d: 1 },
    { t: Date.parse(m.stopped ?? ''), d: -1 }
  ]);
  events.sort((a, b) => a.t - b.t || a.d - b.d);
  let now = 0;
  let most = 0;
  for (const e of events) {
    now += e.d;
    most = Math.max(most, now);
  }
  return most;
}

/** Asserts a bad-input failure: exit 2, one line on stderr, no run written. */
function assertRefused(
  r: { status: number | null; stderr: string },
  pattern: RegExp,
  home: string
) {
  assertOneLine(r, 2, pattern);
  assert.ok(!fs.existsSync(home), 'nothing written');
}

const TRAIN = notebook('python3', [
  code('lr = 0.1\nlayers = 2\nwait = 0.2', ['parameters']),
  code(
    'import time\ntime.sleep(wait)\nprint(f"lr={lr} layers={layers}")\nprint(f"loss: {lr * layers}")'
  )
]);

/** A notebook that appends which GPUs its kernel saw, and when, to `$GPU_LOG`. */
const GPU_NB = notebook('python3', [
  code('i = 0', ['parameters']),
  code(
    'import os, time, json\n' +
      't0 = time.time()\n' +
      'time.sleep(0.4)\n' +
      'rec = {"id": os.environ["NBX_RUN_ID"], "gpu": os.environ.get("CUDA_VISIBLE_DEVICES"),' +
      ' "start": t0, "end": time.time()}\n' +
      'open(os.environ["GPU_LOG"], "a").write(json.dumps(rec) + "\\n")'
  )
]);

interface IGpuUse {
  id: string;
  gpu: string;
  start: number;
  end: number;
}

function gpuLog(file: string): IGpuUse[] {
  return fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map(line => JSON.parse(line) as IGpuUse);
}

function assertNoSharedGpu(uses: IGpuUse[]): void {
  for (const a of uses) {
    for (const b of uses) {
      if (a !== b && a.gpu === b.gpu) {
        assert.ok(
          a.end <= b.start || b.end <= a.start,
          `GPU ${a.gpu} used by ${a.id.slice(0, 8)} and ${b.id.slice(0, 8)} at once`
        );
      }
    }
  }
}

describe('nbx run with a sweep', () => {
  it('runs a grid of 4, 2 at a time: a batch run lists its trials, each injected', () => {
    const { dir, home, env } = cliProject();
    writeNotebook(dir, 'train.ipynb', TRAIN);
    const r = nbx(
      [
        'run',
        'train.ipynb',
        'lr=[0.001,0.01]',
        'layers=[2,4]',
        '--parallel',
        '2',
        '--objective=#loss'
      ],
      { cwd: dir, env }
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '', 'trial output is not echoed');
    const batch = batchOf(home);
    assert.equal(batch.status, 'completed');
    assert.equal(batch.label, 'sweep lr=[0.001,0.01] layers=[2,4]');
    assert.deepEqual(batch.batch, {
      kind: 'grid',
      seed: null,
      parallel: 2,
      gpus: null,
      gpusPerTrial: 0,
      objective: '#loss'
    });
    assert.equal(batch.trials.length, 4);
    assert.equal(runIds(home).length, 5);
    const trials = batch.trials.map(id => readMeta(home, id));
    const expected = [
      [0.001, 2],
      [0.001, 4],
      [0.01, 2],
      [0.01, 4]
    ];
    trials.forEach((trial, i) => {
      const [lr, layers] = expected[i];
      assert.equal(trial.parent, batch.id);
      assert.equal(trial.kind, 'run');
      assert.equal(trial.status, 'completed');
      assert.deepEqual(trial.flags, { lr, layers, wait: 0.2 });
      assert.equal(trial.scalars.loss?.last, lr * layers);
      assert.equal(
        executedText(home, trial.id),
        `lr=${lr} layers=${layers}\nloss: ${lr * layers}\n`
      );
    });
    assert.equal(maxOverlap(trials), 2, 'two trials at a time');

    // Without a terminal: one line per trial state change, then the summary.
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines[0], `sweep ${batch.id.slice(0, 8)}: 4 trials, 2 at a time`);
    const short = (i: number): string => trials[i].id.slice(0, 8);
    assert.ok(lines.includes(`trial 1/4 ${short(0)} running lr=0.001 layers=2`), r.stderr);
    assert.ok(
      lines.some(l =>
        new RegExp(`^trial 4/4 ${short(3)} completed \\d+\\.\\ds loss=0\\.04$`).test(l)
      ),
      r.stderr
    );
    assert.equal(lines.filter(l => l.startsWith('trial ')).length, 8);
    assert.match(
      r.stderr,
      new RegExp(
        `^sweep ${batch.id.slice(0, 8)} completed in .*: 4 completed, best #loss 0\\.002 \\(${short(0)}\\)$`,
        'm'
      )
    );

    // nbx runs: the batch first, its trials under it in trial order, numbered in that order.
    const list = nbx(['runs'], { cwd: dir, env });
    assert.equal(list.status, 0, list.stderr);
    const rows = list.stdout.trimEnd().split('\n');
    assert.match(
      rows[0],
      new RegExp(`^\\[1\\]\\s+${batch.id.slice(0, 8)}\\s+train\\.ipynb .*completed  sweep`)
    );
    for (let i = 0; i < 4; i++) {
      const glyph = i === 3 ? '\u2514' : '\u251c';
      assert.match(
        rows[i + 1],
        new RegExp(`^  ${glyph} \\[${i + 2}\\]\\s+${short(i)}\\s+trial ${i + 1}/4 .*completed`)
      );
    }
    const shown = JSON.parse(nbx(['show', '2', '--json'], { cwd: dir, env }).stdout) as RunMeta;
    assert.equal(shown.id, trials[0].id, '[2] is trial 1, as listed');

    // nbx show: a batch lists its settings and trials, a trial names its batch.
    const showBatch = nbx(['show', '1'], { cwd: dir, env });
    assert.equal(showBatch.status, 0, showBatch.stderr);
    assert.match(showBatch.stdout, /^batch:\s+grid, 2 at a time, objective #loss$/m);
    assert.match(showBatch.stdout, /^trials:\s+4 \(4 completed\)$/m);
    assert.match(showBatch.stdout, /^ {2}#\s+id\s+status\s+lr\s+layers\s+loss$/m);
    expected.forEach(([lr, layers], i) => {
      const best = i === 0 ? ' \\*' : '';
      assert.match(
        showBatch.stdout,
        new RegExp(
          `^ {2}${i + 1}\\s+${short(i)}\\s+completed\\s+${lr}\\s+${layers}\\s+${lr * layers}${best}$`,
          'm'
        )
      );
    });
    const showTrial = nbx(['show', '3'], { cwd: dir, env });
    assert.match(
      showTrial.stdout,
      new RegExp(
        `^parent:\\s+${batch.id} \\(trial 2/4, sweep lr=\\[0\\.001,0\\.01\\] layers=\\[2,4\\]\\)$`,
        'm'
      )
    );
    assert.match(showTrial.stdout, /^flags:\s+lr=0\.001 layers=4 wait=0\.2$/m);
    const flat = nbx(['runs', '--where', 'kind = run', '--sort', '#loss'], { cwd: dir, env });
    assert.match(flat.stdout.split('\n')[0], new RegExp(`^\\[2\\]\\s+${short(0)}`));
  });

  it('previews a random search reproducibly with a seed, and writes nothing', () => {
    const { dir, home, env } = cliProject();
    writeNotebook(dir, 'train.ipynb', TRAIN);
    const args = [
      'run',
      'train.ipynb',
      'lr=loguniform[1e-4:1e-1]',
      'layers=int[1:8]',
      '--max-trials',
      '5',
      '--seed',
      '42',
      '--preview'
    ];
    const first = nbx([...args, '--json'], { cwd: dir, env });
    assert.equal(first.status, 0, first.stderr);
    const preview = JSON.parse(first.stdout) as { kind: string; trials: unknown[]; seed: number };
    assert.equal(preview.kind, 'random');
    assert.equal(preview.seed, 42);
    assert.equal(preview.trials.length, 5);
    assert.deepEqual(JSON.parse(nbx([...args, '--json'], { cwd: dir, env }).stdout), preview);
    const text = nbx(args, { cwd: dir, env });
    assert.match(text.stdout, /^random search: 5 trials \(seed 42\)\n#\s+lr\s+layers\n\s*1\s/);
    assert.ok(!fs.existsSync(home), 'nothing written');
  });

  it('refuses bad input with one line before anything starts', () => {
    const { dir, home, env } = cliProject();
    writeNotebook(dir, 'train.ipynb', TRAIN);
    fs.writeFileSync(path.join(dir, 'trials.csv'), 'lr,layers\n0.1,2\n0.2\n');
    const cases: [string[], RegExp][] = [
      [['lr=[]'], /^nbx: invalid value for flag 'lr': '\[\]' is an empty list/],
      [['lr=uniform[0.1:0.01]'], /^nbx: invalid value for flag 'lr': 'uniform\[0\.1:0\.01\]'/],
      [['lr=uniform[0.01:0.1]'], /^nbx: a random search needs --max-trials N/],
      [
        ['lr=[0.1,0.2]', '--gpus', '0', '--gpus-per-trial', '2'],
        /^nbx: --gpus-per-trial 2 needs at least 2 GPUs, --gpus gives 1$/
      ],
      [['--batch-file', 'trials.csv'], /^nbx: trials\.csv row 3: 1 value for 2 columns/],
      [['lr=[0.1,0.2]', '--parallel', 'two'], /^nbx: invalid --parallel 'two'/],
      [['lr=[0.1,0.2]', '--parallel', '0'], /^nbx: --parallel must be a positive integer/]
    ];
    for (const [args, pattern] of cases) {
      assertRefused(nbx(['run', 'train.ipynb', ...args], { cwd: dir, env }), pattern, home);
    }
  });

  it('queues trials on free GPUs: never two on one GPU, each kernel sees its own', async () => {
    const { dir, home, env } = cliProject();
    writeNotebook(dir, 'gpu.ipynb', GPU_NB);
    const log = path.join(dir, 'gpus.jsonl');
    const withGpus = {
      ...env,
      GPU_LOG: log,
      PATH: `${FAKE_BIN}${path.delimiter}${env.PATH ?? ''}`
    };
    const r = nbx(
      [
        'run',
        'gpu.ipynb',
        'i=range[1:8]',
        '--gpus',
        '0,1,2,3',
        '--gpus-per-trial',
        '1',
        '--parallel',
        '4'
      ],
      { cwd: dir, env: withGpus }
    );
    assert.equal(r.status, 0, r.stderr);
    const batch = batchOf(home);
    assert.deepEqual(batch.batch?.gpus, ['0', '1', '2', '3']);
    const uses = gpuLog(log);
    assert.equal(uses.length, 8);
    for (const use of uses) {
      assert.equal(use.gpu, readMeta(home, use.id).gpus, 'the kernel saw the GPU it was given');
      assert.match(use.gpu, /^[0-3]$/);
    }
    assertNoSharedGpu(uses);
    assert.ok(new Set(uses.map(u => u.gpu)).size === 4, 'all four GPUs were used');
    assert.match(r.stderr, /^trial \d\/8 [0-9a-f]{8} running i=\d gpus=[0-3]$/m);
    assert.deepEqual(
      fs.readdirSync(path.join(home, 'gpus')).filter(f => f.endsWith('.json')),
      [],
      'every reservation released'
    );

    // Without --gpus, --gpus-per-trial takes the GPUs nvidia-smi finds.
    const found = nbx(['run', 'gpu.ipynb', 'i=[1,2]', '--gpus-per-trial', '2', '--preview'], {
      cwd: dir,
      env: { ...withGpus, FAKE_GPU_COUNT: '1' }
    });
    assert.equal(found.status, 2);
    assert.equal(
      found.stderr,
      'nbx: --gpus-per-trial 2 needs at least 2 GPUs, nvidia-smi gives 1\n'
    );
  });

  it('never double-books a GPU between two sweeps started at once', async () => {
    const { dir, home, env } = cliProject();
    writeNotebook(dir, 'gpu.ipynb', GPU_NB);
    const log = path.join(dir, 'gpus.jsonl');
    const withLog = { ...env, GPU_LOG: log };
    const args = ['run', 'gpu.ipynb', 'i=[1,2,3]', '--gpus', '0,1', '--parallel', '2', '-q'];
    const [a, b] = await Promise.all([
      nbxAsync(args, { cwd: dir, env: withLog }).done,
      nbxAsync(args, { cwd: dir, env: withLog }).done
    ]);
    assert.equal(a.status, 0, a.stderr);
    assert.equal(b.status, 0, b.stderr);
    const uses = gpuLog(log);
    assert.equal(uses.length, 6);
    assertNoSharedGpu(uses);
    assert.equal(runIds(home).length, 8);
  });

  it('keys reservations by the physical GPU: by index and by UUID, never shared', async () => {
    const { dir, home, env } = cliProject();
    writeNotebook(dir, 'gpu.ipynb', GPU_NB);
    const log = path.join(dir, 'gpus.jsonl');
    const gpuEnv = { ...env, GPU_LOG: log, PATH: `${FAKE_BIN}${path.delimiter}${env.PATH ?? ''}` };
    const { gpus } = await queryGpus({ env: gpuEnv });
    const byUuid = `${gpus[1].uuid},${gpus[0].uuid}`;
    const sweep = (list: string) =>
      nbxAsync(['run', 'gpu.ipynb', 'i=[1,2,3]', '--gpus', list, '--parallel', '2', '-q'], {
        cwd: dir,
        env: gpuEnv
      }).done;
    const [a, b] = await Promise.all([sweep('0,1'), sweep(byUuid)]);
    assert.equal(a.status, 0, a.stderr);
    assert.equal(b.status, 0, b.stderr);
    const uses = gpuLog(log);
    assert.equal(uses.length, 6);
    // What each kernel really got, as the physical GPU it is.
    const physical = new Map(
      gpus.flatMap(g => [[String(g.index), g.uuid] as const, [g.uuid, g.uuid] as const])
    );
    const seen = new Set(uses.map(u => u.gpu));
    assert.ok(seen.has(gpus[0].uuid) || seen.has(gpus[1].uuid), 'the UUID sweep ran on UUIDs');
    assertNoSharedGpu(uses.map(u => ({ ...u, gpu: physical.get(u.gpu) ?? `unknown ${u.gpu}` })));
    assert.deepEqual(
      fs.readdirSync(path.join(home, 'gpus')).filter(n => n.endsWith('.json')),
      []
    );

    // GPUs nvidia-smi does not list, or one GPU twice: one line, exit 2, nothing written.
    const refused = (list: string, pattern: RegExp) =>
      assertOneLine(
        nbx(['run', 'gpu.ipynb', '--gpus', list], { cwd: dir, env: gpuEnv }),
        2,
        pattern
      );
    const before = runIds(home).length;
    refused('99', /^nbx: invalid --gpus '99': no GPU 99 \(nvidia-smi lists GPUs 0, 1, 2, 3\)$/);
    refused(
      'GPU-00000000-0000-0000-0000-000000000000',
      /^nbx: invalid --gpus 'GPU-0+(-0+){4}': no GPU GPU-0/
    );
    refused(`0,${gpus[0].uuid}`, /^nbx: invalid --gpus .*: 0 and GPU-\S+ are the same GPU$/);
    refused('1,99', /no GPU 99/);
    assertOneLine(
      nbx(['run', 'gpu.ipynb', 'i=[1,2]', '--gpus', '7'], { cwd: dir, env: gpuEnv }),
      2,
      /^nbx: invalid --gpus '7': no GPU 7/
    );
    assert.equal(runIds(home).length, before);
  });

  it('stops a batch: running trials terminated, queued ones cancelled, kernels gone', async () => {
    const { dir, home, env } = cliProject();
    writeNotebook(dir, 'train.ipynb', TRAIN);
    const r = nbx(
      ['run', 'train.ipynb', 'lr=[1,2,3,4]', 'wait=120', '--parallel', '2', '--detach', '--json'],
      { cwd: dir, env }
    );
    assert.equal(r.status, 0, r.stderr);
    const launched = JSON.parse(r.stdout) as RunMeta;
    assert.equal(launched.kind, 'batch');
    assert.equal(launched.trials.length, 4);
    assert.deepEqual(
      launched.trials.map(id => readMeta(home, id).parent),
      Array(4).fill(launched.id)
    );
    const running = await waitFor(
      () => {
        const metas = launched.trials.map(id => readMeta(home, id));
        const busy = metas.filter(m => m.progress.current === 2 && m.kernelPid !== null);
        return busy.length === 2 ? busy : undefined;
      },
      30_000,
      'two trials in their long cell'
    );
    const batchPid = readMeta(home, launched.id).pid ?? -1;
    assert.ok(pidAlive(batchPid));
    const stop = nbx(['stop', launched.id.slice(0, 8)], { cwd: dir, env });
    assert.equal(stop.status, 0, stop.stderr);
    assert.equal(stop.stdout, `${launched.id.slice(0, 8)} terminated\n`);
    const batch = readMeta(home, launched.id);
    assert.equal(batch.status, 'terminated');
    const trials = launched.trials.map(id => readMeta(home, id));
    assert.deepEqual(
      trials.map(t => t.status),
      Array(4).fill('terminated')
    );
    const stoppedIds = new Set(running.map(m => m.id));
    for (const trial of trials) {
      assert.equal(
        trial.error,
        stoppedIds.has(trial.id) ? 'stopped by nbx stop' : 'cancelled: the batch was stopped'
      );
    }
    for (const m of running) {
      assert.ok(!pidAlive(m.kernelPid ?? -1), 'kernel gone');
    }
    await waitFor(
      () => (pidAlive(batchPid) ? undefined : true),
      15_000,
      'the batch runner to exit'
    );
  });

  it('stops one trial alone, and a killed batch runner leaves its trials terminated', async () => {
    const { dir, home, env } = cliProject();
    writeNotebook(dir, 'train.ipynb', TRAIN);
    const { child, done } = nbxAsync(
      ['run', 'train.ipynb', 'lr=[1,2,3]', 'wait=120', '--parallel', '2'],
      { cwd: dir, env }
    );
    try {
      const batch = await waitFor(() => startedBatch(home), 20_000, 'the batch to start');
      const inLongCell = (index: number) => (): RunMeta | undefined => {
        const m = readMeta(home, batch.trials[index]);
        return m.progress.current === 2 && m.kernelPid !== null ? m : undefined;
      };
      const first = await waitFor(inLongCell(0), 30_000, 'the first trial in its long cell');
      const stop = nbx(['stop', first.id], { cwd: dir, env });
      assert.equal(stop.status, 0, stop.stderr);
      assert.equal(readMeta(home, first.id).status, 'terminated');
      assert.equal(readMeta(home, first.id).error, 'stopped by nbx stop');
      assert.ok(!pidAlive(first.kernelPid ?? -1), 'its kernel is gone');
      assert.ok(pidAlive(child.pid ?? -1), 'the batch runner goes on');
      const third = await waitFor(inLongCell(2), 30_000, 'the third trial to take the slot');
      assert.equal(readMeta(home, batch.trials[1]).status, 'running');
      child.kill('SIGKILL');
      await done;
      await waitFor(
        () => (pidAlive(third.kernelPid ?? -1) ? undefined : true),
        15_000,
        'the kernel to die'
      );
      const listed = JSON.parse(nbx(['runs', '--json'], { cwd: dir, env }).stdout) as RunMeta[];
      assert.deepEqual(
        listed.map(m => m.status),
        Array(4).fill('terminated')
      );
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('stops a foreground sweep on Ctrl-C', async () => {
    const { dir, home, env } = cliProject();
    writeNotebook(dir, 'train.ipynb', TRAIN);
    const { child, done } = nbxAsync(['run', 'train.ipynb', 'lr=[1,2]', 'wait=120'], {
      cwd: dir,
      env
    });
    try {
      const batch = await waitFor(() => startedBatch(home), 20_000, 'the batch to start');
      await waitFor(
        () => (readMeta(home, batch.trials[0]).progress.current === 2 ? true : undefined),
        30_000,
        'the first trial in its long cell'
      );
      child.kill('SIGINT');
      const r = await done;
      assert.equal(r.status, 1);
      assert.match(r.stderr, /^sweep [0-9a-f]{8} terminated in .*: 0 completed, 2 stopped$/m);
      assert.deepEqual(
        batch.trials.map(id => [readMeta(home, id).status, readMeta(home, id).error]),
        [
          ['terminated', 'stopped by SIGINT'],
          ['terminated', 'cancelled: the batch was stopped']
        ]
      );
      assert.equal(readMeta(home, batch.id).status, 'terminated');
    } finally {
      child.kill('SIGKILL');
    }
  });
});
