/**
 * `nbx.sweep()`: a batch of headless trials started from a notebook cell, with one live
 * table in the cell's output.
 *
 * ```ts
 * const sweep = await nbx.sweep('train.ipynb', { lr: [1e-3, 1e-2], layers: [2, 4] }, { parallel: 2 });
 * const table = await sweep.done(); // an apache-arrow Table, one row per trial
 * console.table(table.toArray());
 * ```
 *
 * The trials are launched as `nbx run NB lr=[0.001,0.01] layers=[2,4] --parallel 2 --detach`
 * launches them (scheduler/launch), so they are ordinary detached runs of a batch: they
 * outlive the cell, the kernel and JupyterLab. This module then only reads their records
 * (`meta.json`) to show and report progress. Loaded by `nbx.sweep` on first use (importing
 * nbx stays cheap).
 */
import * as path from 'node:path';

import { formatElapsed } from '../base/display';
import { realPath } from '../base/paths';
import { UserError } from '../base/errors';
import type { JSONValue } from '../base/json';
import { stopRun } from '../scheduler/control';
import { launch } from '../scheduler/launch';
import type { RunMeta, RunStatus } from '../store/meta';
import { RunDir } from '../store/run-dir';
import {
  flagAssignments,
  SweepArgumentError,
  sweepRequestOptions,
  type ISweepOptions,
  type SweepFlagValue
} from './sweep-args';
import { openSweepOutput, type ISweepOutput } from './sweep-display';
import { countStatuses, SweepReader, type ISweepState } from '../scheduler/sweep-status';
import { sweepTable, type ISweepTable } from './sweep-table';
import { changeLines, elapsedMs, renderHtml, renderText, type ISweepNote } from './sweep-view';

export type { ISweepOptions, SweepFlagValue } from './sweep-args';
export type { ISweepColumn, ISweepTable, SweepCell, SweepRow } from './sweep-table';

/** How often the trials' records are read while the sweep is watched (ms). */
export const POLL_MS = 750;

/** One trial in `Sweep.status()`. */
export interface ISweepTrialStatus {
  /** 1-based trial number. */
  trial: number;
  id: string;
  status: RunStatus;
  /** The flags shown for the sweep (given, or varying between trials). */
  flags: Record<string, JSONValue>;
  /** Seconds it has run (so far, or in all), or null before it starts. */
  elapsed: number | null;
  /** Last value per scalar key (`sys/*` excluded). */
  metrics: Record<string, number>;
  error: string | null;
}

/** A sweep's state, from `Sweep.status()`. */
export interface ISweepStatus {
  /** The batch run's id. */
  id: string;
  /** True when every trial has a final status (completed, error, terminated). */
  finished: boolean;
  /** Trials per status. */
  counts: Record<RunStatus, number>;
  trials: ISweepTrialStatus[];
}

/**
 * The kernel's environment for the trials, without the identity of the run this kernel may
 * itself be (a sweep launched from inside a run is not that run; `NBX_HOME` is kept, so
 * its trials go to the same runs root).
 */
export function sweepEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out = { ...env };
  delete out.NBX_RUN_ID;
  delete out.NBX_RUN_DIR;
  return out;
}

/**
 * Starts a sweep of `notebook` (relative to the kernel's working directory) over `flags`
 * and returns once its trials are created (queued or running), showing their progress in
 * the cell's output until they all finish.
 *
 * Flag values (see `sweep-args.ts`): an array is ALWAYS a sweep over its items
 * (`{ lr: [0.001, 0.01] }`, a grid with the other arrays); a list flag's values are arrays,
 * so a sweep over them is an array of arrays (`{ layers: [[64, 32], [128]] }`); a string
 * that is a sweep expression (`'loguniform[1e-4:1e-1]'`, with `maxTrials`) is passed as
 * such; anything else is one value.
 *
 * Throws (a one-line message starting `nbx.sweep:`) for bad arguments and for anything
 * `nbx run` refuses (unknown flag, bad value, `gpusPerTrial` above the GPUs given...), in which
 * case nothing was started.
 */
export async function sweep(
  notebook: string,
  flags: Record<string, SweepFlagValue>,
  options: ISweepOptions = {}
): Promise<Sweep> {
  if (typeof notebook !== 'string' || notebook === '') {
    throw new SweepArgumentError('the notebook must be a path such as "train.ipynb"');
  }
  if (typeof options !== 'object' || options === null) {
    throw new SweepArgumentError('options must be an object such as { parallel: 2 }');
  }
  const cwd = process.cwd();
  const notebookPath = realPath(path.resolve(cwd, notebook));
  const request = {
    notebook: notebookPath,
    flags: flagAssignments(flags),
    ...sweepRequestOptions(options),
    cwd,
    env: sweepEnv(),
    mode: 'detach' as const
  };
  let launched;
  try {
    launched = await launch(request);
  } catch (err) {
    throw err instanceof UserError ? new Error(`nbx.sweep: ${err.message}`) : err;
  }
  for (const warning of launched.warnings) {
    process.stderr.write(`nbx: warning: ${warning}\n`);
  }
  const { run, meta } = launched;
  return new Sweep(run.root, meta, Object.keys(flags), options.objective);
}

/**
 * A running (or finished) sweep: a batch run and its trials. Made by `nbx.sweep()`.
 *
 * From `nbx.sweep()` until every trial has finished, one display in the cell's output shows
 * the trials, updated in place. Interrupting the kernel while a `done()` waits stops the
 * waiting and the updates, not the trials; `done()` waits (and updates) again.
 */
export class Sweep {
  /** The batch run's id (`nbx runs`, `nbx stop ID`). */
  readonly id: string;
  /** The trials' run ids, in trial order. */
  readonly trials: readonly string[];
  /** The runs root the batch and its trials are in. */
  readonly root: string;
  /** The notebook, absolute. */
  readonly notebook: string;

  private readonly _reader: SweepReader;
  private readonly _output: ISweepOutput;
  private readonly _launched = Date.now();
  private _state: ISweepState;
  private _timer: NodeJS.Timeout | null = null;
  private _watching = false;
  private _interrupted = false;
  private _waiters: { resolve: (t: ISweepTable) => void; reject: (e: Error) => void }[] = [];
  private readonly _onSigint = (): void => this._interrupt();
  private _sigintUpdate: NodeJS.Immediate | null = null;

  /** Use `nbx.sweep()`. Starts showing the trials at once. */
  constructor(
    root: string,
    batch: RunMeta,
    given: readonly string[],
    objective: string | undefined,
    output: ISweepOutput = openSweepOutput()
  ) {
    this.id = batch.id;
    this.root = root;
    this.notebook = batch.notebook;
    this._output = output;
    this._reader = new SweepReader(root, batch, given, objective);
    this.trials = [...this._reader.trialIds];
    this._state = this._reader.read();
    this._output.lines(changeLines(null, this._state));
    this._show();
    if (!this._state.finished) {
      this._watch();
    }
  }

  /**
   * Resolves, once every trial has finished, with the trials as an Arrow table (see
   * `sweep-table.ts`: `trial`, `id`, `status`, `duration`, the flags, `#key` per scalar).
   * Rejects when the kernel is interrupted while waiting (the trials keep running; call
   * `done()` again to wait again).
   */
  done(): Promise<ISweepTable> {
    const wasInterrupted = this._interrupted;
    this._interrupted = false;
    if (!this._state.finished) {
      this._state = this._reader.read();
    }
    if (wasInterrupted) {
      this._show();
    }
    if (this._state.finished) {
      this._finish();
      return Promise.resolve(sweepTable(this._state));
    }
    const result = new Promise<ISweepTable>((resolve, reject) => {
      this._waiters.push({ resolve, reject });
    });
    this._updateSigint();
    this._watch();
    // A waiting caller keeps a plain Node process alive until the sweep finishes.
    this._timer?.ref();
    return result;
  }

  /** The trials as they are now, as an Arrow table (see `done()`). */
  table(): ISweepTable {
    return sweepTable(this._reader.read());
  }

  /** Where each trial is now. */
  status(): ISweepStatus {
    const state = this._reader.read();
    return {
      id: this.id,
      finished: state.finished,
      counts: countStatuses(state.trials),
      trials: state.trials.map(t => {
        const elapsed = elapsedMs(t, state.now);
        const metrics: Record<string, number> = {};
        for (const [key, summary] of Object.entries(t.scalars)) {
          if (!key.startsWith('sys/')) {
            metrics[key] = summary.last;
          }
        }
        return {
          trial: t.index,
          id: t.id,
          status: t.status,
          flags: Object.fromEntries(state.flagNames.map(n => [n, t.flags[n] ?? null])),
          elapsed: elapsed === null ? null : elapsed / 1000,
          metrics,
          error: t.error
        };
      })
    };
  }

  /**
   * Stops the sweep as `nbx stop ID` does: running trials are stopped, queued ones
   * cancelled. Resolves when they are; nothing to do when every trial has already finished.
   */
  async stop(): Promise<void> {
    if (this._reader.read().finished) {
      return;
    }
    let error: unknown = null;
    try {
      await stopRun(new RunDir(this.root, this.id));
    } catch (err) {
      error = err;
    }
    this._refresh();
    if (error !== null && !this._state.finished) {
      throw new Error(
        `nbx.sweep: could not stop sweep ${this.id.slice(0, 8)}: ${(error as Error).message}`
      );
    }
  }

  private _notes(): ISweepNote[] {
    const state = this._state;
    const short = this.id.slice(0, 8);
    if (this._interrupted) {
      return [
        {
          kind: 'warning',
          text:
            `interrupted: the trials keep running — nbx runs / nbx stop ${short}` +
            ' (or await sweep.done() to watch again)'
        }
      ];
    }
    if (state.finished) {
      const counts = countStatuses(state.trials);
      const n = state.trials.length;
      const took = formatElapsed(state.now - this._launched);
      return counts.completed === n
        ? [{ kind: 'info', text: `finished: all ${n} trials completed (${took})` }]
        : [{ kind: 'warning', text: `finished (${took}) — ${counts.completed} of ${n} completed` }];
    }
    return [];
  }

  private _show(): void {
    const notes = this._notes();
    this._output.show(renderHtml(this._state, notes), renderText(this._state, notes));
  }

  private _refresh(): void {
    const prev = this._state;
    this._state = this._reader.read();
    this._output.lines(changeLines(prev, this._state));
    this._show();
    if (this._state.finished) {
      if (!prev.finished) {
        this._output.lines(this._notes().map(n => n.text));
      }
      this._finish();
    }
  }

  private _watch(): void {
    if (this._watching) {
      return;
    }
    this._watching = true;
    this._schedule(POLL_MS);
  }

  private _schedule(ms: number): void {
    this._timer = setTimeout(() => this._tick(), ms);
    // Nobody waiting: the updates alone don't keep a plain Node process alive.
    if (this._waiters.length === 0) {
      this._timer.unref();
    }
  }

  private _tick(): void {
    this._timer = null;
    if (!this._watching) {
      return;
    }
    const t0 = Date.now();
    try {
      this._refresh();
    } catch (err) {
      // A transient read error: try again at the next tick.
      process.stderr.write(`nbx.sweep: ${(err as Error).message}\n`);
    }
    if (this._watching) {
      // Many trials: read them less often than the reading takes time.
      this._schedule(Math.max(POLL_MS, (Date.now() - t0) * 20));
    }
  }

  /** Stops the updates and the interrupt listener (the trials are not touched). */
  private _stopWatching(): void {
    this._watching = false;
    if (this._timer !== null) {
      clearTimeout(this._timer);
      this._timer = null;
    }
    this._updateSigint();
  }

  /**
   * Listens to SIGINT (an interrupt of the kernel) while a `done()` waits, and only then.
   * The listener is added and removed from the event loop, never from the synchronous part
   * of a cell: tslab runs that with Node's `breakOnSigint`, which takes the SIGINT listeners
   * away meanwhile and puts them back after; one added meanwhile would leave the kernel
   * killed by the next interrupt, one removed meanwhile would be put back.
   */
  private _updateSigint(): void {
    if (this._sigintUpdate !== null) {
      return;
    }
    this._sigintUpdate = setImmediate(() => {
      this._sigintUpdate = null;
      const listening = process.listeners('SIGINT').includes(this._onSigint);
      if (this._waiters.length > 0 && !listening) {
        process.on('SIGINT', this._onSigint);
      } else if (this._waiters.length === 0 && listening) {
        process.removeListener('SIGINT', this._onSigint);
      }
    });
  }

  private _finish(): void {
    this._stopWatching();
    const waiters = this._waiters;
    this._waiters = [];
    if (waiters.length === 0) {
      return;
    }
    let table: ISweepTable;
    try {
      table = sweepTable(this._state);
    } catch (err) {
      waiters.forEach(w => w.reject(err as Error));
      return;
    }
    waiters.forEach(w => w.resolve(table));
  }

  private _interrupt(): void {
    if (this._waiters.length === 0) {
      this._updateSigint();
      return;
    }
    this._stopWatching();
    this._interrupted = true;
    try {
      this._state = this._reader.read();
    } catch {
      // show what was last read
    }
    this._show();
    this._output.lines(this._notes().map(n => n.text));
    const waiters = this._waiters;
    this._waiters = [];
    const short = this.id.slice(0, 8);
    const error = new Error(
      `nbx.sweep: stopped waiting for sweep ${short} (interrupted); its trials keep ` +
        `running — nbx runs to follow them, nbx stop ${short} to stop them, sweep.done() ` +
        'to wait again'
    );
    waiters.forEach(w => w.reject(error));
  }
}
