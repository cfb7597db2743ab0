/**
 * A run's kernel: what it starts with (kernelspec, the run directory, its environment), and
 * starting it — now, ahead in a warm pool, or taken from there.
 */
import * as fs from 'fs';
import * as path from 'path';
import { NBX_COMMAND } from '../base/paths';
import { getKernelSpec } from '../protocol/kernelspec';
import { KernelManager } from '../protocol/manager';
import { warmKey, type IWarmKeyParts, type WarmKernels } from '../protocol/warm-pool';
import type { RunDir } from '../store/run-dir';

/** Holds the `nbx` command, put first on the PATH of runs' kernels. */
const NBX_BIN_PATH = path.dirname(NBX_COMMAND);

/** What fixes a run's kernel besides its directory: its record's kernel, notebook and GPUs. */
export interface IRunKernelTarget {
  /** The kernelspec name. */
  kernel: string;
  /** The notebook's path (kernelspecs are looked up from its directory). */
  notebook: string;
  gpus: string | null;
}

/**
 * What the kernel of `run` starts with when its record says `target` (the run directory
 * need not hold a record yet: a standby kernel's does not).
 */
export function kernelParts(
  run: RunDir,
  target: IRunKernelTarget,
  env: NodeJS.ProcessEnv
): IWarmKeyParts {
  const spec = getKernelSpec(target.kernel, { env, cwd: path.dirname(target.notebook) });
  return { spec, cwd: run.path, env: kernelEnv(run, target.gpus, env) };
}

/** What the kernel of a run starts with, as its record says now. */
export function runKernelParts(run: RunDir, env: NodeJS.ProcessEnv): IWarmKeyParts {
  const meta = run.readMeta();
  return kernelParts(
    run,
    { kernel: meta.kernel?.name ?? '', notebook: meta.notebook, gpus: meta.gpus },
    env
  );
}

/**
 * Launches the kernel of a run (spawned at once, ready later), so a caller
 * can overlap the kernel's start with other preparation.
 */
export function launchRunKernel(run: RunDir, env: NodeJS.ProcessEnv): Promise<KernelManager> {
  return startRunKernel(run, runKernelParts(run, env));
}

/** Starts a kernel with `parts`, its output going to `run`'s kernel.log. */
export function startRunKernel(run: RunDir, parts: IWarmKeyParts): Promise<KernelManager> {
  // Readable too: a kernel that lost a port says so there (see KernelManager.start).
  const log = fs.openSync(run.kernelLogPath, 'a+');
  const started = KernelManager.start({ ...parts, output: log });
  // The kernel holds its own copy of the descriptor.
  void started.then(
    () => fs.closeSync(log),
    () => fs.closeSync(log)
  );
  return started;
}

/**
 * Starts the kernel of a prepared run ahead, warm in `pool`, for `executeRun` with the same
 * pool to take: it is taken only if the run's kernel would start with the same kernelspec,
 * directory and environment then (see warm-pool.ts); a run that cannot start gets none.
 */
export function prestartRunKernel(run: RunDir, env: NodeJS.ProcessEnv, pool: WarmKernels): void {
  let parts: IWarmKeyParts;
  try {
    parts = runKernelParts(run, env);
  } catch {
    return;
  }
  pool.prestart(warmKey(parts), () => startRunKernel(run, parts));
}

/** The warm kernel `pool` holds for `run` as it would start now, or null. */
export async function takeWarmKernel(
  run: RunDir,
  env: NodeJS.ProcessEnv,
  pool: WarmKernels | undefined
): Promise<KernelManager | null> {
  if (pool === undefined) {
    return null;
  }
  try {
    return await pool.take(warmKey(runKernelParts(run, env)));
  } catch {
    return null;
  }
}

/** The kernel's environment: ours, the run's identity, and the GPUs chosen. */
function kernelEnv(run: RunDir, gpus: string | null, base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...base,
    NBX_RUN_ID: run.id,
    NBX_RUN_DIR: run.path,
    NBX_HOME: run.root,
    // `!nbx ...` in a Python notebook, and the node `nbx` itself runs on.
    PATH: [NBX_BIN_PATH, base.PATH].filter(Boolean).join(path.delimiter),
    NBX_NODE: process.execPath
  };
  if (gpus !== null) {
    env.CUDA_VISIBLE_DEVICES = gpus;
  }
  return env;
}
