/**
 * The Slurm client, and nbx's runs on Slurm (`nbx run --on slurm`, stop, restart, sweeps as
 * job arrays, records reconciled with Slurm), against a real single-node cluster
 * (scripts/slurm-local.sh starts it, or finds it running). Skipped only where Slurm cannot
 * run: no root and no passwordless sudo, or no Slurm and no apt-get to install it.
 *
 * One file, so that the test that stops slurmctld runs after every other one here, never
 * under another test file's jobs.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { PACKAGE_ROOT } from '../../base/paths';
import type { RunMeta } from '../../store/meta';
import {
  assertOneLine,
  cliProject,
  executedText,
  readMeta,
  runIds
} from '../../testing/cli-project';
import { code, nbxAsync, notebook, writeNotebook, type ICliResult } from '../../testing/fixtures';
import { cancelJob } from './cancel';
import { launch } from '../launch';
import { SlurmPoll } from './poll';
import { reconcileSlurmRuns } from './reconcile';
import { SlurmCommandError, SlurmUnreachableError, runSlurm } from './command';
import { submit } from './sbatch';
import { jobStatuses, type ISlurmStatus } from './status';

const SCRIPT = path.join(PACKAGE_ROOT, 'scripts', 'slurm-local.sh');

/** Starts the cluster; the reason to skip when Slurm cannot run here. */
function startCluster(): { skip: string | false; conf: string } {
  const started = spawnSync('bash', [SCRIPT, 'start'], { encoding: 'utf8' });
  if (started.status === 3) {
    return { skip: started.stderr.trim(), conf: '' };
  }
  assert.equal(started.status, 0, `slurm-local.sh start failed:\n${started.stderr}`);
  const env = spawnSync('bash', [SCRIPT, 'env'], { encoding: 'utf8' });
  return { skip: false, conf: env.stdout.trim().replace(/^export SLURM_CONF=/, '') };
}

const cluster = startCluster();
const slurm = { env: { ...process.env, SLURM_CONF: cluster.conf } };
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'nbx-slurm-test-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

/** A fresh directory for one job's files. */
function jobDir(name: string): string {
  const dir = path.join(work, name);
  fs.mkdirSync(dir);
  return dir;
}

/** Polls until `done` holds for the status of `id`, within `timeoutMs`; the last status. */
async function waitFor(
  id: string,
  done: (s: ISlurmStatus) => boolean,
  timeoutMs = 30_000
): Promise<ISlurmStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = (await jobStatuses([id], slurm)).get(id) ?? { status: 'unknown' };
    if (done(status)) {
      return status;
    }
    assert.ok(Date.now() < deadline, `job ${id} still ${status.status} after ${timeoutMs} ms`);
    await delay(250);
  }
}
const noGpus =
  !fs.existsSync(path.join(path.dirname(cluster.conf), 'gres.conf')) &&
  'the test cluster has no stand-in GPUs (slurm-local.sh could not make their device files here)';
const over = (s: ISlurmStatus): boolean => !['queued', 'running'].includes(s.status);
const running = (s: ISlurmStatus): boolean => s.status === 'running';

describe('on a real cluster', { skip: cluster.skip, concurrency: true }, () => {
  describe('Slurm client', { concurrency: true }, () => {
    test('a job runs through a site template and completes, its output where asked', async () => {
      const dir = jobDir('complete');
      const template =
        '#!/bin/bash\n# site template\nexport RUN_ID={run_id}\necho "job ${SLURM_JOB_ID} in $(pwd)"\n{command}\n';
      const id = await submit(
        { jobName: 'nbx complete', workdir: dir, output: path.join(dir, 'slurm.out'), time: 5 },
        {
          command: ['bash', '-c', 'echo "run $RUN_ID" > result.txt'],
          template,
          values: { run_id: 'r 1' }
        },
        slurm
      );
      const done = await waitFor(id, over);
      assert.equal(done.status, 'completed');
      assert.equal(done.job?.name, 'nbx complete');
      assert.equal(fs.readFileSync(path.join(dir, 'result.txt'), 'utf8'), 'run r 1\n');
      assert.equal(fs.readFileSync(path.join(dir, 'slurm.out'), 'utf8'), `job ${id} in ${dir}\n`);
    });

    test('a failing job reads error with its exit code', async () => {
      const dir = jobDir('fail');
      const id = await submit(
        { workdir: dir, output: path.join(dir, 'slurm.out') },
        { command: ['bash', '-c', 'exit 3'] },
        slurm
      );
      const done = await waitFor(id, over);
      assert.deepEqual([done.status, done.reason], ['error', 'exit code 3']);
    });

    test('a partition the cluster lacks is one line from sbatch', async () => {
      await assert.rejects(
        submit({ partition: 'nope' }, { command: ['true'] }, slurm),
        (err: unknown) => {
          assert.ok(err instanceof SlurmCommandError);
          assert.equal(
            err.message,
            'sbatch: Batch job submission failed: Invalid partition name specified'
          );
          return true;
        }
      );
    });

    test(
      'a job given stand-in GPUs sees them in CUDA_VISIBLE_DEVICES',
      { skip: noGpus },
      async () => {
        const dir = jobDir('gpu');
        const id = await submit(
          { workdir: dir, output: path.join(dir, 'slurm.out'), gpus: 1 },
          { command: ['bash', '-c', 'echo "$CUDA_VISIBLE_DEVICES" > gpus.txt'] },
          slurm
        );
        assert.equal((await waitFor(id, over)).status, 'completed');
        assert.match(fs.readFileSync(path.join(dir, 'gpus.txt'), 'utf8'), /^[01]\n$/);
      }
    );

    test('a job over its --time reads error "time limit"', { timeout: 180_000 }, async () => {
      const dir = jobDir('timeout');
      const id = await submit(
        { workdir: dir, output: path.join(dir, 'slurm.out'), time: 1 },
        { command: ['sleep', '600'] },
        slurm
      );
      await waitFor(id, running);
      const started = Date.now();
      const done = await waitFor(id, over, 150_000);
      assert.deepEqual([done.status, done.reason], ['error', 'time limit']);
      // Slurm's smallest limit is a minute; its time-limit sweep runs every 30 s.
      const seconds = (Date.now() - started) / 1000;
      assert.ok(seconds >= 50 && seconds < 125, `ended after ${seconds} s`);
    });

    test('stopping a pending task cancels it; stopping a running one interrupts it first', async () => {
      const dir = jobDir('cancel');
      const id = await submit(
        { workdir: dir, output: path.join(dir, '%a.out'), array: { size: 2, parallel: 1 } },
        // Task 0 holds the only slot; on SIGINT it says so and exits as the runner would.
        {
          command: [
            'bash',
            '-c',
            'trap "echo interrupted > int_$SLURM_ARRAY_TASK_ID; exit 130" INT; sleep 600 & wait'
          ]
        },
        slurm
      );
      await waitFor(`${id}_0`, running);
      assert.equal(
        (await waitFor(`${id}_1`, s => s.status === 'queued')).reason,
        'JobArrayTaskLimit'
      );

      assert.equal(await cancelJob(`${id}_1`, slurm), true);
      assert.equal((await waitFor(`${id}_1`, over)).status, 'terminated');
      assert.equal((await jobStatuses([`${id}_0`], slurm)).get(`${id}_0`)?.status, 'running');

      const stopped = Date.now();
      assert.equal(await cancelJob(`${id}_0`, slurm), true);
      const done = await waitFor(`${id}_0`, over);
      assert.equal(done.status, 'terminated');
      assert.ok(
        Date.now() - stopped < 5_000,
        'the interrupt ended it without waiting out the grace'
      );
      assert.equal(fs.readFileSync(path.join(dir, 'int_0'), 'utf8'), 'interrupted\n');
      assert.equal(fs.existsSync(path.join(dir, 'int_1')), false, 'the pending task never started');
    });

    test('a job that ignores the interrupt is cancelled after the grace', async () => {
      const dir = jobDir('stubborn');
      const id = await submit(
        { workdir: dir, output: path.join(dir, 'slurm.out') },
        { command: ['bash', '-c', 'trap "" INT; sleep 600 & wait'] },
        slurm
      );
      await waitFor(id, running);
      assert.equal(await cancelJob(id, { ...slurm, graceMs: 1_000 }), true);
      const done = await waitFor(id, over);
      assert.equal(done.status, 'terminated');
      assert.equal(done.job?.state, 'CANCELLED');
    });

    test('an array of 4 with %2 never runs more than 2 tasks at once', async () => {
      const dir = jobDir('array');
      const id = await submit(
        { workdir: dir, output: path.join(dir, '%a.out'), array: { size: 4, parallel: 2 } },
        {
          command: [
            'bash',
            '-c',
            'date +%s.%N > start_$SLURM_ARRAY_TASK_ID; sleep 2; date +%s.%N > end_$SLURM_ARRAY_TASK_ID'
          ]
        },
        slurm
      );
      const tasks = [0, 1, 2, 3].map(i => `${id}_${i}`);
      for (const task of tasks) {
        assert.equal((await waitFor(task, over)).status, 'completed');
      }
      const read = (name: string): number => Number(fs.readFileSync(path.join(dir, name), 'utf8'));
      const spans = [0, 1, 2, 3].map(i => [read(`start_${i}`), read(`end_${i}`)]);
      // At each task's start, how many tasks were running (itself included).
      const overlap = spans.map(
        ([start]) => spans.filter(([s, e]) => s <= start && start < e).length
      );
      assert.equal(Math.max(...overlap), 2, `tasks running at each start: ${overlap}`);
    });

    test('a job cancelled behind our back reads terminated; one Slurm forgot, unknown', async () => {
      const dir = jobDir('behind');
      const id = await submit(
        { workdir: dir, output: path.join(dir, 'slurm.out') },
        { command: ['sleep', '600'] },
        slurm
      );
      await waitFor(id, running);
      await runSlurm('scancel', [id], slurm);
      assert.equal((await waitFor(id, over)).status, 'terminated');

      const statuses = await jobStatuses(['999999', id], slurm);
      assert.deepEqual(statuses.get('999999'), { status: 'unknown' });
      assert.equal(await cancelJob('999999', slurm), false);
    });
  });

  describe('nbx on Slurm', { concurrency: true }, () => {
    /** A project with the notebook `cells` (Python unless `kernel` says) and the CLI's env. */
    function project(cells: string[], kernel: 'python3' | 'tslab' = 'python3') {
      const p = cliProject();
      const env = { ...p.env, SLURM_CONF: cluster.conf };
      const nb = writeNotebook(
        p.dir,
        'nb.ipynb',
        notebook(kernel, [code(cells[0], ['parameters']), ...cells.slice(1).map(c => code(c))])
      );
      const run = (args: string[], extra: NodeJS.ProcessEnv = {}): Promise<ICliResult> =>
        nbxAsync(args, { cwd: p.dir, env: { ...env, ...extra } }).done;
      return { ...p, env, nb, run };
    }

    /** The record of a run once Slurm's view is reconciled into it and `done` holds. */
    async function untilRecord(
      home: string,
      id: string,
      done: (m: RunMeta) => boolean,
      timeoutMs = 60_000
    ): Promise<RunMeta> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        await reconcileSlurmRuns(home, slurm);
        const meta = readMeta(home, id);
        if (done(meta)) {
          return meta;
        }
        assert.ok(Date.now() < deadline, `run ${id} still ${meta.status} after ${timeoutMs} ms`);
        await delay(250);
      }
    }
    const activeMarked = (home: string, id: string): boolean =>
      fs.existsSync(path.join(home, 'slurm', 'active', id));
    const ended = (m: RunMeta): boolean => !['queued', 'running'].includes(m.status);
    // Ended, and reconciled with Slurm's final word (a runner killed at the time limit may
    // write its record a moment before Slurm's state says TIMEOUT).
    const settled = (m: RunMeta): boolean => ended(m) && m.slurm?.state !== undefined;
    const submittedJob = (stderr: string): string =>
      /as Slurm job (\d+)/.exec(stderr)?.[1] ?? assert.fail(`no job id in:\n${stderr}`);

    test('a Python run completes on Slurm with its outputs, scalars and GPU; restart resubmits it', async () => {
      const p = project([
        'lr = 0.1',
        'import os\nprint(f"loss: {lr * 2}")\nprint("gpus", os.environ.get("CUDA_VISIBLE_DEVICES"))'
      ]);
      const gpus = noGpus ? [] : ['--gpus', '1'];
      const r = await p.run([
        'run',
        p.nb,
        'lr=0.25',
        '--on',
        'slurm',
        '--partition',
        'debug',
        '--time',
        '5',
        '--cpus',
        '1',
        '--mem',
        '300M',
        ...gpus
      ]);
      assert.equal(r.status, 0, r.stderr);
      const id = r.stdout.trim();
      const job = submittedJob(r.stderr);
      assert.match(r.stderr, new RegExp(`Slurm job ${job}: (queued|running)`));
      const meta = await untilRecord(p.home, id, settled);
      assert.equal(meta.status, 'completed', meta.error ?? '');
      assert.equal(meta.scalars.loss.last, 0.5);
      assert.match(executedText(p.home, id), noGpus ? /loss: 0\.5/ : /loss: 0\.5\ngpus [01]\n/);
      assert.deepEqual(
        { ...meta.slurm, placement: undefined },
        {
          jobId: job,
          partition: 'debug',
          node: os.hostname(),
          state: 'COMPLETED',
          placement: undefined
        }
      );
      assert.deepEqual(meta.slurm?.placement, {
        partition: 'debug',
        time: '5',
        cpus: 1,
        mem: '300M',
        ...(noGpus ? {} : { gpus: 1 })
      });

      const again = await p.run(['restart', id, 'lr=0.5', '--on', 'slurm']);
      assert.equal(again.status, 0, again.stderr);
      assert.notEqual(submittedJob(again.stderr), job);
      const second = await untilRecord(p.home, id, m => ended(m) && m.slurm?.state !== undefined);
      assert.equal(second.status, 'completed', second.error ?? '');
      assert.equal(second.scalars.loss.last, 1);
      assert.equal(second.attempts?.length, 1);
      assert.equal(second.slurm?.placement.time, '5', 'the restart asks what the run asked');
    });

    test("a TypeScript run completes on Slurm through the project's nbx.json defaults and template", async () => {
      const p = project(
        [
          'const lr = 0.1;',
          'console.log(`loss: ${lr * 3}`);\nconsole.log(`site ${process.env.SITE_RUN}`);'
        ],
        'tslab'
      );
      fs.writeFileSync(
        path.join(p.dir, 'nbx.json'),
        '{"slurm": {"partition": "debug", "time": 10, "template": "site.sh"}}'
      );
      // A site template: what it sets up, the run's notebook sees.
      fs.writeFileSync(
        path.join(p.dir, 'site.sh'),
        '#!/bin/bash\nexport SITE_RUN={run_id}\n{command}\n'
      );
      const r = await p.run(['run', p.nb, '--on', 'slurm', '--label', 'ts on slurm']);
      assert.equal(r.status, 0, r.stderr);
      const id = r.stdout.trim();
      const meta = await untilRecord(p.home, id, ended, 120_000);
      assert.equal(meta.status, 'completed', meta.error ?? '');
      assert.ok(Math.abs(meta.scalars.loss.last - 0.3) < 1e-9);
      assert.match(executedText(p.home, id), new RegExp(`site ${id}\n`));
      assert.deepEqual(meta.slurm?.placement, {
        partition: 'debug',
        time: '10',
        template: path.join(p.dir, 'site.sh')
      });
      const job = (await jobStatuses([meta.slurm?.jobId ?? ''], slurm)).get(
        meta.slurm?.jobId ?? ''
      );
      assert.equal(job?.job?.name, 'ts on slurm');
    });

    test(
      'a failing notebook reads error; a run over its --time reads error "time limit"',
      { timeout: 180_000 },
      async () => {
        const p = project([
          'n = 0',
          'import time\nif n == 1:\n    raise ValueError("boom")\ntime.sleep(600)'
        ]);
        const failing = await p.run(['run', p.nb, 'n=1', '--on', 'slurm']);
        const slow = await p.run(['run', p.nb, '--on', 'slurm', '--time', '1']);
        assert.equal(failing.status, 0, failing.stderr);
        assert.equal(slow.status, 0, slow.stderr);
        const failed = await untilRecord(p.home, failing.stdout.trim(), settled);
        assert.equal(failed.status, 'error');
        assert.match(failed.error ?? '', /ValueError: boom/);
        // Slurm's smallest limit is a minute, enforced by a sweep every 30 s.
        const timedOut = await untilRecord(p.home, slow.stdout.trim(), settled, 150_000);
        assert.deepEqual([timedOut.status, timedOut.error], ['error', 'time limit']);
        assert.equal(timedOut.slurm?.state, 'TIMEOUT');
      }
    );

    test('nbx stop cancels a pending trial, and a batch: its running trial interrupted, the rest cancelled', async () => {
      const p = project(['n = 0', 'import time\ntime.sleep(600)']);
      const r = await p.run([
        'run',
        p.nb,
        'n=[1,2,3]',
        '--on',
        'slurm',
        '--parallel',
        '1',
        '--json'
      ]);
      assert.equal(r.status, 0, r.stderr);
      const batch = JSON.parse(r.stdout) as RunMeta;
      const [first, second, third] = batch.trials;
      await untilRecord(p.home, first, m => m.status === 'running');
      const pending = (await jobStatuses([`${batch.slurm?.jobId}_2`], slurm)).get(
        `${batch.slurm?.jobId}_2`
      );
      assert.equal(pending?.status, 'queued');
      const waiting = await untilRecord(p.home, third, m => (m.slurm?.queue ?? null) !== null);
      assert.equal(waiting.slurm?.queue?.reason, 'JobArrayTaskLimit');
      assert.ok((waiting.slurm?.queue?.position ?? 0) >= 1);

      const stopPending = await p.run(['stop', third.slice(0, 8)]);
      assert.equal(stopPending.stdout, `${third.slice(0, 8)} terminated\n`, stopPending.stderr);
      assert.equal(readMeta(p.home, first).status, 'running', 'the others run on');
      const stopped = Date.now();
      const stopBatch = await p.run(['stop', batch.id.slice(0, 8)]);
      assert.equal(stopBatch.stdout, `${batch.id.slice(0, 8)} terminated\n`, stopBatch.stderr);
      assert.ok(
        Date.now() - stopped < 8_000,
        'the interrupt ended it without waiting out the grace'
      );
      const trials = batch.trials.map(id => readMeta(p.home, id));
      assert.deepEqual(
        trials.map(t => t.status),
        ['terminated', 'terminated', 'terminated']
      );
      assert.notEqual(trials[0].started, null);
      assert.deepEqual([trials[1].started, trials[2].started], [null, null], 'never started');
      assert.equal(readMeta(p.home, second).error, 'stopped by nbx stop');
      const parent = await untilRecord(
        p.home,
        batch.id,
        m => ended(m) && !activeMarked(p.home, batch.id)
      );
      assert.equal(parent.status, 'terminated');
    });

    test('a sweep of 4 trials with --parallel 2 is one job array, never more than 2 at once', async () => {
      const p = project([
        'n = 0',
        'import json, time\nt0 = time.time()\ntime.sleep(2)\nopen("span.json", "w").write(json.dumps([t0, time.time()]))'
      ]);
      const r = await p.run(['run', p.nb, 'n=[1,2,3,4]', '--on', 'slurm', '--parallel', '2']);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stderr, /submitted batch of 4 trials \w+ as Slurm job \d+ \(a job array\)/);
      const batch = await untilRecord(p.home, r.stdout.trim(), ended, 90_000);
      assert.equal(batch.status, 'completed', batch.error ?? '');
      const spans = batch.trials.map(
        id =>
          JSON.parse(
            fs.readFileSync(path.join(p.home, 'runs', id, 'span.json'), 'utf8')
          ) as number[]
      );
      const overlap = spans.map(
        ([start]) => spans.filter(([s, e]) => s <= start && start < e).length
      );
      assert.ok(Math.max(...overlap) <= 2, `trials running at each start: ${overlap}`);
      const jobs = batch.trials.map(id => readMeta(p.home, id).slurm?.jobId);
      assert.deepEqual(
        jobs,
        [0, 1, 2, 3].map(i => `${batch.slurm?.jobId}_${i}`)
      );
    });

    test("a job cancelled behind nbx's back reads terminated", async () => {
      const p = project(['n = 0', 'import time\ntime.sleep(600)']);
      const r = await p.run(['run', p.nb, '--on', 'slurm']);
      const id = r.stdout.trim();
      await untilRecord(p.home, id, m => m.status === 'running');
      await runSlurm('scancel', [submittedJob(r.stderr)], slurm);
      const shown = await untilRecordByCli(p, id);
      assert.equal(shown.status, 'terminated');
      assert.equal(shown.slurm?.state, 'CANCELLED');
    });

    /** `nbx show --json` (which reconciles) until the run has ended. */
    async function untilRecordByCli(p: ReturnType<typeof project>, id: string): Promise<RunMeta> {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const r = await p.run(['show', id, '--json']);
        assert.equal(r.status, 0, r.stderr);
        const meta = JSON.parse(r.stdout) as RunMeta;
        if (settled(meta)) {
          return meta;
        }
        assert.ok(Date.now() < deadline, `run ${id} still ${meta.status}`);
        await delay(250);
      }
    }

    test('a sweep launched on Slurm (as the service does) is seen live by the poll', async () => {
      const p = project(['n = 0', 'print(f"loss: {n}")']);
      const { meta: batch } = await launch({
        notebook: p.nb,
        flags: [{ name: 'n', raw: '[1,2]' }],
        parallel: 2,
        placement: { on: 'slurm', time: '5' },
        mode: 'detach',
        cwd: p.dir,
        env: p.env
      });
      assert.match(batch.slurm?.jobId ?? '', /^\d+$/);
      const seen = new Set<string>();
      const poll = new SlurmPoll({
        root: p.home,
        intervalMs: 200,
        onChange: ids => ids.forEach(id => seen.add(id))
      });
      try {
        const deadline = Date.now() + 60_000;
        while (readMeta(p.home, batch.id).status !== 'completed') {
          assert.ok(Date.now() < deadline, `batch still ${readMeta(p.home, batch.id).status}`);
          await delay(200);
        }
      } finally {
        poll.close();
      }
      assert.deepEqual([...seen].sort(), [batch.id, ...batch.trials].sort());
      assert.deepEqual(
        batch.trials.map(id => readMeta(p.home, id).scalars.loss.last),
        [1, 2]
      );
    });

    test('Slurm unreachable: one line and nothing written; records stay as they were', async () => {
      const p = project(['n = 0', 'import time\ntime.sleep(600)']);
      // A controller nobody listens on: what a client sees when slurmctld is down.
      const conf = path.join(p.dir, 'unreachable.conf');
      fs.writeFileSync(
        conf,
        fs.readFileSync(cluster.conf, 'utf8').replace(/^SlurmctldPort=\d+$/m, 'SlurmctldPort=1')
      );
      const running = await p.run(['run', p.nb, '--on', 'slurm']);
      const id = running.stdout.trim();
      await untilRecord(p.home, id, m => m.status === 'running');

      const [refused, listed] = await Promise.all([
        p.run(['run', p.nb, '--on', 'slurm'], { SLURM_CONF: conf }),
        p.run(['runs', '--json'], { SLURM_CONF: conf })
      ]);
      assertOneLine(
        refused,
        'failed',
        /^nbx: cannot reach the Slurm controller \(sbatch\): .*Unable to contact slurm controller/
      );
      assert.deepEqual(runIds(p.home), [id], 'no run left behind for a job that does not exist');
      assertOneLine(
        listed,
        0,
        /^nbx: warning: runs on Slurm show their last recorded status: cannot reach/
      );
      assert.equal((JSON.parse(listed.stdout) as RunMeta[])[0].status, 'running');

      const stop = await p.run(['stop', id]);
      assert.equal(stop.status, 0, stop.stderr);
      assert.equal(readMeta(p.home, id).status, 'terminated');
    });
  });
});

test(
  'with slurmctld stopped: one error line, and no job is lost',
  { skip: cluster.skip, timeout: 120_000 },
  async () => {
    const dir = jobDir('controller');
    const id = await submit(
      { workdir: dir, output: path.join(dir, 'slurm.out') },
      { command: ['sleep', '600'] },
      slurm
    );
    await waitFor(id, running);

    const pidFile = path.join(path.dirname(path.dirname(cluster.conf)), 'run', 'slurmctld.pid');
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    process.kill(pid, 'SIGTERM');
    while (alive(pid)) {
      await delay(100);
    }
    try {
      const [submitted, queried] = await Promise.allSettled([
        submit({ workdir: dir }, { command: ['true'] }, slurm),
        jobStatuses([id], slurm)
      ]);
      for (const [result, command] of [
        [submitted, 'sbatch'],
        [queried, 'scontrol']
      ] as const) {
        assert.equal(result.status, 'rejected');
        assert.ok(result.reason instanceof SlurmUnreachableError);
        assert.match(
          result.reason.message,
          new RegExp(
            `^cannot reach the Slurm controller \\(${command}\\): .*Unable to contact slurm controller[^\\n]*$`
          )
        );
      }
    } finally {
      assert.equal(spawnSync('bash', [SCRIPT, 'start'], { encoding: 'utf8' }).status, 0);
    }
    // The restarted controller recovers the job, still running on the node.
    assert.equal((await waitFor(id, s => s.status !== 'unknown')).status, 'running');
    assert.equal(await cancelJob(id, slurm), true);
    assert.equal((await waitFor(id, over)).status, 'terminated');
  }
);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
