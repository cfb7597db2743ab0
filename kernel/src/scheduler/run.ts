/**
 * One run from start to end: prepare its directory, start a fresh kernel in
 * it, execute the notebook, record everything, and shut down cleanly on
 * completion, failure or a stop signal.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawn } from 'child_process';
import { errorMessage, UserError } from '../errors';
import { readNotebook, writeNotebookAtomic } from '../notebook/io';
import type { INotebook } from '../notebook/nbformat';
import { getKernelSpec, PACKAGE_ROOT, type IKernelSpec } from '../protocol/kernelspec';
import { KernelManager } from '../protocol/manager';
import { NotebookExecutor, type IExecuteResult, type IProgress } from '../executor/execute';
import { resolveRunsRoot } from '../store/root';
import { createRun, RESERVED_RUN_FILES, RunDir } from '../store/run-dir';
import type { RunMeta } from '../store/meta';
import { processStartToken, isProcessAlive } from '../store/process';
import { effectiveStatus } from '../store/runs';

export interface IRunRequest {
  notebook: string;
  kernel?: string;
  /** CUDA_VISIBLE_DEVICES for the kernel: a list, '' for none, undefined to inherit. */
  gpus?: string;
  timeoutS?: number | null;
  allowErrors?: boolean;
  /** The command line that asked for the run, recorded as is. */
  command: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export interface IPreparedRun {
  run: RunDir;
  meta: RunMeta;
}

/**
 * Validates the request and writes the run directory (status `queued`), with
 * the snapshot notebook and links to the files beside the notebook. Nothing is
 * written when the notebook, kernel or options are bad.
 */
export function prepareRun(req: IRunRequest): IPreparedRun {
  const cwd = req.cwd ?? process.cwd();
  const env = req.env ?? process.env;
  const notebookPath = path.resolve(cwd, req.notebook);
  const nb = readNotebook(notebookPath);
  const spec = chooseKernel(nb, notebookPath, req.kernel, env);
  if (req.timeoutS !== undefined && req.timeoutS !== null && !(req.timeoutS > 0)) {
    throw new UserError(`invalid --timeout '${req.timeoutS}': give a number of seconds above 0`);
  }
  const root = resolveRunsRoot({ notebookPath, cwd, env });
  const run = createRun(root, {
    notebook: notebookPath,
    notebookName: path.basename(notebookPath),
    kernel: { name: spec.name, displayName: spec.displayName, language: spec.language },
    status: 'queued',
    gpus: req.gpus ?? null,
    command: req.command,
    host: os.hostname(),
    user: userName(),
    settings: { timeoutS: req.timeoutS ?? null, allowErrors: req.allowErrors ?? false }
  });
  writeNotebookAtomic(run.snapshotPath, nb);
  linkNotebookFiles(path.dirname(notebookPath), run.path, path.basename(notebookPath), root);
  return { run, meta: run.readMeta() };
}

/** The kernel named on the command line, else the notebook's own. */
function chooseKernel(
  nb: INotebook,
  notebookPath: string,
  requested: string | undefined,
  env: NodeJS.ProcessEnv
): IKernelSpec {
  const options = { env, cwd: path.dirname(notebookPath) };
  if (requested) {
    return getKernelSpec(requested, options);
  }
  const ks = nb.metadata.kernelspec;
  const name =
    ks && typeof ks === 'object' && !Array.isArray(ks) && typeof ks.name === 'string'
      ? ks.name
      : null;
  if (!name) {
    throw new UserError(
      `${path.basename(notebookPath)} names no kernel (metadata.kernelspec); choose one with --kernel`
    );
  }
  return getKernelSpec(name, options);
}

/**
 * Makes the files beside the notebook readable from the run directory by the
 * same relative paths, as symlinks (cheap for data sets; the snapshot rules of
 * source files belong to tracking). The runs root itself, VCS folders and the
 * names the run directory reserves are skipped.
 */
function linkNotebookFiles(dir: string, runPath: string, notebookName: string, root: string): void {
  const skip = new Set([...RESERVED_RUN_FILES, notebookName, '.git', '.nbx']);
  for (const name of fs.readdirSync(dir)) {
    const source = path.join(dir, name);
    if (skip.has(name) || path.resolve(source) === path.resolve(root)) {
      continue;
    }
    try {
      fs.symlinkSync(source, path.join(runPath, name));
    } catch {
      // A name the run already has: the run's own file wins.
    }
  }
}

export interface IExecuteRunOptions {
  /** Streams as they arrive (the foreground CLI echoes them). */
  onStream?: (name: 'stdout' | 'stderr', text: string) => void;
  onProgress?: (progress: IProgress) => void;
  /** Called once the kernel is up. */
  onKernelReady?: (kernel: KernelManager) => void;
  env?: NodeJS.ProcessEnv;
}

/**
 * Executes a prepared run in this process: the runner. Installs handlers so
 * SIGTERM, SIGINT and SIGHUP stop the run cleanly (status `terminated`).
 * Resolves with the final meta; never throws for a failing notebook.
 */
export async function executeRun(run: RunDir, options: IExecuteRunOptions = {}): Promise<RunMeta> {
  const started = new Date().toISOString();
  let meta = run.updateMeta(m => ({
    ...m,
    status: 'running',
    pid: process.pid,
    pidStart: processStartToken(process.pid),
    started,
    error: null
  }));
  const settings = meta.settings ?? { timeoutS: null, allowErrors: false };
  const log = fs.openSync(run.logPath, 'a');
  const kernelLog = fs.openSync(run.kernelLogPath, 'a');
  let executor: NotebookExecutor | null = null;
  let stopReason: string | null = null;
  const onSignal = (signal: NodeJS.Signals): void => {
    stopReason = `stopped by ${signal}`;
    executor?.stop(stopReason);
  };
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];
  for (const s of signals) {
    process.on(s, onSignal);
  }
  let result: IExecuteResult;
  let kernel: KernelManager | null = null;
  try {
    const nb = readNotebook(run.snapshotPath);
    const spec = getKernelSpec(meta.kernel?.name ?? '', {
      env: options.env ?? process.env,
      cwd: path.dirname(meta.notebook)
    });
    kernel = await KernelManager.start({
      spec,
      cwd: run.path,
      env: kernelEnv(run, meta, options.env ?? process.env),
      output: kernelLog
    });
    meta = run.updateMeta(m => ({ ...m, kernelPid: kernel?.process.pid ?? null }));
    options.onKernelReady?.(kernel);
    const progressWriter = throttle((p: IProgress) => {
      run.updateMeta(m => ({
        ...m,
        progress: { cells: p.total, done: p.done, current: p.current }
      }));
    }, 500);
    executor = new NotebookExecutor(kernel, nb, {
      timeoutMs: settings.timeoutS ? settings.timeoutS * 1000 : null,
      allowErrors: settings.allowErrors,
      save: n => writeNotebookAtomic(run.executedPath, n),
      onStream: (name, text) => {
        fs.writeSync(log, text);
        options.onStream?.(name, text);
      },
      onProgress: p => {
        progressWriter.call(p);
        options.onProgress?.(p);
      }
    });
    if (stopReason !== null) {
      executor.stop(stopReason);
    }
    result = await executor.run();
    progressWriter.flush();
  } catch (err) {
    result = {
      status: stopReason !== null ? 'terminated' : 'error',
      error: stopReason ?? errorMessage(err),
      cellIndex: null
    };
  } finally {
    await kernel?.shutdown();
    fs.closeSync(log);
    fs.closeSync(kernelLog);
    for (const s of signals) {
      process.off(s, onSignal);
    }
  }
  return run.updateMeta(m => ({
    ...m,
    status: result.status,
    error: result.error,
    stopped: new Date().toISOString(),
    exitCode: result.status === 'completed' ? 0 : 1
  }));
}

/** The kernel's environment: ours, the run's identity, and the GPUs chosen. */
function kernelEnv(run: RunDir, meta: RunMeta, base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...base,
    NBX_RUN_ID: run.id,
    NBX_RUN_DIR: run.path,
    NBX_HOME: run.root
  };
  if (meta.gpus !== null) {
    env.CUDA_VISIBLE_DEVICES = meta.gpus;
  }
  return env;
}

/**
 * Starts the runner for a prepared run as a detached process that outlives
 * the terminal: a new session, no terminal on its standard streams.
 */
export function spawnDetachedRunner(run: RunDir): number {
  const out = fs.openSync(run.kernelLogPath, 'a');
  const child = spawn(
    process.execPath,
    [path.join(PACKAGE_ROOT, 'kernel', 'bin', 'nbx.js'), '_runner', run.path],
    { detached: true, stdio: ['ignore', out, out], cwd: run.path }
  );
  fs.closeSync(out);
  child.unref();
  return child.pid ?? -1;
}

/**
 * Stops a run: SIGTERM to its runner (which interrupts the cell, shuts the
 * kernel down and records `terminated`); if the runner has not finished
 * within `graceMs`, it and its kernel are killed and the status written here.
 */
export async function stopRun(run: RunDir, graceMs = 10_000): Promise<RunMeta> {
  const meta = run.readMeta();
  const status = effectiveStatus(meta);
  if (status !== 'running' && status !== 'queued') {
    throw new UserError(`run ${meta.id.slice(0, 8)} is not running (status: ${status})`, 1);
  }
  const runnerAlive = (): boolean => meta.pid !== null && isProcessAlive(meta.pid, meta.pidStart);
  if (meta.pid !== null && runnerAlive()) {
    process.kill(meta.pid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (runnerAlive() && Date.now() < deadline) {
      await new Promise(resolve => setTimeout(resolve, 100));
    }
    if (runnerAlive()) {
      process.kill(meta.pid, 'SIGKILL');
    }
  }
  if (meta.kernelPid !== null) {
    try {
      process.kill(-meta.kernelPid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  return run.updateMeta(m =>
    m.status === 'running' || m.status === 'queued'
      ? {
          ...m,
          status: 'terminated',
          error: m.error ?? 'stopped by nbx stop',
          stopped: m.stopped ?? new Date().toISOString()
        }
      : m
  );
}

function userName(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
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
