/**
 * Records of runs on Slurm reconciled with Slurm's view. The runner on the node writes
 * `meta.json` as it does here; what it cannot write — a job cancelled before it started,
 * killed at its time limit, vanished with its node — is read from Slurm and written into
 * the record, once: a run whose record and job have both ended is settled (see active.ts)
 * and never asked about again.
 *
 * One Slurm query (scontrol) covers every run in flight under the runs root.
 */
import { FINAL_STATUSES, type RunMeta } from '../../store/meta';
import { RunDir } from '../../store/run-dir';
import { batchOutcome } from '../queue';
import { activeRuns, settleActive } from './active';
import type { ISlurmEnv } from './command';
import { pendingOrder } from './jobs';
import { jobStatuses, type ISlurmStatus } from './status';

const isFinal = (meta: RunMeta): boolean => FINAL_STATUSES.includes(meta.status);

/** The error of a run whose job Slurm no longer knows while its record says it runs. */
export const VANISHED = 'the Slurm job vanished';

/**
 * Reconciles the runs under `root` that are marked active; resolves with the ids of the
 * records it changed. Throws `SlurmUnreachableError` when slurmctld does not answer:
 * then nothing is changed (a job Slurm cannot be asked about is not a vanished one).
 */
export async function reconcileSlurmRuns(root: string, slurm: ISlurmEnv = {}): Promise<string[]> {
  const runs: { run: RunDir; meta: RunMeta }[] = [];
  for (const id of activeRuns(root)) {
    const run = new RunDir(root, id);
    try {
      const meta = run.readMeta();
      if (meta.slurm && meta.slurm.state === undefined) {
        runs.push({ run, meta });
        continue;
      }
    } catch {
      // removed (nbx rm) or unreadable: nothing to reconcile
    }
    settleActive(root, id);
  }
  const plain = runs.filter(r => r.meta.kind === 'run');
  if (runs.length === 0) {
    return [];
  }
  const statuses = plain.length
    ? await jobStatuses(
        plain.map(r => r.meta.slurm?.jobId ?? ''),
        slurm
      )
    : new Map<string, ISlurmStatus>();
  const queued = [...statuses.values()].some(s => s.status === 'queued');
  const order = queued ? await pendingOrder(slurm) : [];
  const changed: string[] = [];
  for (const { run, meta } of plain) {
    const jobId = meta.slurm?.jobId ?? '';
    const found = statuses.get(jobId) ?? { status: 'unknown' };
    const position = order.indexOf(jobId) + 1;
    const status = position > 0 ? { ...found, position } : found;
    // Written only when it changes: an unchanged record keeps its mtime (and the index).
    if (reconciled(meta, status) === meta) {
      continue;
    }
    const next = run.updateMeta(m => reconciled(m, status));
    changed.push(run.id);
    if (next.slurm?.state !== undefined) {
      settleActive(root, run.id);
    }
  }
  for (const { run } of runs.filter(r => r.meta.kind === 'batch')) {
    if (reconcileBatch(run)) {
      changed.push(run.id);
    }
  }
  return changed;
}

/**
 * `meta` as Slurm's view of its job says it is (the same object when nothing changes);
 * `position` is the job's place among pending jobs, when it is pending.
 */
export function reconciled(meta: RunMeta, slurm: ISlurmStatus & { position?: number }): RunMeta {
  const job = meta.slurm;
  if (!job || job.state !== undefined) {
    return meta;
  }
  const node = slurm.job?.nodes || job.node;
  const partition = slurm.job?.partition || job.partition;
  if (slurm.status === 'unknown') {
    // Gone from slurmctld (and from accounting, if any): whatever it was doing has ended.
    return isFinal(meta)
      ? { ...meta, slurm: { ...job, state: '' } }
      : ended(meta, 'terminated', meta.error ?? VANISHED, { ...job, state: '' });
  }
  if (slurm.status === 'queued' || slurm.status === 'running') {
    const queue =
      slurm.status === 'queued' && slurm.position !== undefined
        ? { position: slurm.position, reason: slurm.reason ?? '' }
        : null;
    const same =
      node === job.node &&
      partition === job.partition &&
      JSON.stringify(queue) === JSON.stringify(job.queue ?? null);
    return same ? meta : { ...meta, slurm: { ...job, node, partition, queue } };
  }
  const { queue: _queue, ...over } = job;
  const settled = { ...over, node, partition, state: slurm.job?.state ?? '' };
  if (!isFinal(meta)) {
    // The runner never wrote how it ended (cancelled while queued, killed, node lost).
    const error = slurm.status === 'terminated' ? (meta.error ?? 'cancelled in Slurm') : null;
    return ended(meta, slurm.status, slurm.reason ?? error, settled);
  }
  if (meta.status === 'completed') {
    return { ...meta, slurm: settled };
  }
  // Killed by the cluster (time limit, memory, a lost node): the runner wrote what it saw
  // (`terminated` by a signal, `kernel died`), Slurm knows why. A plain failure (FAILED:
  // the runner's non-zero exit) keeps the record's own error, which names the cell.
  if (slurm.status === 'error' && slurm.job?.state !== 'FAILED') {
    return { ...meta, status: 'error', error: slurm.reason ?? meta.error, slurm: settled };
  }
  // A cancel that killed the kernel before the runner heard of it reads as a stop.
  if (slurm.status === 'terminated' && meta.status === 'error') {
    return { ...meta, status: 'terminated', slurm: settled };
  }
  return { ...meta, slurm: settled };
}

function ended(
  meta: RunMeta,
  status: RunMeta['status'],
  error: string | null,
  slurm: RunMeta['slurm']
): RunMeta {
  return {
    ...meta,
    status,
    error,
    stopped: meta.stopped ?? new Date().toISOString(),
    exitCode: meta.exitCode ?? (status === 'completed' ? 0 : 1),
    slurm
  };
}

/**
 * A batch on Slurm (a job array) is running until its trials have all ended, then reads
 * as a local batch would. True when its record changed.
 */
function reconcileBatch(batch: RunDir): boolean {
  const meta = batch.readMeta();
  if (isFinal(meta)) {
    // Stopped with nbx stop, which wrote its record.
    settleActive(batch.root, batch.id);
    return false;
  }
  const trials = meta.trials.flatMap(id => {
    try {
      return [new RunDir(batch.root, id).readMeta()];
    } catch {
      return [];
    }
  });
  if (!trials.every(isFinal)) {
    return false;
  }
  const outcome = batchOutcome(trials, null);
  batch.updateMeta(m => ({
    ...m,
    ...outcome,
    stopped: m.stopped ?? new Date().toISOString(),
    exitCode: outcome.status === 'completed' ? 0 : 1,
    slurm: m.slurm ? { ...m.slurm, state: '' } : m.slurm
  }));
  settleActive(batch.root, batch.id);
  return true;
}
