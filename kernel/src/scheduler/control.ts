/**
 * Controlling runs from outside their runner: start one detached, stop one.
 */
import * as fs from 'fs';
import * as path from 'path';
import { spawn } from 'child_process';
import { UserError } from '../errors';
import { PACKAGE_ROOT } from '../protocol/kernelspec';
import type { RunMeta } from '../store/meta';
import { isProcessAlive } from '../store/process';
import type { RunDir } from '../store/run-dir';
import { effectiveStatus } from '../store/runs';

/**
 * Starts the runner for a prepared run as a detached process that outlives
 * the terminal: a new session, no terminal on its standard streams (they go
 * to the run's kernel.log). Throws if the process could not be created.
 */
export function spawnDetachedRunner(run: RunDir): number {
  const out = fs.openSync(run.kernelLogPath, 'a');
  try {
    const child = spawn(
      process.execPath,
      [path.join(PACKAGE_ROOT, 'kernel', 'bin', 'nbx.js'), '_runner', run.path],
      { detached: true, stdio: ['ignore', out, out], cwd: run.path }
    );
    child.on('error', err => {
      run.updateMeta(m => ({ ...m, status: 'error', error: `could not start: ${err.message}` }));
    });
    child.unref();
    if (child.pid === undefined) {
      throw new Error(`could not start the runner for ${run.id}`);
    }
    return child.pid;
  } finally {
    fs.closeSync(out);
  }
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
