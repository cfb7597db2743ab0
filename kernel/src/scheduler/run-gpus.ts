/**
 * The GPUs of a run that is not a trial of a batch (`nbx run --gpus 1`, `nbx restart`,
 * `nbx rerun`, a run started from JupyterLab): reserved in the runs root's GPU pool under
 * the physical GPU, as a trial's are, so such a run never shares a GPU with a trial of a
 * sweep or with another run. The run stays `queued` while it waits (recording this
 * process, so a waiting run whose process died reads `terminated`), and a stop ends the
 * wait.
 */
import { errorMessage } from '../base/errors';
import type { RunMeta } from '../store/meta';
import { processStartToken } from '../store/process';
import type { RunDir } from '../store/run-dir';
import { resolveGpus } from './gpu-list';
import { acquireGpus, gpuHolder, listGpuReservations, releaseGpus, waitForGpus } from './gpu-pool';
import { registerStoppable } from './stop-requests';

/** GPUs reserved for a run: `release` gives them back (once the kernel is gone). */
export interface IRunGpus {
  release(): void;
}

/** What `reserveRunGpus` came to: GPUs to release, or the run ended before it began. */
export type RunGpusOutcome = { reserved: IRunGpus } | { ended: RunMeta };

/**
 * Reserves the GPUs the run's record names (`meta.gpus`), waiting until they are free.
 * No GPUs (`null` or `''`): nothing to reserve. A GPU nvidia-smi does not list, or a stop
 * while waiting, ends the run (`error` or `terminated`) and resolves with its final record.
 */
export async function reserveRunGpus(
  run: RunDir,
  env: NodeJS.ProcessEnv,
  onWait?: (line: string) => void
): Promise<RunGpusOutcome> {
  const none: RunGpusOutcome = { reserved: { release: () => undefined } };
  const gpus = run.readMeta().gpus;
  if (gpus === null || gpus === '') {
    return none;
  }
  const end = (status: 'error' | 'terminated', error: string): RunGpusOutcome => ({
    ended: run.updateMeta(m => ({
      ...m,
      status,
      error,
      stopped: new Date().toISOString(),
      exitCode: 1
    }))
  });
  let keys: string[];
  try {
    keys = await resolveGpus(gpus, env);
  } catch (err) {
    return end('error', errorMessage(err));
  }
  const holder = gpuHolder(run.id);
  run.updateMeta(m => ({
    ...m,
    status: 'queued',
    pid: process.pid,
    pidStart: processStartToken(process.pid)
  }));
  const wait = new AbortController();
  let stopReason: string | null = null;
  const unregister = registerStoppable(run, reason => {
    stopReason ??= reason;
    wait.abort();
  });
  try {
    if (acquireGpus(run.root, keys, keys.length, holder) === null) {
      onWait?.(waitingLine(run.root, gpus, keys));
      await waitForGpus(run.root, keys, keys.length, holder, { signal: wait.signal });
    }
  } catch (err) {
    return stopReason !== null ? end('terminated', stopReason) : end('error', errorMessage(err));
  } finally {
    unregister();
  }
  if (stopReason !== null) {
    releaseGpus(run.root, keys, holder);
    return end('terminated', stopReason);
  }
  return { reserved: { release: () => void releaseGpus(run.root, keys, holder) } };
}

/** `waiting for GPU 1 (reserved by run 3f2a9c1e)`: what a run waits for, and on whom. */
function waitingLine(root: string, gpus: string, keys: string[]): string {
  const holders = listGpuReservations(root)
    .filter(r => keys.includes(r.gpu) && !r.stale)
    .map(r => r.runId.slice(0, 8));
  const plural = keys.length > 1 ? 'GPUs' : 'GPU';
  const by = holders.length ? ` (reserved by run ${[...new Set(holders)].join(', ')})` : '';
  return `waiting for ${plural} ${gpus}${by}`;
}
