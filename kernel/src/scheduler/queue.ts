/**
 * The queue of a batch: executes its trials in this process, up to `parallel` at once,
 * each in a fresh kernel of its own (no process per trial), starting the next as soon as
 * one ends. With a GPU pool a trial stays `queued` until `gpusPerTrial` GPUs are
 * reserved for it in the runs root's shared pool, keyed by the physical GPU (so two
 * batches never give one GPU to two trials, whether they name it by index or by UUID);
 * it gets them as `CUDA_VISIBLE_DEVICES`, as the batch names them, and releases them when
 * its kernel is gone.
 *
 * Stopping: SIGTERM/SIGINT/SIGHUP or a stop request of the batch (see stop-requests.ts)
 * stop the running trials and cancel the queued ones; a stop request of one trial stops
 * (or cancels) that trial alone. A queued trial records this process as its `pid`, so if
 * the process is killed its trials read `terminated` too.
 */
import * as os from 'os';
import { errorMessage } from '../base/errors';
import type { RunMeta, RunStatus } from '../store/meta';
import { processStartToken } from '../store/process';
import { RunDir } from '../store/run-dir';
import { resolveGpus } from './gpu-list';
import { gpuHolder, releaseGpus, waitForGpus } from './gpu-pool';
import { WarmKernels, warmKernelsEnabled } from '../protocol/warm-pool';
import { prestartRunKernel } from './run-kernel';
import { executeRun } from './runner';
import { registerStoppable, stopActive } from './stop-requests';

/** The error of trials cancelled because their batch was stopped. */
export const CANCELLED_BY_BATCH = 'cancelled: the batch was stopped';

/** A trial changed state. */
export interface ITrialEvent {
  /** Position in the batch, from 0. */
  index: number;
  total: number;
  run: RunDir;
  meta: RunMeta;
}

/** Options of `runBatch`. */
export interface IRunBatchOptions {
  env?: NodeJS.ProcessEnv;
  /** System metrics interval of each trial (see `executeRun`). */
  sampleMs?: number;
  /** Called when a trial is queued, starts, and ends. */
  onTrial?: (event: ITrialEvent) => void;
  /** How often a trial waiting for GPUs looks again when nothing changed (ms). */
  gpuPollMs?: number;
}

const WAITING: readonly RunStatus[] = ['queued', 'staged'];

/** The status of a batch whose trials ended: completed, error, or terminated. */
export function batchOutcome(
  trials: RunMeta[],
  stopReason: string | null
): { status: RunStatus; error: string | null } {
  if (stopReason !== null) {
    return { status: 'terminated', error: stopReason };
  }
  const failed = trials.filter(t => t.status === 'error').length;
  const stopped = trials.filter(t => t.status === 'terminated').length;
  const of = `of ${trials.length} trials`;
  if (failed > 0) {
    return { status: 'error', error: `${failed} ${of} failed` };
  }
  if (stopped > 0) {
    return { status: 'terminated', error: `${stopped} ${of} stopped` };
  }
  const unfinished = trials.filter(t => t.status !== 'completed').length;
  return unfinished > 0
    ? { status: 'error', error: `${unfinished} ${of} did not run` }
    : { status: 'completed', error: null };
}

/**
 * Executes the `queued` and `staged` trials of `batch` (trials that ended already are
 * left as they are) and records the batch's outcome. Resolves with the batch's final
 * record; never throws for failing trials.
 */
export async function runBatch(batch: RunDir, options: IRunBatchOptions = {}): Promise<RunMeta> {
  const pid = process.pid;
  const pidStart = processStartToken(pid);
  const meta = batch.updateMeta(m => ({
    ...m,
    status: 'running',
    pid,
    pidStart,
    host: os.hostname(),
    started: new Date().toISOString(),
    stopped: null,
    exitCode: null,
    error: null
  }));
  const settings = meta.batch;
  const pool = settings?.gpus?.length ? settings.gpus : null;
  const perTrial = Math.max(1, settings?.gpusPerTrial ?? 1);
  const parallel = Math.max(1, settings?.parallel ?? 1);
  const env = options.env ?? process.env;
  // The next trial's kernel starts while the trials before it run. Not with a GPU pool: a
  // trial's GPUs, so its kernel's environment, are known only when it starts. A worker
  // starts the next kernel before its own trial takes its warm one: room for both.
  const warm = pool === null && warmKernelsEnabled(env) ? new WarmKernels(parallel + 1) : null;
  const trials = meta.trials.map(id => new RunDir(batch.root, id));
  const total = trials.length;
  const emit = (index: number, m: RunMeta): void =>
    options.onTrial?.({ index, total, run: trials[index], meta: m });

  const pending: number[] = [];
  trials.forEach((trial, index) => {
    try {
      if (WAITING.includes(trial.readMeta().status)) {
        pending.push(index);
      }
    } catch {
      // a trial removed since: nothing to run
    }
  });

  let stopReason: string | null = null;
  const started = new Set<number>();
  const ended = new Set<number>();
  const waits = new Map<number, AbortController>();
  const unregister: (() => void)[] = [];

  const cancel = (index: number, reason: string): void => {
    if (started.has(index) || ended.has(index)) {
      return;
    }
    ended.add(index);
    waits.get(index)?.abort();
    const final = trials[index].updateMeta(m => ({
      ...m,
      status: 'terminated',
      error: reason,
      stopped: new Date().toISOString(),
      exitCode: 1
    }));
    emit(index, final);
  };
  // Registered first: on SIGTERM it cancels the queue before the trials hear of it.
  unregister.push(
    registerStoppable(batch, reason => {
      if (stopReason !== null) {
        return;
      }
      stopReason = reason;
      void warm?.close();
      for (const index of pending) {
        cancel(index, CANCELLED_BY_BATCH);
        if (started.has(index) && !ended.has(index)) {
          stopActive(trials[index].id, reason);
        }
      }
    })
  );
  for (const index of pending) {
    const queued = trials[index].updateMeta(m => ({
      ...m,
      status: 'queued',
      pid,
      pidStart,
      host: os.hostname(),
      error: null,
      stopped: null,
      exitCode: null,
      ...(pool ? { gpus: null } : {})
    }));
    emit(index, queued);
    const off = registerStoppable(trials[index], reason => cancel(index, `cancelled: ${reason}`));
    unregister.push(off);
    waits.set(index, new AbortController());
  }

  // The physical GPU of each GPU of the pool: reservations are made under it.
  const physical = pool ? resolveGpus(pool.join(','), options.env ?? process.env) : null;
  physical?.catch(() => undefined); // each trial reports it (see `fail`)

  const runTrial = async (index: number): Promise<void> => {
    const run = trials[index];
    const holder = gpuHolder(run.id);
    let keys: string[] = [];
    try {
      if (pool && physical) {
        const poolKeys = await physical;
        try {
          keys = await waitForGpus(batch.root, poolKeys, perTrial, holder, {
            signal: waits.get(index)?.signal,
            pollMs: options.gpuPollMs
          });
        } catch (err) {
          if (ended.has(index)) {
            return; // cancelled while waiting
          }
          throw err;
        }
        if (ended.has(index)) {
          return;
        }
        const gpus = keys.map(key => pool[poolKeys.indexOf(key)]);
        run.updateMeta({ gpus: gpus.join(',') });
      }
      started.add(index);
      const final = await executeRun(run, {
        env: options.env,
        warm: warm ?? undefined,
        sampleMs: options.sampleMs,
        gpusReserved: pool !== null,
        onStart: m => emit(index, m)
      });
      ended.add(index);
      emit(index, final);
    } finally {
      if (keys.length) {
        releaseGpus(batch.root, keys, holder);
      }
    }
  };

  const fail = (index: number, message: string): void => {
    ended.add(index);
    emit(
      index,
      trials[index].updateMeta(m => ({
        ...m,
        status: 'error',
        error: message,
        stopped: new Date().toISOString(),
        exitCode: 1
      }))
    );
  };
  let next = 0;
  const worker = async (): Promise<void> => {
    while (stopReason === null && next < pending.length) {
      const index = pending[next++];
      // The kernel warmed now is for the trial this worker (or the first one free) takes
      // once the `parallel - 1` trials after this one have started: it has a whole trial's
      // time to start. The next trial itself is about to start, cold or not, at once.
      const following = pending.slice(next).filter(i => !ended.has(i))[parallel - 1];
      if (warm !== null && following !== undefined) {
        prestartRunKernel(trials[following], env, warm);
      }
      if (!ended.has(index)) {
        try {
          await runTrial(index);
        } catch (err) {
          fail(index, errorMessage(err));
        }
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(parallel, pending.length) }, worker));
  } finally {
    unregister.forEach(off => off());
    await warm?.close();
  }
  const finals = trials.map(trial => {
    try {
      return trial.readMeta();
    } catch {
      return null;
    }
  });
  const outcome = batchOutcome(
    finals.filter((m): m is RunMeta => m !== null),
    stopReason
  );
  return batch.updateMeta(m => ({
    ...m,
    status: outcome.status,
    error: outcome.error,
    stopped: new Date().toISOString(),
    exitCode: outcome.status === 'completed' ? 0 : 1
  }));
}
