/**
 * Where a sweep stands, for every surface that shows it (the CLI's progress and `nbx show`,
 * the notebook's live display): how many trials are in each state, the best one for the
 * objective, the flags the sweep varies, and each trial as read from its `meta.json` (a
 * few small files per poll; never the runs index).
 *
 * A trial's status is its effective status (a `running` or `queued` trial whose runner
 * is gone reads `terminated`), and a trial still `queued` or `staged` when its batch has
 * finished (or its batch's runner is gone) reads `terminated`: it will never start.
 */
import * as fs from 'node:fs';

import { bestBy, parseObjective, type IObjective } from '../base/display';
import type { JSONValue } from '../base/json';
import { FINAL_STATUSES, type IScalarSummary, type RunMeta, type RunStatus } from '../store/meta';
import { parseMeta } from '../store/meta-schema';
import { RunDir } from '../store/run-dir';
import { withEffectiveStatus } from '../store/runs';

/** One trial as the display and the table show it. */
export interface ITrialState {
  /** 1-based position in the batch. */
  index: number;
  id: string;
  status: RunStatus;
  flags: Record<string, JSONValue>;
  scalars: Record<string, IScalarSummary>;
  /** ms since the epoch, or null. */
  started: number | null;
  stopped: number | null;
  /** One line saying what went wrong, or null. */
  error: string | null;
  /** True once its meta.json has been read. */
  seen: boolean;
}

/** A sweep at one moment. */
export interface ISweepState {
  /** The batch run's id. */
  id: string;
  notebookName: string;
  trials: ITrialState[];
  /** The flags shown per trial: those given to the sweep, then any other that varies. */
  flagNames: string[];
  objective: IObjective | null;
  /** When the state was read (ms since the epoch). */
  now: number;
  /** True when every trial has a final status. */
  finished: boolean;
}

/** True for a status a run never leaves. */
export function isFinal(status: RunStatus): boolean {
  return FINAL_STATUSES.includes(status);
}

function time(iso: string | null): number | null {
  if (iso === null) {
    return null;
  }
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
}

function readMetaFile(file: string): RunMeta | null {
  try {
    return parseMeta(fs.readFileSync(file, 'utf8'), file);
  } catch {
    // Not written yet, or gone: keep what was last seen.
    return null;
  }
}

/** The trial state of a meta, with its effective status. */
export function trialState(index: number, meta: RunMeta): ITrialState {
  const eff = withEffectiveStatus(meta);
  return {
    index,
    id: meta.id,
    status: eff.status,
    flags: meta.flags,
    scalars: meta.scalars,
    started: time(meta.started),
    stopped: time(meta.stopped),
    error: meta.error,
    seen: true
  };
}

function placeholder(index: number, id: string): ITrialState {
  return {
    index,
    id,
    status: 'queued',
    flags: {},
    scalars: {},
    started: null,
    stopped: null,
    error: null,
    seen: false
  };
}

/**
 * The flags a sweep varies: `given` first (the flags given to it), then each other flag
 * whose value differs between trials, in flag order.
 */
export function variedFlags(
  trials: readonly { flags: Record<string, JSONValue> }[],
  given: readonly string[] = []
): string[] {
  const names = [...given];
  const seen = new Set(given);
  for (const trial of trials) {
    for (const name of Object.keys(trial.flags)) {
      if (seen.has(name)) {
        continue;
      }
      seen.add(name);
      const first = JSON.stringify(trials[0].flags[name] ?? null);
      if (trials.some(t => JSON.stringify(t.flags[name] ?? null) !== first)) {
        names.push(name);
      }
    }
  }
  return names;
}

/** Trials by status. */
export function countStatuses(trials: Iterable<{ status: RunStatus }>): Record<RunStatus, number> {
  const counts: Record<RunStatus, number> = {
    staged: 0,
    queued: 0,
    running: 0,
    completed: 0,
    error: 0,
    terminated: 0
  };
  for (const t of trials) {
    counts[t.status]++;
  }
  return counts;
}

/** The best trial for an objective, and its value. */
export interface IBestTrial {
  id: string;
  value: number;
}

/** The best trial so far for `objective` (by its last value), or null. */
export function bestTrial(
  trials: Iterable<{ id: string; scalars: Record<string, { last: number | null }> }>,
  objective: IObjective | null
): IBestTrial | null {
  if (objective === null) {
    return null;
  }
  const best = bestBy(trials, objective, trial => trial.scalars[objective.key]?.last ?? undefined);
  return best && { id: best.item.id, value: best.value };
}

/** The trials of a batch as recorded now (effective status), in trial order; missing ones skipped. */
export function readTrials(root: string, batch: RunMeta): RunMeta[] {
  const trials: RunMeta[] = [];
  for (const id of batch.trials) {
    try {
      trials.push(withEffectiveStatus(new RunDir(root, id).readMeta()));
    } catch {
      // removed since
    }
  }
  return trials;
}

/**
 * A trial as its sweep shows it: one still waiting (queued, staged) when its batch has
 * finished will never start, so it reads `terminated`.
 */
export function settleTrial<T extends { status: RunStatus; error: string | null }>(
  trial: T,
  batchFinished: boolean
): T {
  if (batchFinished && !isFinal(trial.status) && trial.status !== 'running') {
    return { ...trial, status: 'terminated', error: trial.error ?? 'cancelled: the batch ended' };
  }
  return trial;
}

/** Reads a sweep's state from its batch and trial records, re-reading only what may change. */
export class SweepReader {
  readonly root: string;
  readonly id: string;
  private _trialIds: string[];
  private readonly _given: string[];
  private _objective: IObjective | null;
  private _notebookName: string;
  /** Last state per trial id, and how many reads in a row found it final. */
  private readonly _last = new Map<string, { state: ITrialState; finalReads: number }>();

  /**
   * `root` is the runs root, `batch` the batch run's record (or a single run's, which is
   * then its own only trial), `given` the flag names given to the sweep.
   */
  constructor(root: string, batch: RunMeta, given: readonly string[], objective?: string) {
    this.root = root;
    this.id = batch.id;
    this._trialIds = batch.kind === 'batch' ? [...batch.trials] : [batch.id];
    this._given = [...given];
    this._notebookName = batch.notebookName;
    this._objective = parseObjective(objective ?? batch.batch?.objective ?? '');
  }

  /** The trial ids, in trial order. */
  get trialIds(): readonly string[] {
    return this._trialIds;
  }

  /** Reads the records now. */
  read(now: number = Date.now()): ISweepState {
    const batchFinal = this._batchFinished();
    const trials = this._trialIds.map((id, i) => this._readTrial(i + 1, id, batchFinal));
    return {
      id: this.id,
      notebookName: this._notebookName,
      trials,
      flagNames: variedFlags(
        trials.filter(t => t.seen),
        this._given
      ),
      objective: this._objective,
      now,
      finished: trials.every(t => isFinal(t.status))
    };
  }

  /** True when the batch (a batch run only) has a final effective status. */
  private _batchFinished(): boolean {
    if (this._trialIds.length === 1 && this._trialIds[0] === this.id) {
      return false;
    }
    const meta = readMetaFile(new RunDir(this.root, this.id).metaPath);
    if (meta === null) {
      return false;
    }
    if (meta.trials.length > 0) {
      this._trialIds = [...meta.trials];
    }
    this._notebookName = meta.notebookName || this._notebookName;
    this._objective ??= parseObjective(meta.batch?.objective ?? '');
    return isFinal(withEffectiveStatus(meta).status);
  }

  private _readTrial(index: number, id: string, batchFinal: boolean): ITrialState {
    const last = this._last.get(id);
    // A final record may still get its last scalars in the same breath: read it once more.
    if (last !== undefined && last.finalReads >= 2) {
      return last.state;
    }
    const meta = readMetaFile(new RunDir(this.root, id).metaPath);
    const state = settleTrial(
      meta !== null ? trialState(index, meta) : (last?.state ?? placeholder(index, id)),
      batchFinal
    );
    const finalReads = isFinal(state.status) ? (last?.finalReads ?? 0) + 1 : 0;
    this._last.set(id, { state, finalReads });
    return state;
  }
}
