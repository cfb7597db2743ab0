/**
 * The runner: executes one prepared run in this process — a fresh kernel in
 * the run directory, the notebook cell by cell, the output scanned for
 * scalars, system metrics sampled — and records how it ended. SIGTERM,
 * SIGINT and SIGHUP stop the run cleanly (status `terminated`), and so does a
 * stop request (see stop-requests.ts), which stops this run alone when several
 * share the process.
 */
import * as fs from 'fs';
import * as path from 'path';
import { stripVTControlCharacters } from 'util';
import { diskFullOr, errorMessage, isDiskFull } from '../base/errors';
import { NotebookExecutor, type IExecuteResult, type IProgress } from '../executor/execute';
import { NotebookPersister } from '../executor/persist';
import { readNotebook } from '../notebook/io';
import type { INotebook } from '../notebook/nbformat';
import type { KernelManager } from '../protocol/manager';
import type { WarmKernels } from '../protocol/warm-pool';
import type { RunMeta } from '../store/meta';
import { startHeartbeat } from '../store/dead-runner';
import { processStartToken } from '../store/process';
import type { RunDir } from '../store/run-dir';
import { parseOutputScalarsConfig } from '../tracking/output-scan';
import { scalarsDir, ScalarLogWriter } from '../tracking/scalars-format';
import { RunScalars } from '../tracking/scalars-run';
import { SystemSampler } from '../tracking/system';
import { reserveRunGpus } from './run-gpus';
import { launchRunKernel, takeWarmKernel } from './run-kernel';
import { registerStoppable } from './stop-requests';

export interface IExecuteRunOptions {
  /** Streams as they arrive (the foreground CLI echoes them). */
  onStream?: (name: 'stdout' | 'stderr', text: string) => void;
  /** A cell's error traceback, ANSI colours kept, as it arrives (see `IExecuteOptions`). */
  onError?: (traceback: string) => void;
  onProgress?: (progress: IProgress) => void;
  env?: NodeJS.ProcessEnv;
  /** A kernel already launched for this run (see `launchRunKernel`). */
  kernel?: Promise<KernelManager>;
  /** Warm kernels: the run takes the one started for it, if equivalent (`prestartRunKernel`). */
  warm?: WarmKernels;
  /** A standby runner's kernel, started ahead for this run and checked equivalent (null: cold). */
  standby?: Promise<KernelManager | null>;
  /** System metrics interval; 0 turns sampling off. Default 2 s. */
  sampleMs?: number;
  /** Called once the record says `running` (before the kernel is up). */
  onStart?: (meta: RunMeta) => void;
  /**
   * The run's GPUs are reserved already (a trial of a batch: its queue reserved them).
   * Otherwise the GPUs its record names are reserved here first (see run-gpus.ts).
   */
  gpusReserved?: boolean;
  /** Told, in one line, when the run waits for GPUs another run has. */
  onGpuWait?: (line: string) => void;
}

/**
 * Executes a prepared run once its GPUs are reserved; resolves with the final record,
 * never throws for a failing notebook.
 */
export async function executeRun(run: RunDir, options: IExecuteRunOptions = {}): Promise<RunMeta> {
  const env = options.env ?? process.env;
  if (options.gpusReserved) {
    return executeReserved(run, options, env);
  }
  const gpus = await reserveRunGpus(run, env, options.onGpuWait);
  if ('ended' in gpus) {
    await options.kernel?.then(
      k => k.kill(),
      () => undefined
    );
    await options.standby?.then(k => k?.kill());
    return gpus.ended;
  }
  try {
    return await executeReserved(run, options, env);
  } finally {
    gpus.reserved.release();
  }
}

async function executeReserved(
  run: RunDir,
  options: IExecuteRunOptions,
  env: NodeJS.ProcessEnv
): Promise<RunMeta> {
  let meta = run.updateMeta(m => ({
    ...m,
    status: 'running',
    pid: process.pid,
    pidStart: processStartToken(process.pid),
    started: new Date().toISOString(),
    stopped: null,
    exitCode: null,
    kernelPid: null,
    kernelWarm: undefined,
    progress: { cells: 0, done: 0, current: null },
    error: null,
    traceback: undefined
  }));
  options.onStart?.(meta);
  const heartbeat = startHeartbeat(run);
  const settings = meta.settings ?? { timeoutS: null, allowErrors: false };
  let log: number | null = null;
  let executor: NotebookExecutor | null = null;
  let stopReason: string | null = null;
  const unregister = registerStoppable(run, reason => {
    stopReason ??= reason;
    executor?.stop(stopReason);
  });
  // A write that fails on a full disk ends the run as `error: disk full: <path>` (the
  // kernel is shut down as for a stop) instead of killing the runner from a timer.
  let diskFull: string | null = null;
  const guard = (file: string, write: () => void): void => {
    try {
      write();
    } catch (err) {
      if (!isDiskFull(err)) {
        throw err;
      }
      if (diskFull === null) {
        diskFull = errorMessage(diskFullOr(err, file));
        executor?.stop(diskFull);
      }
    }
  };
  const writeLog = (text: string): void => {
    if (log !== null) {
      const fd = log;
      guard(run.logPath, () => fs.writeSync(fd, text));
    }
  };
  const warn = (message: string): void => writeLog(`nbx: warning: ${message}\n`);
  let scalars: RunScalars | null = null;
  let sampler: { stop(): Promise<void> } | null = null;
  let kernel: KernelManager | null = null;
  let persister: NotebookPersister | null = null;
  let result: IExecuteResult;
  try {
    log = fs.openSync(run.logPath, 'a');
    const nb = readNotebook(run.snapshotPath);
    scalars = new RunScalars(run.path, {
      config: parseOutputScalarsConfig(nb.metadata),
      flags: [...Object.keys(meta.flagDefaults), ...Object.keys(meta.flags)],
      onWarning: warn
    });
    scalars.start(update => {
      guard(run.metaPath, () =>
        run.updateMeta(m => ({
          ...m,
          scalars: update.scalars,
          attrs: { ...m.attrs, ...update.attrs }
        }))
      );
    });
    const warm = options.kernel
      ? null
      : ((await options.standby) ?? (await takeWarmKernel(run, env, options.warm)));
    kernel = warm ?? (await (options.kernel ?? launchRunKernel(run, env)));
    const info = kernel.info.language_info as { name?: string; version?: string } | undefined;
    meta = run.updateMeta(m => ({
      ...m,
      kernelPid: kernel?.process.pid ?? null,
      kernelWarm: warm !== null,
      runtime: {
        node: process.versions.node,
        language: info?.name ?? null,
        languageVersion: info?.version ?? null
      }
    }));
    sampler = startSampler(run, meta, kernel, env, sampleInterval(nb, options, env), warn);
    const progressWriter = throttle((p: IProgress) => {
      guard(run.metaPath, () =>
        run.updateMeta(m => ({
          ...m,
          progress: { cells: p.total, done: p.done, current: p.current }
        }))
      );
    }, 500);
    fs.mkdirSync(run.privateDir, { recursive: true });
    persister = new NotebookPersister(nb, {
      path: run.executedPath,
      journalPath: run.executedJournalPath,
      onError: err =>
        isDiskFull(err)
          ? guard(run.executedPath, () => {
              throw err;
            })
          : warn(`could not save the executed notebook: ${err.message}`)
    });
    executor = new NotebookExecutor(kernel, nb, {
      timeoutMs: settings.timeoutS ? settings.timeoutS * 1000 : null,
      allowErrors: settings.allowErrors,
      save: () => persister?.save(),
      onChange: (cell, change) => persister?.change(cell, change),
      onStream: (name, text) => {
        writeLog(text);
        scalars?.write(name, text);
        options.onStream?.(name, text);
      },
      onError: traceback => {
        writeLog(`${stripVTControlCharacters(traceback)}\n`);
        options.onError?.(traceback);
      },
      onProgress: p => {
        progressWriter.call(p);
        options.onProgress?.(p);
      }
    });
    const reason = stopReason ?? diskFull;
    if (reason !== null) {
      executor.stop(reason);
    }
    result = await executor.run();
    progressWriter.flush();
  } catch (err) {
    result = {
      status: stopReason !== null ? 'terminated' : 'error',
      error: stopReason ?? errorMessage(err),
      cellIndex: null,
      traceback: null
    };
  } finally {
    await sampler?.stop();
    await kernel?.shutdown();
    if (log !== null) {
      fs.closeSync(log);
      log = null;
    }
    unregister();
    heartbeat.stop();
  }
  try {
    // After the kernel's shutdown: a stopped run stops at once, however large its notebook.
    await persister?.close();
  } catch (err) {
    if (isDiskFull(err)) {
      diskFull ??= errorMessage(diskFullOr(err, run.executedPath));
    } else if (result.status === 'completed') {
      const error = `could not write the executed notebook: ${errorMessage(err)}`;
      result = { status: 'error', error, cellIndex: null, traceback: null };
    }
  }
  const final = scalars?.close();
  if (diskFull !== null && stopReason === null) {
    result = { status: 'error', error: diskFull, cellIndex: result.cellIndex, traceback: null };
  }
  const end = (m: RunMeta): RunMeta => ({
    ...m,
    ...(final ? { scalars: final.scalars, attrs: { ...m.attrs, ...final.attrs } } : {}),
    status: result.status,
    error: result.error,
    traceback: result.traceback ?? undefined,
    stopped: new Date().toISOString(),
    exitCode: result.status === 'completed' ? 0 : 1
  });
  try {
    return run.updateMeta(end);
  } catch (err) {
    if (!isDiskFull(err)) {
      throw err;
    }
    // The record cannot be written either: it reads as terminated once this runner exits.
    return end(meta);
  }
}

/**
 * How often system metrics are sampled: `metadata.nbx.system_interval` of the notebook
 * (seconds; 0 or false turns sampling off), else `NBX_SYS_INTERVAL`, else 2 s.
 */
function sampleInterval(
  nb: INotebook,
  options: IExecuteRunOptions,
  env: NodeJS.ProcessEnv
): number {
  const settings = nb.metadata.nbx;
  const value =
    settings && typeof settings === 'object' && !Array.isArray(settings)
      ? settings.system_interval
      : undefined;
  if (value === false) {
    return 0;
  }
  if (typeof value === 'number' && value >= 0) {
    return value * 1000;
  }
  const fromEnv = Number(env.NBX_SYS_INTERVAL);
  if (env.NBX_SYS_INTERVAL !== undefined && Number.isFinite(fromEnv) && fromEnv >= 0) {
    return fromEnv * 1000;
  }
  return options.sampleMs ?? 2000;
}

/** Samples the kernel's CPU, memory and GPUs into the run's `scalars/system` log. */
function startSampler(
  run: RunDir,
  meta: RunMeta,
  kernel: KernelManager,
  env: NodeJS.ProcessEnv,
  intervalMs: number,
  warn: (message: string) => void
): { stop(): Promise<void> } | null {
  if (intervalMs <= 0) {
    return null;
  }
  const writer = new ScalarLogWriter(path.join(scalarsDir(run.path), 'system.nbxs'), {
    onError: err => warn(`could not write system metrics: ${err.message}`)
  });
  let step = 0;
  const sampler = new SystemSampler({
    kernelPid: kernel.process.pid,
    gpus: meta.gpus ?? env.CUDA_VISIBLE_DEVICES ?? null,
    intervalMs,
    env,
    onSample: points => {
      for (const p of points) {
        writer.point(p.key, step, p.time, p.value);
      }
      step++;
      writer.flush();
    }
  }).start();
  return {
    async stop() {
      await sampler.stop();
      writer.close();
    }
  };
}

/** Calls `fn` at most every `ms`, keeping the latest argument; `flush` sends it now. */
function throttle<T>(fn: (arg: T) => void, ms: number): { call(arg: T): void; flush(): void } {
  let last = 0;
  let pending: { arg: T } | null = null;
  let timer: NodeJS.Timeout | undefined;
  const flush = (): void => {
    clearTimeout(timer);
    timer = undefined;
    if (pending) {
      const { arg } = pending;
      pending = null;
      last = Date.now();
      fn(arg);
    }
  };
  return {
    call(arg: T) {
      pending = { arg };
      const wait = ms - (Date.now() - last);
      if (wait <= 0) {
        flush();
      } else if (!timer) {
        timer = setTimeout(flush, wait);
        timer.unref();
      }
    },
    flush
  };
}
