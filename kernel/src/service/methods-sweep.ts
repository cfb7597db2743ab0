/**
 * `sweepStatus`: where sweeps stand, for the Runs panel's batch rows and the batch's run
 * view: counts by status, the best trial by the objective, the flags the trials vary and
 * each trial's values. The trials are read from the runs index (one load per request,
 * whatever the number of sweeps and trials), not from their records: only a batch's own
 * record (its settings and trial list) and a failed trial's (its error line) are read.
 */
import type { ISweepStatus, ISweepTrial } from '../contract/service';
import { parseObjective } from '../base/display';
import type { JSONValue } from '../base/json';
import { UserError } from '../base/errors';
import {
  bestTrial,
  countStatuses,
  isFinal,
  settleTrial,
  variedFlags
} from '../scheduler/sweep-status';
import { loadRunsIndex, type RunsIndex } from '../store/index';
import { RUN_STATUSES, type RunMeta, type RunStatus } from '../store/meta';
import { RunDir } from '../store/run-dir';
import { resolveRunRef, withEffectiveStatus } from '../store/runs';
import type { IMethodReply, IServiceContext, RequestOf } from './protocol';
import { optionalStringList, ParamError } from './params';

/**
 * `sweepStatus({ ids, root? })`: `{ sweeps }`, one status per id that names a batch run,
 * in the order of `ids`. An id naming no run (deleted since it was listed) or a run that
 * is not a batch is left out, so a panel asking about the batches it shows never fails
 * for one removed meanwhile.
 */
export function sweepStatusMethod(
  params: RequestOf<'sweepStatus'>,
  context: IServiceContext
): IMethodReply<'sweepStatus'> {
  const ids = optionalStringList(params, 'ids');
  if (ids === undefined) {
    throw new ParamError("missing parameter 'ids' (a list of batch run ids)");
  }
  const root = context.rootFor(params);
  const batches: RunMeta[] = [];
  for (const ref of ids) {
    try {
      const meta = withEffectiveStatus(resolveRunRef(root, ref).readMeta());
      if (meta.kind === 'batch') {
        batches.push(meta);
      }
    } catch (err) {
      if (!(err instanceof UserError)) {
        throw err;
      }
    }
  }
  if (batches.length === 0) {
    return { json: { sweeps: [] } };
  }
  const rows = new IndexRows(loadRunsIndex(root));
  return { json: { sweeps: batches.map(batch => sweepStatus(root, batch, rows)) } };
}

/** A trial as the index has it, before the sweep's rules apply. */
interface IIndexedTrial {
  id: string;
  status: RunStatus;
  flags: Record<string, JSONValue>;
  scalars: Record<string, { last: number | null }>;
  error: string | null;
}

/** The rows of an index by run id (built on first use). */
class IndexRows {
  constructor(readonly index: RunsIndex) {}

  /** The trial `id` as indexed, or null when the index has no row for it (not written yet). */
  trial(id: string): IIndexedTrial | null {
    if (this._byId === null) {
      this._byId = new Map();
      for (let row = 0; row < this.index.numRows; row++) {
        this._byId.set(this.index.id(row), row);
      }
    }
    const row = this._byId.get(id);
    if (row === undefined) {
      return null;
    }
    const { status, flags, scalars } = this.index.toRow(row);
    return {
      id,
      status: (RUN_STATUSES as readonly string[]).includes(status)
        ? (status as RunStatus)
        : 'queued',
      flags,
      scalars,
      error: null
    };
  }

  private _byId: Map<string, number> | null = null;
}

/** A trial the index has no row for yet: one the batch has not started. */
function waiting(id: string): IIndexedTrial {
  return { id, status: 'queued', flags: {}, scalars: {}, error: null };
}

/** The error line of a failed trial, from its record (the index does not keep it). */
function errorOf(root: string, id: string): string | null {
  try {
    return new RunDir(root, id).readMeta().error;
  } catch {
    return null; // removed since
  }
}

/** The status of `batch` (a batch run's record, effective status) from the index rows. */
function sweepStatus(root: string, batch: RunMeta, rows: IndexRows): ISweepStatus {
  const objective = parseObjective(batch.batch?.objective ?? '');
  const finished = isFinal(batch.status);
  const indexed = batch.trials.map(id => rows.trial(id));
  const trials = batch.trials.map((id, i) => {
    // A trial not indexed yet is one the batch has not started.
    const trial = settleTrial(indexed[i] ?? waiting(id), finished);
    const error = trial.error ?? (trial.status === 'error' ? errorOf(root, id) : null);
    return { ...trial, index: i + 1, error };
  });
  const flagNames = variedFlags(indexed.filter((t): t is IIndexedTrial => t !== null));
  const counts = countStatuses(trials);
  return {
    id: batch.id,
    notebookName: batch.notebookName,
    settings: batch.batch,
    objective,
    counts,
    total: trials.length,
    done: counts.completed + counts.error + counts.terminated,
    best: bestTrial(trials, objective),
    flagNames,
    trials: trials.map((trial): ISweepTrial => ({
      index: trial.index,
      id: trial.id,
      status: trial.status,
      flags: Object.fromEntries(flagNames.map(name => [name, trial.flags[name] ?? null])),
      value: objective ? (trial.scalars[objective.key]?.last ?? null) : null,
      error: trial.error
    })),
    finished: trials.every(t => isFinal(t.status))
  };
}
