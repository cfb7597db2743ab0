/**
 * Service methods that change runs: label, tags, stop, delete.
 */
import * as fs from 'fs';
import { UserError } from '../base/errors';
import { stopRun } from '../scheduler/control';
import type { RunMeta, RunStatus } from '../store/meta';
import { isValidRunId, RunDir } from '../store/run-dir';
import { removeRun, resolveRunRef, withEffectiveStatus } from '../store/runs';
import { applyTagChanges } from '../store/tags';
import type { IMethodReply, IServiceContext, RequestOf } from './protocol';
import { oneLine } from './protocol';
import { readMetaOf, runOf } from './methods-read';
import {
  optionalBoolean,
  optionalNumber,
  optionalStringList,
  ParamError,
  requireStringList
} from './params';

/** The outcome for one run of a method acting on several. */
export interface IRunOutcome {
  id: string;
  ok: boolean;
  /** The run's status afterwards (stopRuns). */
  status?: RunStatus;
  /** Why it failed, one line. */
  error?: string;
}

/** `setLabel({ id, text, root? })`: sets the label (empty or null clears it); the new record. */
export function setLabelMethod(
  params: RequestOf<'setLabel'>,
  context: IServiceContext
): IMethodReply<'setLabel'> {
  const text = params.text;
  if (text !== null && typeof text !== 'string') {
    throw new ParamError("parameter 'text' must be a string or null");
  }
  const run = runOf(params, context);
  const label = text === null ? null : text.trim() || null;
  return { json: withEffectiveStatus(run.updateMeta(m => ({ ...m, label }))) };
}

/**
 * `setTags({ id, changes?: ['+a', '-b', 'c'], tags?: string[], root? })`: applies tag
 * changes (`+tag` or a bare tag adds, `-tag` removes) or replaces the whole list with
 * `tags`; the new record.
 */
export function setTagsMethod(
  params: RequestOf<'setTags'>,
  context: IServiceContext
): IMethodReply<'setTags'> {
  const changes = optionalStringList(params, 'changes');
  const tags = optionalStringList(params, 'tags');
  if ((changes === undefined) === (tags === undefined)) {
    throw new ParamError("give either 'changes' (['+tag', '-tag']) or 'tags' (the new list)");
  }
  const replacement = tags === undefined ? undefined : applyTagChanges([], tags);
  const run = runOf(params, context);
  const meta = run.updateMeta(m => ({
    ...m,
    tags: replacement ?? applyTagChanges(m.tags, changes ?? [])
  }));
  return { json: withEffectiveStatus(meta) };
}

/**
 * `stopRuns({ ids, graceMs?, root? })`: stops each run (SIGTERM to its runner, killed
 * after `graceMs`, default `STOP_GRACE_MS`), all at once; result `{ results: IRunOutcome[] }` in the
 * order of `ids`. A run that is not running is a failed outcome, not an error reply.
 */
export async function stopRunsMethod(
  params: RequestOf<'stopRuns'>,
  context: IServiceContext
): Promise<IMethodReply<'stopRuns'>> {
  const ids = requireStringList(params, 'ids');
  const graceMs = optionalNumber(params, 'graceMs');
  const root = context.rootFor(params);
  const results = await Promise.all(
    ids.map(async (ref): Promise<IRunOutcome> => {
      try {
        const run = resolveRunRef(root, ref);
        const meta = await stopRun(run, graceMs);
        return { id: run.id, ok: true, status: meta.status };
      } catch (err) {
        return { id: ref, ok: false, error: oneLine(err) };
      }
    })
  );
  return { json: { results } };
}

/**
 * The run `id` (a full run id, never a prefix or an index) of `root`, when it is a run
 * directory: a directory (not a symlink) under `<root>/runs/` holding a valid `meta.json`
 * of that id. Anything else is a one-line `UserError`, so that nothing but a run is ever
 * deleted.
 */
function runDirectory(root: string, id: string): RunDir {
  if (!isValidRunId(id)) {
    throw new UserError(`'${id}' is not a run id`);
  }
  const run = new RunDir(root, id);
  let isDirectory = false;
  try {
    isDirectory = fs.lstatSync(run.path).isDirectory();
  } catch {
    // missing: no such run
  }
  if (!isDirectory) {
    throw new UserError(`no run ${id} in ${root}`);
  }
  let meta: RunMeta;
  try {
    meta = readMetaOf(run);
  } catch {
    throw new UserError(`${id} in ${root} is not a run directory (no valid meta.json)`);
  }
  if (meta.id !== id) {
    throw new UserError(`${id} in ${root} is not a run directory (its meta.json is another run's)`);
  }
  return run;
}

/**
 * `deleteRuns({ ids, force?, root? })`: deletes each run's directory (a running run only
 * with `force`); `ids` are full run ids, and only run directories are deleted (see
 * `runDirectory`). Result `{ results: IRunOutcome[] }` in the order of `ids`.
 */
export function deleteRunsMethod(
  params: RequestOf<'deleteRuns'>,
  context: IServiceContext
): IMethodReply<'deleteRuns'> {
  const ids = requireStringList(params, 'ids');
  const force = optionalBoolean(params, 'force') ?? false;
  const root = context.rootFor(params);
  const results = ids.map((ref): IRunOutcome => {
    try {
      const run = runDirectory(root, ref);
      removeRun(root, run.id, { force });
      return { id: run.id, ok: true };
    } catch (err) {
      return { id: ref, ok: false, error: oneLine(err) };
    }
  });
  return { json: { results } };
}
