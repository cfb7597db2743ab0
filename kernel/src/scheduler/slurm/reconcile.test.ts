/** A run's record reconciled with Slurm's view of its job (`reconciled`, pure). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunMeta, RunStatus } from '../../store/meta';
import { newRunMeta } from '../../store/run-dir';
import type { ISlurmJob } from './jobs';
import { VANISHED, reconciled } from './reconcile';
import { slurmStatus } from './status';

const slurm = { jobId: '7', partition: 'debug', node: '', placement: {} };

function record(status: RunStatus, error: string | null = null): RunMeta {
  return { ...newRunMeta('a'.repeat(32), { notebook: '/p/nb.ipynb', status, error }), slurm };
}

function job(state: string, extra: Partial<ISlurmJob> = {}): ISlurmJob {
  return {
    id: '7',
    name: 'nb',
    state,
    reason: '',
    exitCode: '0:0',
    partition: 'debug',
    nodes: 'n1',
    comment: '',
    ...extra
  };
}

const seen = (meta: RunMeta, state: string, extra: Partial<ISlurmJob> = {}): RunMeta =>
  reconciled(meta, slurmStatus(job(state, extra)));

test('a job in flight: the record unchanged but for where it runs and its place in the queue', () => {
  const queued = record('queued');
  const waiting = reconciled(queued, {
    ...slurmStatus(job('PENDING', { reason: 'Priority', nodes: '' })),
    position: 3
  });
  assert.deepEqual(waiting.slurm?.queue, { position: 3, reason: 'Priority' });
  assert.equal(waiting.status, 'queued');
  assert.equal(
    reconciled(waiting, {
      ...slurmStatus(job('PENDING', { reason: 'Priority', nodes: '' })),
      position: 3
    }),
    waiting,
    'unchanged: the same object, nothing written'
  );
  const running = seen(record('running'), 'RUNNING');
  assert.deepEqual(
    [running.status, running.slurm?.node, running.slurm?.state],
    ['running', 'n1', undefined]
  );
});

test("an ended job settles the record: Slurm's reason where the cluster ended it", () => {
  const done = seen(record('completed'), 'COMPLETED');
  assert.deepEqual([done.status, done.slurm?.state], ['completed', 'COMPLETED']);
  // The runner's own error names the cell: kept.
  const failed = seen(record('error', 'ValueError: boom'), 'FAILED', { exitCode: '1:0' });
  assert.deepEqual([failed.status, failed.error], ['error', 'ValueError: boom']);
  // Killed at the time limit or for memory: the runner saw a signal or its kernel die.
  for (const [state, reason] of [
    ['TIMEOUT', 'time limit'],
    ['OUT_OF_MEMORY', 'out of memory']
  ]) {
    for (const before of [
      record('terminated', 'stopped by SIGTERM'),
      record('error', 'kernel died')
    ]) {
      const after = seen(before, state);
      assert.deepEqual([after.status, after.error, after.slurm?.state], ['error', reason, state]);
    }
  }
  // Cancelled while the kernel died first: a stop.
  assert.equal(seen(record('error', 'kernel died'), 'CANCELLED').status, 'terminated');
});

test('a record the runner never finished ends as Slurm says; a vanished job reads terminated', () => {
  const cancelled = seen(record('queued'), 'CANCELLED', { nodes: '' });
  assert.deepEqual([cancelled.status, cancelled.error], ['terminated', 'cancelled in Slurm']);
  assert.notEqual(cancelled.stopped, null);
  const lost = seen(record('running'), 'NODE_FAIL');
  assert.deepEqual([lost.status, lost.error], ['error', 'node failure (n1)']);
  const vanished = reconciled(record('running'), { status: 'unknown' });
  assert.deepEqual(
    [vanished.status, vanished.error, vanished.slurm?.state],
    ['terminated', VANISHED, '']
  );
  const forgotten = reconciled(record('completed'), { status: 'unknown' });
  assert.deepEqual([forgotten.status, forgotten.slurm?.state], ['completed', '']);
  // Settled once: never changed again.
  const settled = { ...record('completed'), slurm: { ...slurm, state: 'COMPLETED' } };
  assert.equal(seen(settled, 'FAILED'), settled);
});
