/**
 * What `nbx show` adds for sweeps: a batch's settings and its trials (one line each:
 * number, short id, status, the flags the sweep varies, the objective's value), and a
 * trial's batch.
 */
import { formatNumber, parseObjective } from '../base/display';
import type { IRunBatch, RunMeta } from '../store/meta';
import { RunDir } from '../store/run-dir';
import { bestTrial, variedFlags } from '../scheduler/sweep-status';
import { formatFlagValue } from '../scheduler/label';
import { shortId, table } from './format';

/** `grid, 2 at a time, GPUs 0,1 (1 per trial), objective -#loss, seed 7`. */
export function batchSettingsText(settings: IRunBatch): string {
  const parts: string[] = [settings.kind, `${settings.parallel} at a time`];
  if (settings.gpus?.length) {
    parts.push(`GPUs ${settings.gpus.join(',')} (${settings.gpusPerTrial} per trial)`);
  }
  if (settings.objective) {
    parts.push(`objective ${settings.objective}`);
  }
  if (settings.seed !== null) {
    parts.push(`seed ${settings.seed}`);
  }
  return parts.join(', ');
}

/** `lr=0.01 layers=4`: a run's flags, in flag order. */
export function flagsText(flags: RunMeta['flags']): string {
  return Object.entries(flags)
    .map(([name, value]) => `${name}=${formatFlagValue(value)}`)
    .join(' ');
}

/** `4 (3 completed, 1 failed)`: how many trials, by status. */
export function trialCountsText(total: number, trials: RunMeta[]): string {
  const counts = new Map<string, number>();
  for (const trial of trials) {
    counts.set(trial.status, (counts.get(trial.status) ?? 0) + 1);
  }
  const missing = total - trials.length;
  const parts = [...counts].map(([status, n]) => `${n} ${status === 'error' ? 'failed' : status}`);
  if (missing > 0) {
    parts.push(`${missing} removed`);
  }
  return `${total}${parts.length ? ` (${parts.join(', ')})` : ''}`;
}

/**
 * The table of a batch's trials: `#`, id, status, each varied flag (all flags when none
 * varies), and the objective's last value with `*` on the best trial.
 */
export function trialsTable(batch: RunMeta, trials: RunMeta[]): string {
  if (trials.length === 0) {
    return '  (no trials)';
  }
  const varied = variedFlags(trials);
  const names = varied.length ? varied : Object.keys(trials[0].flags);
  const objective = parseObjective(batch.batch?.objective ?? '');
  const best = bestTrial(trials, objective);
  const header = ['#', 'id', 'status', ...names];
  if (objective) {
    header.push(objective.key);
  }
  const rows = trials.map(trial => {
    const number = batch.trials.indexOf(trial.id) + 1;
    const cells = [
      String(number),
      shortId(trial.id),
      trial.status,
      ...names.map(name => (name in trial.flags ? formatFlagValue(trial.flags[name]) : '-'))
    ];
    if (objective) {
      const summary = trial.scalars[objective.key] as { last?: unknown } | undefined;
      const value = typeof summary?.last === 'number' ? formatNumber(summary.last) : '-';
      cells.push(best?.id === trial.id ? `${value} *` : value);
    }
    return cells;
  });
  return table([header, ...rows])
    .split('\n')
    .map(line => `  ${line}`)
    .join('\n');
}

/** `3c4d5e6f (trial 2/4, sweep lr=[0.001,0.01])`: a trial's batch, or its id if gone. */
export function parentText(root: string, trial: RunMeta): string {
  const parent = trial.parent ?? '';
  try {
    const batch = new RunDir(root, parent).readMeta();
    const at = batch.trials.indexOf(trial.id);
    const step = batch.steps?.find(s => s.run === trial.id);
    const position =
      step !== undefined
        ? `step ${step.name} of ${batch.notebookName}`
        : at < 0
          ? ''
          : `trial ${at + 1}/${batch.trials.length}`;
    const details = [position, batch.label ?? ''].filter(text => text !== '').join(', ');
    return `${parent}${details ? ` (${details})` : ''}`;
  } catch {
    return `${parent} (removed)`;
  }
}
