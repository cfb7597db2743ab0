/**
 * Attempts: a restarted run executes again in its own directory, and what the previous
 * execution recorded — its console output, scalars, system metrics, executed notebook,
 * kernel log and the snapshot it ran — moves to `attempts/<n>/`, with a summary in
 * `meta.json`. The next execution starts with a log and scalars of its own; the files
 * the notebook wrote stay where they are (a notebook may resume from a checkpoint).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import type { IRunAttempt, RunMeta } from './meta';
import { RUN_FILES, type RunDir } from './run-dir';
import { effectiveStatus } from './runs';

/** The files an execution records, moved into its attempt's directory. */
const MOVED: readonly string[] = [
  RUN_FILES.log,
  RUN_FILES.kernelLog,
  RUN_FILES.executed,
  RUN_FILES.scalars,
  RUN_FILES.metrics
];

/** `attempts/<n>` of a run. */
export function attemptDir(run: RunDir, attempt: number): string {
  return path.join(run.file(RUN_FILES.attempts), String(attempt));
}

/** The summary of the execution `meta` records, as attempt number `attempt`. */
function summary(meta: RunMeta, attempt: number): IRunAttempt {
  return {
    attempt,
    started: meta.started,
    stopped: meta.stopped,
    status: effectiveStatus(meta),
    error: meta.error,
    exitCode: meta.exitCode,
    flags: meta.flags,
    gpus: meta.gpus,
    scalars: meta.scalars,
    attrs: meta.attrs,
    ...(meta.traceback !== undefined ? { traceback: meta.traceback } : {})
  };
}

/**
 * Moves the files of the execution `meta` records into `attempts/<n>/` (n counts from 1)
 * and returns the fields of a record ready for the next execution: the attempt added to
 * `attempts`, scalars, attributes and traceback cleared. A run that never started has
 * nothing to keep: `meta` comes back unchanged. Call it with the run stopped.
 */
export function archiveAttempt(run: RunDir, meta: RunMeta): RunMeta {
  if (meta.started === null) {
    return meta;
  }
  const attempts = meta.attempts ?? [];
  const number = attempts.length + 1;
  const dir = attemptDir(run, number);
  fs.mkdirSync(dir, { recursive: true });
  for (const name of MOVED) {
    try {
      fs.renameSync(run.file(name), path.join(dir, name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw err;
      }
    }
  }
  fs.copyFileSync(run.snapshotPath, path.join(dir, RUN_FILES.snapshot));
  const next: RunMeta = {
    ...meta,
    attempts: [...attempts, summary(meta, number)],
    scalars: {},
    attrs: {}
  };
  delete next.traceback;
  return next;
}
