/**
 * `sweepStatus`: where sweeps stand, for the Runs panel's batch rows and the batch's run
 * view: counts by status, the best trial by the objective, the flags the trials vary and
 * each trial's values, read by scheduler/sweep-status as the CLI and the notebook's live
 * display read them.
 */
import type { ISweepStatus } from '../contract/service';
import { UserError } from '../base/errors';
import { bestTrial, countStatuses, SweepReader } from '../scheduler/sweep-status';
import { resolveRunRef } from '../store/runs';
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
  const sweeps: ISweepStatus[] = [];
  for (const ref of ids) {
    let status: ISweepStatus | null;
    try {
      status = sweepStatus(root, ref);
    } catch (err) {
      if (err instanceof UserError) {
        continue;
      }
      throw err;
    }
    if (status !== null) {
      sweeps.push(status);
    }
  }
  return { json: { sweeps } };
}

/** The status of the batch `ref` names, or null when it is a plain run. */
function sweepStatus(root: string, ref: string): ISweepStatus | null {
  const meta = resolveRunRef(root, ref).readMeta();
  if (meta.kind !== 'batch') {
    return null;
  }
  const state = new SweepReader(root, meta, []).read();
  const counts = countStatuses(state.trials);
  const objective = state.objective;
  return {
    id: meta.id,
    notebookName: state.notebookName,
    settings: meta.batch,
    objective,
    counts,
    total: state.trials.length,
    done: counts.completed + counts.error + counts.terminated,
    best: bestTrial(state.trials, objective),
    flagNames: state.flagNames,
    trials: state.trials.map(trial => ({
      index: trial.index,
      id: trial.id,
      status: trial.status,
      flags: Object.fromEntries(state.flagNames.map(name => [name, trial.flags[name] ?? null])),
      value: objective ? (trial.scalars[objective.key]?.last ?? null) : null,
      error: trial.error
    })),
    finished: state.finished
  };
}
