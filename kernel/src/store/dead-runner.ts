/**
 * Runs whose runner died without writing how they ended (SIGKILL, a machine that lost
 * power). The runner touches a heartbeat file while it runs; whoever next finds the run
 * with its runner gone records it as `terminated`, `error: runner died`, and `stopped` at
 * the last heartbeat, so its duration stops growing.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import type { RunMeta } from './meta';
import { isProcessAlive } from './process';
import type { RunDir } from './run-dir';

/** How often a runner touches its heartbeat file. */
export const HEARTBEAT_MS = 2000;

/** The heartbeat file of a run (in its engine-private directory). */
export function heartbeatPath(run: RunDir): string {
  return path.join(run.privateDir, 'alive');
}

/**
 * Touches the heartbeat file now and every `HEARTBEAT_MS` until `stop` is called. A
 * failing touch is ignored: the heartbeat only bounds what a dead runner's record says.
 */
export function startHeartbeat(run: RunDir): { stop(): void } {
  const file = heartbeatPath(run);
  const beat = (): void => {
    try {
      const now = new Date();
      fs.utimesSync(file, now, now);
    } catch {
      try {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.closeSync(fs.openSync(file, 'a'));
      } catch {
        // Full disk or read-only: the run goes on without a heartbeat.
      }
    }
  };
  beat();
  const timer = setInterval(beat, HEARTBEAT_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/** True when `meta` says running or queued on this host and its runner process is gone. */
export function runnerDied(meta: RunMeta, hostname: string = os.hostname()): boolean {
  const active = meta.status === 'running' || meta.status === 'queued';
  return (
    active &&
    meta.pid !== null &&
    meta.host === hostname &&
    !isProcessAlive(meta.pid, meta.pidStart)
  );
}

/** When the runner was last known alive: its last heartbeat, else its record's last write. */
function lastSignOfLife(run: RunDir, meta: RunMeta): string {
  for (const file of [heartbeatPath(run), run.metaPath]) {
    try {
      const at = fs.statSync(file).mtime;
      if (meta.started === null || at.toISOString() >= meta.started) {
        return at.toISOString();
      }
    } catch {
      // no heartbeat (a record from before heartbeats, or a runner that never started)
    }
  }
  return meta.started ?? meta.created;
}

/**
 * Records a run whose runner died as `terminated` with `error: runner died` and `stopped`
 * at its last sign of life, and returns the record; returns `meta` unchanged when the
 * runner is alive or the run is over. Never throws: a record that cannot be written
 * (read-only runs root, full disk) is returned with the status it reads as.
 */
export function settleDeadRunner(run: RunDir, meta: RunMeta): RunMeta {
  if (!runnerDied(meta)) {
    return meta;
  }
  try {
    return run.updateMeta(m =>
      runnerDied(m)
        ? {
            ...m,
            status: 'terminated',
            error: m.error ?? 'runner died',
            stopped: m.stopped ?? lastSignOfLife(run, m),
            progress: { ...m.progress, current: null }
          }
        : m
    );
  } catch {
    return { ...meta, status: 'terminated' };
  }
}
