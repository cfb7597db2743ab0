/**
 * GPU reservations shared through the runs root, so that two sweeps (two processes)
 * started at once on the same GPUs never give one GPU to two trials.
 *
 * `<root>/gpus/<gpu>.json` exists while GPU `<gpu>` is reserved and holds who has it:
 * `{ gpu, runId, pid, pidStart, host, since }`. `<gpu>` is the physical GPU, its UUID as
 * nvidia-smi gives it (see `resolveGpus` in scheduler/gpu-list.ts), so `--gpus 0` and `--gpus
 * GPU-…` of the same GPU meet at one reservation; without nvidia-smi, the id as given. A reservation is written whole (a temp
 * file hard-linked into place, which fails if the name exists, like `O_EXCL`), and every
 * change to the directory happens under one short lock (`<root>/gpus/.lock`), so an
 * all-or-nothing acquire of several GPUs and the reclaiming of stale reservations cannot
 * race. A reservation is stale when its holder process is gone (`isProcessAlive` with the
 * recorded start token, so a reused pid does not keep it) or its file is unreadable;
 * reservations made on another host are never reclaimed (their pids mean nothing here).
 *
 * Without GPUs the pool is not used: the caller limits parallelism alone.
 */

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { UserError } from '../base/errors';
import { withFileLock } from '../store/lock';
import { isProcessAlive, processStartToken } from '../store/process';

/** Who holds a reservation: a run, and the process that answers for it. */
export interface IGpuHolder {
  runId: string;
  pid: number;
  /** The start token of `pid` (`processStartToken`), so a reused pid is not taken for it. */
  pidStart: string | null;
  host: string;
}

/** A reservation as stored in `<root>/gpus/<gpu>.json`. */
export interface IGpuReservation extends IGpuHolder {
  gpu: string;
  /** When it was made (ISO 8601). */
  since: string;
}

/** Name of the reservations directory inside the runs root. */
export const GPUS_DIR = 'gpus';

/** `<root>/gpus`. */
export function gpusDir(root: string): string {
  return path.join(root, GPUS_DIR);
}

/** A holder for `runId` answered for by process `pid` (default: this process) on this host. */
export function gpuHolder(runId: string, pid: number = process.pid): IGpuHolder {
  return { runId, pid, pidStart: processStartToken(pid), host: os.hostname() };
}

/**
 * Checks `--gpus-per-trial` against the GPUs a batch may use (`gpus`, as listed by
 * `--gpus` or found). Throws a one-line `UserError`, e.g. `--gpus-per-trial 2 needs at
 * least 2 GPUs, --gpus gives 1`.
 */
export function validateGpusPerTrial(
  perTrial: number,
  gpus: readonly string[],
  source = '--gpus'
): void {
  if (!Number.isSafeInteger(perTrial) || perTrial < 1) {
    throw new UserError(`--gpus-per-trial must be a positive integer, got ${perTrial}`);
  }
  if (perTrial > gpus.length) {
    const plural = perTrial === 1 ? 'GPU' : 'GPUs';
    throw new UserError(
      `--gpus-per-trial ${perTrial} needs at least ${perTrial} ${plural}, ${source} gives ${gpus.length}`
    );
  }
}

function fileOf(root: string, gpu: string): string {
  return path.join(gpusDir(root), `${encodeURIComponent(gpu)}.json`);
}

function sameHolder(a: IGpuHolder, b: IGpuHolder): boolean {
  return a.runId === b.runId && a.pid === b.pid && a.host === b.host;
}

function parseReservation(text: string, gpu: string): IGpuReservation | null {
  try {
    const value = JSON.parse(text) as Partial<IGpuReservation> | null;
    if (
      value === null ||
      typeof value !== 'object' ||
      typeof value.runId !== 'string' ||
      typeof value.pid !== 'number' ||
      typeof value.host !== 'string'
    ) {
      return null;
    }
    return {
      gpu,
      runId: value.runId,
      pid: value.pid,
      pidStart: typeof value.pidStart === 'string' ? value.pidStart : null,
      host: value.host,
      since: typeof value.since === 'string' ? value.since : ''
    };
  } catch {
    return null;
  }
}

/** The reservation of `gpu`: absent, unreadable (`corrupt`), or its content. */
function readReservation(root: string, gpu: string): IGpuReservation | 'absent' | 'corrupt' {
  let text: string;
  try {
    text = fs.readFileSync(fileOf(root, gpu), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return 'absent';
    }
    throw err;
  }
  return parseReservation(text, gpu) ?? 'corrupt';
}

function isStale(reservation: IGpuReservation): boolean {
  if (reservation.host !== os.hostname()) {
    return false;
  }
  return !isProcessAlive(reservation.pid, reservation.pidStart);
}

/** Writes a reservation whole, failing with EEXIST if `gpu` is reserved. */
function writeReservation(root: string, gpu: string, holder: IGpuHolder): void {
  const target = fileOf(root, gpu);
  const temp = `${target}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  const reservation: IGpuReservation = {
    gpu,
    runId: holder.runId,
    pid: holder.pid,
    pidStart: holder.pidStart,
    host: holder.host,
    since: new Date().toISOString()
  };
  fs.writeFileSync(temp, `${JSON.stringify(reservation)}\n`);
  try {
    fs.linkSync(temp, target);
  } finally {
    fs.rmSync(temp, { force: true });
  }
}

function locked<T>(root: string, fn: () => T): T {
  const dir = gpusDir(root);
  fs.mkdirSync(dir, { recursive: true });
  return withFileLock(path.join(dir, '.lock'), fn);
}

/**
 * Reserves `count` GPUs of `candidates` (preferring them in the order given) for
 * `holder`, all or nothing, without waiting. Returns the reserved ids, or null when fewer
 * than `count` are free (then nothing is reserved). GPUs the same holder already has count
 * as its own. Stale reservations of candidates are reclaimed on the way.
 */
export function acquireGpus(
  root: string,
  candidates: readonly string[],
  count: number,
  holder: IGpuHolder
): string[] | null {
  if (count <= 0) {
    return [];
  }
  const unique = [...new Set(candidates)];
  return locked(root, () => {
    const own: string[] = [];
    const free: string[] = [];
    for (const gpu of unique) {
      const reservation = readReservation(root, gpu);
      if (reservation === 'absent') {
        free.push(gpu);
      } else if (reservation === 'corrupt' || isStale(reservation)) {
        fs.rmSync(fileOf(root, gpu), { force: true });
        free.push(gpu);
      } else if (sameHolder(reservation, holder)) {
        own.push(gpu);
      }
    }
    if (own.length + free.length < count) {
      return null;
    }
    const taken = free.slice(0, Math.max(0, count - own.length));
    for (const gpu of taken) {
      writeReservation(root, gpu, holder);
    }
    const chosen = new Set([...own.slice(0, count), ...taken]);
    return unique.filter(gpu => chosen.has(gpu));
  });
}

/**
 * Releases the reservations of `ids` that `holder` has; others' reservations are left
 * alone. Returns the ids released.
 */
export function releaseGpus(root: string, ids: readonly string[], holder: IGpuHolder): string[] {
  if (ids.length === 0) {
    return [];
  }
  return locked(root, () =>
    ids.filter(gpu => {
      const reservation = readReservation(root, gpu);
      if (typeof reservation === 'object' && sameHolder(reservation, holder)) {
        fs.rmSync(fileOf(root, gpu), { force: true });
        return true;
      }
      return false;
    })
  );
}

/**
 * Hands the reservations of `ids` held by `from` over to `to` (e.g. from the scheduler
 * to the detached process that runs the trial, so they outlive the scheduler). Returns the
 * ids handed over.
 */
export function transferGpus(
  root: string,
  ids: readonly string[],
  from: IGpuHolder,
  to: IGpuHolder
): string[] {
  return locked(root, () =>
    ids.filter(gpu => {
      const reservation = readReservation(root, gpu);
      if (typeof reservation !== 'object' || !sameHolder(reservation, from)) {
        return false;
      }
      fs.rmSync(fileOf(root, gpu), { force: true });
      writeReservation(root, gpu, to);
      return true;
    })
  );
}

/** The current reservations (for `nbx gpus`), each marked stale or not, by GPU id. */
export function listGpuReservations(root: string): (IGpuReservation & { stale: boolean })[] {
  let names: string[];
  try {
    names = fs.readdirSync(gpusDir(root));
  } catch {
    return [];
  }
  const out: (IGpuReservation & { stale: boolean })[] = [];
  for (const name of names.filter(n => n.endsWith('.json')).sort()) {
    const gpu = decodeURIComponent(name.slice(0, -'.json'.length));
    const reservation = readReservation(root, gpu);
    if (typeof reservation === 'object') {
      out.push({ ...reservation, stale: isStale(reservation) });
    }
  }
  return out;
}

/** Options of `waitForGpus`. */
export interface IWaitForGpusOptions {
  /** Stops waiting: the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** How often to retry when no change is seen, in ms (default 200). */
  pollMs?: number;
}

/** Resolves when a reservation in `dir` changes or `ms` pass; rejects when `signal` aborts. */
function nextChange(dir: string, ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    let watcher: fs.FSWatcher | null = null;
    const done = (err?: unknown): void => {
      clearTimeout(timer);
      watcher?.close();
      signal?.removeEventListener('abort', onAbort);
      if (err === undefined) {
        resolve();
      } else {
        reject(err);
      }
    };
    const onAbort = (): void => done(signal?.reason);
    const timer = setTimeout(() => done(), ms);
    try {
      // Only reservations coming and going matter, not the lock or temp files.
      watcher = fs.watch(dir, (_event, name) => {
        if (name === null || String(name).endsWith('.json')) {
          done();
        }
      });
      watcher.on('error', () => undefined);
    } catch {
      watcher = null; // no watching here: the timer alone
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Reserves `count` GPUs of `candidates` for `holder`, waiting until enough are free:
 * retries whenever the reservations directory changes, and at least every `pollMs`.
 * Rejects with the signal's reason when `signal` aborts, and at once with a `UserError`
 * when `count` is more than `candidates` (it could never succeed).
 */
export async function waitForGpus(
  root: string,
  candidates: readonly string[],
  count: number,
  holder: IGpuHolder,
  options: IWaitForGpusOptions = {}
): Promise<string[]> {
  if (count > candidates.length) {
    validateGpusPerTrial(count, candidates);
  }
  const pollMs = options.pollMs ?? 200;
  for (;;) {
    options.signal?.throwIfAborted();
    const got = acquireGpus(root, candidates, count, holder);
    if (got !== null) {
      return got;
    }
    await nextChange(gpusDir(root), pollMs, options.signal);
  }
}
