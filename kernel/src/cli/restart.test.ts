/**
 * Running existing runs through the real CLI: staged runs and batches started with
 * `nbx start`, a stopped run restarted in its own directory on another GPU, and a new
 * run made from an old one with `nbx rerun`. Python notebooks for speed.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { acquireGpus, gpuHolder, releaseGpus } from '../scheduler/gpu-pool';
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

const TRAIN = notebook('python3', [
  code('lr = 0.1\nlayers = 2\nwait = 0.1', ['parameters']),
  code(
    'import time\ntime.sleep(wait)\nprint(f"lr={lr} layers={layers}")\nprint(f"loss: {lr * layers}")'
  )
]);

/**
 * A notebook that resumes from a checkpoint: the first attempt writes `checkpoint.txt`
 * and then works for `wait` seconds; an attempt that finds the file finishes at once.
 * Each attempt prints the GPUs its kernel was given.
 */
const RESUMABLE = notebook('python3', [
  code('wait = 120', ['parameters']),
  code(
    'import os, time\n' +
      'gpu = os.environ.get("CUDA_VISIBLE_DEVICES")\n' +
      'print(f"gpu={gpu}")\n' +
      'resumed = os.path.exists("checkpoint.txt")\n' +
      'if not resumed:\n' +
      '    open("checkpoint.txt", "w").write(f"written on gpu {gpu}\\n")\n' +
      'print(f"resumed={resumed}")'
  ),
  code('if not resumed:\n    time.sleep(wait)\nprint("done")')
]);

describe('nbx start', () => {
  it('starts a staged batch through the queue, and refuses a run that is not staged', () => {
    const { dir, home, env } = cliProject();
    writeNotebook(dir, 'train.ipynb', TRAIN);
    const staged = nbx(['run', 'train.ipynb', 'lr=[0.1,0.2]', '--parallel', '2', '--stage'], {
      cwd: dir,
      env
    });
    assert.equal(staged.status, 0, staged.stderr);
    const id = staged.stdout.trim();
    const short = id.slice(0, 8);
    assert.equal(
      staged.stderr,
      `staged batch of 2 trials ${short}: start it with nbx start ${short}\n`
    );
    const batch = readMeta(home, id);
    assert.equal(batch.kind, 'batch');
    assert.equal(batch.status, 'staged');
    for (const trialId of batch.trials) {
      const trial = readMeta(home, trialId);
      assert.equal(trial.status, 'staged');
      assert.equal(trial.parent, id);
      assert.ok(!fs.existsSync(path.join(home, 'runs', trialId, 'executed.ipynb')), 'not run');
    }
    const listed = JSON.parse(nbx(['runs', '--json'], { cwd: dir, env }).stdout) as RunMeta[];
    assert.deepEqual(
      listed.map(m => m.status),
      ['staged', 'staged', 'staged'],
      'a staged run is not mistaken for a dead one'
    );

    const start = nbx(['start', short, '-q'], { cwd: dir, env });
    assert.equal(start.status, 0, start.stderr);
    assert.match(start.stderr, new RegExp(`^sweep ${short} completed in .*: 2 completed$`, 'm'));
    assert.equal(readMeta(home, id).status, 'completed');
    assert.deepEqual(
      batch.trials.map(t => [readMeta(home, t).status, readMeta(home, t).flags.lr]),
      [
        ['completed', 0.1],
        ['completed', 0.2]
      ]
    );
    assert.equal(executedText(home, batch.trials[1]), 'lr=0.2 layers=2\nloss: 0.4\n');

    assertOneLine(
      nbx(['start', short], { cwd: dir, env }),
      2,
      new RegExp(
        `^nbx: run ${short} is not staged \\(status: completed\\); run it again with 'nbx restart ${short}'$`
      )
    );
    assertOneLine(
      nbx(['start'], { cwd: dir, env }),
      2,
      /^nbx: give the runs to start, or --staged$/
    );
  });

  it('starts every staged run with --staged, oldest first, and then has none left', () => {
    const { dir, home, env } = cliProject();
    writeNotebook(dir, 'train.ipynb', TRAIN);
    const single = nbx(['run', 'train.ipynb', 'lr=0.3', '--stage'], { cwd: dir, env });
    assert.equal(single.status, 0, single.stderr);
    const runId = single.stdout.trim();
    assert.equal(
      single.stderr,
      `staged run ${runId.slice(0, 8)}: start it with nbx start ${runId.slice(0, 8)}\n`
    );
    assert.equal(readMeta(home, runId).status, 'staged');
    const sweep = nbx(['run', 'train.ipynb', 'layers=[5,6]', '--stage', '--json'], {
      cwd: dir,
      env
    });
    assert.equal(sweep.status, 0, sweep.stderr);
    const batch = JSON.parse(sweep.stdout) as RunMeta;
    assert.equal(batch.status, 'staged');
    assert.equal(runIds(home).length, 4);

    const start = nbx(['start', '--staged', '-q'], { cwd: dir, env });
    assert.equal(start.status, 0, start.stderr);
    const run = readMeta(home, runId);
    assert.equal(run.status, 'completed');
    assert.deepEqual(run.flags, { lr: 0.3, layers: 2, wait: 0.1 });
    assert.equal(readMeta(home, batch.id).status, 'completed');
    const trials = batch.trials.map(t => readMeta(home, t));
    assert.deepEqual(
      trials.map(t => [t.status, t.flags.layers]),
      [
        ['completed', 5],
        ['completed', 6]
      ]
    );
    assert.ok(
      Date.parse(run.stopped ?? '') <= Date.parse(trials[0].started ?? ''),
      'the older staged run went first'
    );
    assert.match(start.stderr, new RegExp(`^run ${runId.slice(0, 8)} completed in`, 'm'));
    assert.match(start.stderr, new RegExp(`^sweep ${batch.id.slice(0, 8)} completed in`, 'm'));

    assertOneLine(nbx(['start', '--staged'], { cwd: dir, env }), 2, /^nbx: no staged runs$/);
  });

  it('starts a staged run in the background with --detach', async () => {
    const { dir, home, env } = cliProject();
    writeNotebook(dir, 'train.ipynb', TRAIN);
    const staged = nbx(['run', 'train.ipynb', 'lr=0.4', '--stage'], { cwd: dir, env });
    assert.equal(staged.status, 0, staged.stderr);
    const id = staged.stdout.trim();
    const start = nbx(['start', id, '--detach', '--json'], { cwd: dir, env });
    assert.equal(start.status, 0, start.stderr);
    const record = JSON.parse(start.stdout) as RunMeta;
    assert.equal(record.id, id);
    assert.notEqual(record.status, 'staged', 'no longer staged once started');
    const done = await waitFor(
      () => {
        const m = readMeta(home, id);
        return m.status === 'completed' || m.status === 'error' ? m : undefined;
      },
      60_000,
      'the detached run to end'
    );
    assert.equal(done.status, 'completed', done.error ?? '');
    assert.equal(executedText(home, id), 'lr=0.4 layers=2\nloss: 0.8\n');
  });
});

describe('nbx restart', () => {
  it('restarts a stopped run on another GPU in its own directory, from its checkpoint', async () => {
    const { dir, home, env } = cliProject();
    writeNotebook(dir, 'resume.ipynb', RESUMABLE);
    const gpuEnv = { ...env, PATH: `${FAKE_BIN}${path.delimiter}${env.PATH ?? ''}` };
    const launched = nbx(['run', 'resume.ipynb', '--gpus', '0', '--detach'], {
      cwd: dir,
      env: gpuEnv
    });
    assert.equal(launched.status, 0, launched.stderr);
    const id = launched.stdout.trim();
    const short = id.slice(0, 8);
    const first = await waitFor(
      () => {
        const m = readMeta(home, id);
        return m.progress.current === 3 && m.kernelPid !== null ? m : undefined;
      },
      60_000,
      'the run in its long cell'
    );
    assert.equal(first.gpus, '0');

    // A running run is not restarted: one line, nothing changed.
    assertOneLine(
      nbx(['restart', short, '--gpus', '1'], { cwd: dir, env: gpuEnv }),
      2,
      new RegExp(`^nbx: run ${short} is running; stop it first with 'nbx stop ${short}'$`)
    );
    assert.equal(readMeta(home, id).status, 'running');
    assert.equal(readMeta(home, id).gpus, '0');

    const stop = nbx(['stop', short], { cwd: dir, env: gpuEnv });
    assert.equal(stop.status, 0, stop.stderr);
    assert.equal(stop.stdout, `${short} terminated\n`);
    assert.equal(readMeta(home, id).status, 'terminated');
    await waitFor(
      () => (pidAlive(first.kernelPid ?? -1) ? undefined : true),
      10_000,
      'the first kernel to be gone'
    );

    const restart = nbx(['restart', short, '--gpus', '1', '-q'], { cwd: dir, env: gpuEnv });
    assert.equal(restart.status, 0, restart.stderr);
    assert.match(restart.stderr, new RegExp(`^run ${short} completed in`));
    assert.deepEqual(runIds(home), [id], 'the same run, no new one');
    const meta = readMeta(home, id);
    assert.equal(meta.status, 'completed');
    assert.equal(meta.error, null);
    assert.equal(meta.exitCode, 0);
    assert.equal(meta.gpus, '1');
    assert.notEqual(meta.kernelPid, first.kernelPid);
    const runDir = path.join(home, 'runs', id);
    assert.equal(
      fs.readFileSync(path.join(runDir, 'checkpoint.txt'), 'utf8'),
      'written on gpu 0\n',
      'the file the first attempt wrote is still there'
    );
    assert.equal(executedText(home, id), 'gpu=1\nresumed=True\ndone\n', 'the kernel saw GPU 1');
    const log = fs.readFileSync(path.join(runDir, 'output.log'), 'utf8');
    assert.equal(log, 'gpu=1\nresumed=True\ndone\n', 'the log of this attempt');
    const before = fs.readFileSync(path.join(runDir, 'attempts', '1', 'output.log'), 'utf8');
    assert.equal(before, 'gpu=0\nresumed=False\n', 'the first attempt, kept');

    // A finished run can be restarted again; a restart with a flag changes the snapshot.
    const again = nbx(['restart', short, 'wait=0', '--json'], { cwd: dir, env: gpuEnv });
    assert.equal(again.status, 0, again.stderr);
    const record = JSON.parse(again.stdout) as RunMeta;
    assert.equal(record.status, 'completed');
    assert.equal(record.gpus, '1', 'the GPUs of the last attempt are kept');
    assert.deepEqual(record.flags, { wait: 0 });
  });

  it('refuses what it cannot restart with one line', () => {
    const { dir, home, env } = cliProject();
    writeNotebook(dir, 'train.ipynb', TRAIN);
    const staged = nbx(['run', 'train.ipynb', '--stage'], { cwd: dir, env });
    assert.equal(staged.status, 0, staged.stderr);
    const short = staged.stdout.trim().slice(0, 8);
    assertOneLine(
      nbx(['restart', short], { cwd: dir, env }),
      2,
      new RegExp(`^nbx: run ${short} is staged, it never ran; start it with 'nbx start ${short}'$`)
    );
    assertOneLine(
      nbx(['restart', short, 'nope=1'], { cwd: dir, env }),
      2,
      /^nbx: run [0-9a-f]{8} is staged/
    );
    assertOneLine(nbx(['restart', 'zzzz'], { cwd: dir, env }), 2, /^nbx: no run matches 'zzzz'/);
    assert.equal(readMeta(home, staged.stdout.trim()).status, 'staged');
  });
});

describe('nbx rerun', () => {
  it("makes a new run from the old run's snapshot: the changed flag, the old others", () => {
    const { dir, home, env } = cliProject();
    const nbPath = writeNotebook(dir, 'train.ipynb', TRAIN);
    const first = nbx(['run', 'train.ipynb', 'lr=0.5', 'layers=3', '--tag', 'base', '--json'], {
      cwd: dir,
      env
    });
    assert.equal(first.status, 0, first.stderr);
    const old = JSON.parse(first.stdout) as RunMeta;
    // The notebook changes on disk; a rerun runs the snapshot the old run was made from.
    const edited = notebook('python3', [
      code('lr = 0.1\nlayers = 2\nwait = 0.1', ['parameters']),
      code('print("the edited notebook")')
    ]);
    writeNotebook(dir, 'train.ipynb', edited);
    assert.ok(fs.existsSync(nbPath));

    const rerun = nbx(['rerun', old.id.slice(0, 8), 'lr=0.25', '--json'], { cwd: dir, env });
    assert.equal(rerun.status, 0, rerun.stderr);
    const run = JSON.parse(rerun.stdout) as RunMeta;
    assert.notEqual(run.id, old.id);
    assert.equal(run.status, 'completed');
    assert.deepEqual(run.flags, { lr: 0.25, layers: 3, wait: 0.1 });
    assert.deepEqual(run.flagDefaults, old.flagDefaults, 'defaults of the original notebook');
    assert.equal(run.label, 'lr=0.25 layers=3');
    assert.deepEqual(run.tags, ['base']);
    assert.equal(run.parent, null);
    assert.equal(executedText(home, run.id), 'lr=0.25 layers=3\nloss: 0.75\n');
    assert.deepEqual(readMeta(home, old.id).flags, { lr: 0.5, layers: 3, wait: 0.1 });
    assert.equal(
      executedText(home, old.id),
      'lr=0.5 layers=3\nloss: 1.5\n',
      'the old run as it was'
    );
    assert.equal(runIds(home).length, 2);

    // Bad input: one line, and no run left behind.
    assertOneLine(
      nbx(['rerun', old.id, 'nope=1'], { cwd: dir, env }),
      2,
      /^nbx: unknown flag 'nope'/
    );
    assertOneLine(nbx(['rerun', old.id, 'lr=abc'], { cwd: dir, env }), 2, /^nbx: .*'lr'/);
    assert.equal(runIds(home).length, 2, 'nothing written by the refused reruns');
  });

  it('refuses to rerun a batch, pointing at its trials and its command', () => {
    const { dir, home, env } = cliProject();
    writeNotebook(dir, 'train.ipynb', TRAIN);
    const staged = nbx(['run', 'train.ipynb', 'lr=[0.1,0.2]', '--stage'], { cwd: dir, env });
    assert.equal(staged.status, 0, staged.stderr);
    const short = staged.stdout.trim().slice(0, 8);
    assertOneLine(
      nbx(['rerun', short], { cwd: dir, env }),
      2,
      new RegExp(
        `^nbx: run ${short} is a batch: rerun one of its trials, or start the sweep again with: ` +
          `nbx run train\\.ipynb lr=\\[0\\.1,0\\.2\\] --stage$`
      )
    );
    assert.equal(runIds(home).length, 3);
  });
});

describe('GPUs of restarts and reruns', () => {
  it('reserve them like a trial: they wait while a sweep holds the GPU (by its UUID)', async () => {
    const { dir, home, env } = cliProject();
    writeNotebook(dir, 'train.ipynb', TRAIN);
    const gpuEnv = { ...env, PATH: `${FAKE_BIN}${path.delimiter}${env.PATH ?? ''}` };
    const first = nbx(['run', 'train.ipynb', '--gpus', '1', '-q'], { cwd: dir, env: gpuEnv });
    assert.equal(first.status, 0, first.stderr);
    const [id] = runIds(home);
    const uuid1 = (await queryGpus({ env: gpuEnv })).gpus[1].uuid;

    /** Reserves GPU 1 (by its UUID) once the last run has given it back. */
    const holdGpu1 = (holder: ReturnType<typeof gpuHolder>) =>
      waitFor(() => acquireGpus(home, [uuid1], 1, holder) ?? undefined, 30_000, 'GPU 1 free');

    /** Starts `args` detached while GPU 1 is held; checks it waits, then runs once freed. */
    const waitsForGpu1 = async (args: string[]): Promise<RunMeta> => {
      const holder = gpuHolder('a-sweep-trial');
      await holdGpu1(holder);
      const attempts: string[] = [];
      const watcher = fs.watch(path.join(home, 'gpus'), (_event, name) => {
        if (name === '.lock') {
          attempts.push(String(name));
        }
      });
      try {
        const r = nbx([...args, '--detach'], { cwd: dir, env: gpuEnv });
        assert.equal(r.status, 0, r.stderr);
        const runId = r.stdout.trim();
        const queued = await waitFor(
          () => {
            const m = readMeta(home, runId);
            return m.status === 'queued' && m.pid !== null ? m : undefined;
          },
          30_000,
          'the run to wait for its GPU'
        );
        // It looked at the reservations (the lock comes and goes) and keeps waiting.
        const seen = attempts.length;
        await waitFor(() => (attempts.length >= seen + 4 ? true : undefined), 30_000, 'retries');
        assert.equal(readMeta(home, runId).status, 'queued');
        assert.ok(pidAlive(queued.pid ?? -1));
        const released = Date.now();
        assert.deepEqual(releaseGpus(home, [uuid1], holder), [uuid1]);
        const done = await waitFor(
          () => {
            const m = readMeta(home, runId);
            return m.status === 'completed' ? m : undefined;
          },
          60_000,
          'the run to complete once GPU 1 is free'
        );
        assert.ok(Date.parse(done.started ?? '') >= released, 'it started once GPU 1 was free');
        return done;
      } finally {
        watcher.close();
      }
    };

    const restarted = await waitsForGpu1(['restart', id.slice(0, 8)]);
    assert.equal(restarted.gpus, '1');
    const rerun = await waitsForGpu1(['rerun', id.slice(0, 8), '--gpus', uuid1]);
    assert.equal(rerun.gpus, uuid1);
    assert.notEqual(rerun.id, id);

    // In the foreground, the wait is told in one line.
    const holder = gpuHolder('a-sweep-trial');
    await holdGpu1(holder);
    const foreground = nbxAsync(['rerun', id.slice(0, 8), '-q'], { cwd: dir, env: gpuEnv });
    let stderr = '';
    foreground.child.stderr?.on('data', d => (stderr += String(d)));
    await waitFor(() => (/waiting/.test(stderr) ? true : undefined), 30_000, 'the waiting line');
    assert.equal(stderr, 'nbx: waiting for GPU 1 (reserved by run a-sweep-)\n');
    releaseGpus(home, [uuid1], holder);
    const r = await foreground.done;
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(
      fs.readdirSync(path.join(home, 'gpus')).filter(n => n.endsWith('.json')),
      [],
      'released after'
    );
  });
});
