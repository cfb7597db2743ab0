/**
 * The set of runs under a runs root: listing, effective status, resolving a RUN
 * reference given by a person, removal.
 */

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { UserError } from '../base/errors';
import { isDirectory } from '../base/paths';
import { CorruptMetaError, type RunMeta, type RunStatus } from './meta';
import { parseMeta } from './meta-schema';
import { runnerDied, settleDeadRunner } from './dead-runner';
import { isStandbyReserved, isValidRunId, RUN_FILES, RunDir } from './run-dir';
import { runsDir } from './root';
import { seriesCacheDir } from './run-cache';

/**
 * The status a person should see. A `running` or `queued` run whose runner process
 * (`pid`, checked with its start token) is gone reads as `terminated`. Only runs recorded
 * on this host are checked; a run on another host (shared filesystem) is trusted as
 * recorded, and so is one without a pid.
 */
export function effectiveStatus(meta: RunMeta, hostname: string = os.hostname()): RunStatus {
  return runnerDied(meta, hostname) ? 'terminated' : meta.status;
}

/** `meta` with its effective status (the same object when nothing changes). */
export function withEffectiveStatus(meta: RunMeta, hostname: string = os.hostname()): RunMeta {
  const status = effectiveStatus(meta, hostname);
  return status === meta.status ? meta : { ...meta, status };
}

/** Options of `listRuns`. */
export interface IListRunsOptions {
  /** Called with one line for each run directory skipped (missing or corrupt meta.json). */
  onWarning?: (message: string) => void;
}

/** Names of the run directories under `root` (entries that may hold a run), unsorted. */
export function listRunIds(root: string): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(runsDir(root), { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      return [];
    }
    throw err;
  }
  return entries.filter(e => e.isDirectory() && isValidRunId(e.name)).map(e => e.name);
}

/** Latest first: by `created` descending, then id descending. */
function compareLatestFirst(a: RunMeta, b: RunMeta): number {
  if (a.created !== b.created) {
    return a.created < b.created ? 1 : -1;
  }
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/**
 * Every run under `root`, latest first (by `created`, then id), with effective statuses.
 * A run directory whose `meta.json` is missing or corrupt is skipped with one warning
 * line through `onWarning`; this never throws for a bad run and returns [] when there is
 * no runs directory yet. The id of each record is its directory name.
 */
export function listRuns(root: string, options: IListRunsOptions = {}): RunMeta[] {
  const hostname = os.hostname();
  const dir = runsDir(root);
  const metas: RunMeta[] = [];
  for (const id of listRunIds(root)) {
    const runPath = path.join(dir, id);
    const metaPath = path.join(runPath, RUN_FILES.meta);
    let text: string;
    try {
      text = fs.readFileSync(metaPath, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && isStandbyReserved(runPath)) {
        continue;
      }
      const why = code === 'ENOENT' ? 'no meta.json' : `cannot read meta.json (${code ?? 'error'})`;
      options.onWarning?.(`skipping run ${runPath}: ${why}`);
      continue;
    }
    let meta: RunMeta;
    try {
      meta = parseMeta(text, metaPath);
    } catch (err) {
      const why = err instanceof CorruptMetaError ? err.reason : String(err);
      options.onWarning?.(`skipping run ${runPath}: ${why}`);
      continue;
    }
    if (meta.id !== id) {
      meta.id = id;
    }
    metas.push(
      runnerDied(meta, hostname)
        ? settleDeadRunner(new RunDir(root, id), meta)
        : withEffectiveStatus(meta, hostname)
    );
  }
  return metas.sort(compareLatestFirst);
}

/** Short form of an id for messages. */
function shortId(id: string, length = 8): string {
  return id.slice(0, length);
}

/**
 * Resolves a RUN reference as a person types it:
 * - a full run id;
 * - a unique prefix of an id (at least 1 character, case-insensitive);
 * - a 1-based index into the latest-first list (`1` is the newest run). A reference made
 *   only of digits is an index when it is between 1 and the number of runs; otherwise it
 *   is taken as an id prefix.
 *
 * Throws a one-line UserError when there are no runs, nothing matches, or a prefix is
 * ambiguous. The run's meta.json is not read for ids and prefixes, so a run with a
 * corrupt record can still be resolved (e.g. to remove it).
 */
/** A run reference that matches no run (none with that id or prefix, or no runs at all). */
export class RunNotFoundError extends UserError {}

export function resolveRunRef(root: string, ref: string): RunDir {
  const wanted = ref.trim();
  if (wanted === '') {
    throw new UserError('empty run reference — give a run id, id prefix or index (see nbx runs)');
  }
  // A full id names its directory: no need to list every run (a readdir of thousands).
  if (isValidRunId(wanted) && isDirectory(path.join(runsDir(root), wanted))) {
    return new RunDir(root, wanted);
  }
  const ids = listRunIds(root);
  if (ids.length === 0) {
    throw new RunNotFoundError(`no runs yet in ${root}`);
  }
  if (/^\d+$/.test(wanted)) {
    const index = Number(wanted);
    const runs = index >= 1 && index <= ids.length ? listRuns(root) : [];
    if (index >= 1 && index <= runs.length) {
      return new RunDir(root, runs[index - 1].id);
    }
  }
  const prefix = wanted.toLowerCase();
  const matches = ids.filter(id => id.toLowerCase().startsWith(prefix)).sort();
  if (matches.length === 1) {
    return new RunDir(root, matches[0]);
  }
  if (matches.length === 0) {
    throw new RunNotFoundError(`no run matches '${ref}' (see nbx runs)`);
  }
  const length = Math.max(8, prefix.length + 1);
  const shown = matches.slice(0, 5).map(id => shortId(id, length));
  const more = matches.length > 5 ? `, … (${matches.length - 5} more)` : '';
  throw new UserError(
    `'${ref}' is ambiguous: matches ${shown.join(', ')}${more} — give more characters`
  );
}

/** Options of `removeRun`. */
export interface IRemoveRunOptions {
  /** Remove even a run that is still running or queued. */
  force?: boolean;
}

/**
 * Deletes the run directory of run `id` under `root`. Refuses (UserError) to remove a run
 * that is effectively `running` or `queued` (its process is alive) unless `force`. A run
 * with a missing or corrupt meta.json can always be removed. The directory is first
 * renamed out of the listing, so an interrupted removal never leaves a half-deleted run.
 * The run's caches go too.
 */
export function removeRun(root: string, id: string, options: IRemoveRunOptions = {}): void {
  const dir = new RunDir(root, id);
  if (!dir.exists()) {
    throw new UserError(`no run ${id} in ${root} (see nbx runs)`);
  }
  if (!options.force) {
    let meta: RunMeta | null = null;
    try {
      meta = dir.readMeta();
    } catch {
      // A broken record does not protect the run.
    }
    const status = meta === null ? null : effectiveStatus(meta);
    if (status === 'running' || status === 'queued') {
      throw new UserError(
        `run ${shortId(id)} is ${status} — stop it first with 'nbx stop ${shortId(id)}' ` +
          '(or remove it anyway with --force)'
      );
    }
  }
  // Dot-names are not valid run ids, so listings skip the directory from here on.
  const trash = path.join(runsDir(root), `.removing-${id}-${process.pid}-${Date.now()}`);
  fs.renameSync(dir.path, trash);
  fs.rmSync(trash, { recursive: true, force: true });
  fs.rmSync(seriesCacheDir(root, id), { recursive: true, force: true });
}
