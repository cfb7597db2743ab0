/**
 * The Slurm client against a real single-node cluster (scripts/slurm-local.sh starts it, or
 * finds it running). Skipped only where Slurm cannot run: no root and no passwordless sudo,
 * or no Slurm and no apt-get to install it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { PACKAGE_ROOT } from '../../base/paths';
import { cancelJob } from './cancel';
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
const over = (s: ISlurmStatus): boolean => !['queued', 'running'].includes(s.status);
const running = (s: ISlurmStatus): boolean => s.status === 'running';

describe('Slurm client on a real cluster', { skip: cluster.skip, concurrency: true }, () => {
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

  const noGpus =
    !fs.existsSync(path.join(path.dirname(cluster.conf), 'gres.conf')) &&
    'the test cluster has no stand-in GPUs (slurm-local.sh could not make their device files here)';
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
    assert.ok(Date.now() - stopped < 5_000, 'the interrupt ended it without waiting out the grace');
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
