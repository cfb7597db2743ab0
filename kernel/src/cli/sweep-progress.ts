/**
 * The progress of a sweep where it was launched (its counts, best trial and varied flags
 * are scheduler/sweep-status's, as the notebook display's are). On a terminal: one bar
 * line, redrawn in place, e.g.
 *
 *   [#####-----] 5/20 done · 2 running · 12 queued · 1 failed · best #loss 0.0421 (3c4d5e6f) · 1:23
 *
 * with failed trials reported above it. Without a terminal (a log, a notebook's `!nbx`):
 * one line per trial state change, e.g.
 *
 *   trial 3/20 3c4d5e6f running lr=0.01 layers=4 gpus=1
 *   trial 3/20 3c4d5e6f completed 12.3s loss=0.042
 */
import type { JSONValue } from '../base/json';
import {
  formatClock,
  formatDuration,
  formatNumber,
  parseObjective,
  type IObjective
} from '../base/display';
import type { ITrialEvent } from '../scheduler/queue';
import { bestTrial, countStatuses, variedFlags, type IBestTrial } from '../scheduler/sweep-status';
import type { RunMeta } from '../store/meta';
import { RunDir } from '../store/run-dir';
import { formatFlagValue } from '../scheduler/label';
import { runDuration, shortId } from './format';

/** How many trials are in each state. */
export interface ISweepCounts {
  total: number;
  completed: number;
  running: number;
  queued: number;
  /** Ended otherwise: error or terminated. */
  failed: number;
}

const BAR_WIDTH = 10;

/** The bar line (see the module comment); `width` truncates it (no wrapping on redraw). */
export function formatSweepBar(
  counts: ISweepCounts,
  best: { objective: IObjective; best: IBestTrial | null } | null,
  elapsedMs: number,
  width = Infinity
): string {
  const finished = counts.completed + counts.failed;
  const filled = counts.total ? Math.round((finished / counts.total) * BAR_WIDTH) : 0;
  const parts = [
    `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${counts.completed}/${counts.total} done`,
    `${counts.running} running`,
    `${counts.queued} queued`,
    `${counts.failed} failed`
  ];
  if (best) {
    parts.push(
      best.best
        ? `best ${best.objective.text} ${formatNumber(best.best.value)} (${shortId(best.best.id)})`
        : `best ${best.objective.text} -`
    );
  }
  parts.push(formatClock(elapsedMs));
  const line = parts.join(' \u00b7 ');
  return line.length > width ? `${line.slice(0, Math.max(0, width - 1))}\u2026` : line;
}

/** The last value of `key` in a run's scalar summaries, if any. */
function lastValue(meta: RunMeta, key: string): number | null {
  const summary = meta.scalars[key] as { last?: unknown } | undefined;
  return typeof summary?.last === 'number' ? summary.last : null;
}

function flagsText(flags: Record<string, JSONValue>, names: string[]): string {
  return names
    .filter(name => Object.hasOwn(flags, name))
    .map(name => `${name}=${formatFlagValue(flags[name])}`)
    .join(' ');
}

/**
 * `loss=0.042`: the objective's value, else the last values of up to three of the
 * notebook's scalars (system metrics left out).
 */
function scalarsText(meta: RunMeta, objective: IObjective | null): string {
  const keys = objective
    ? [objective.key]
    : Object.keys(meta.scalars)
        .filter(key => !key.startsWith('sys/'))
        .slice(0, 3);
  return keys
    .map(key => {
      const value = lastValue(meta, key);
      return value === null ? null : `${key}=${formatNumber(value)}`;
    })
    .filter((text): text is string => text !== null)
    .join(' ');
}

/** The line for a trial's state change (the form printed without a terminal). */
export function trialLine(
  event: ITrialEvent,
  varied: string[],
  objective: IObjective | null
): string {
  const { meta } = event;
  const head = `trial ${event.index + 1}/${event.total} ${shortId(meta.id)} ${meta.status}`;
  if (meta.status === 'running' || meta.status === 'queued') {
    const gpus = meta.gpus ? ` gpus=${meta.gpus}` : '';
    const flags = flagsText(meta.flags, varied);
    return `${head}${flags ? ` ${flags}` : ''}${meta.status === 'running' ? gpus : ''}`;
  }
  const took = runDuration(meta);
  const time = took === null ? '' : ` ${formatDuration(took)}`;
  if (meta.status === 'completed') {
    const scalars = scalarsText(meta, objective);
    return `${head}${time}${scalars ? ` ${scalars}` : ''}`;
  }
  return `${head}${time}${meta.error ? `: ${meta.error}` : ''}`;
}

/** Options of `SweepProgress`. */
export interface ISweepProgressOptions {
  /** No bar and no trial lines (the summary is still printed by the caller). */
  quiet?: boolean;
  /** Force the terminal form or the line form (default: whether `stream` is a TTY). */
  tty?: boolean;
}

/** The progress display of one sweep run in this process. */
export class SweepProgress {
  constructor(
    private readonly _stream: NodeJS.WriteStream,
    private readonly _root: string,
    batch: RunMeta,
    options: ISweepProgressOptions = {}
  ) {
    this._objective = parseObjective(batch.batch?.objective ?? '');
    this._quiet = options.quiet === true;
    this._tty = !this._quiet && (options.tty ?? _stream.isTTY === true);
    this._total = batch.trials.length;
    if (this._tty) {
      this._timer = setInterval(() => this._draw(true), 1000);
      this._timer.unref();
    }
  }

  /** The first line: what the sweep is. */
  start(batch: RunMeta, trials: RunMeta[]): void {
    this._varied = variedFlags(trials);
    for (const trial of trials) {
      this._metas.set(trial.id, trial);
    }
    if (this._quiet) {
      return;
    }
    const s = batch.batch;
    const gpus = s?.gpus?.length
      ? ` on GPUs ${s.gpus.join(',')} (${s.gpusPerTrial} per trial)`
      : '';
    const parallel = s ? `, ${s.parallel} at a time` : '';
    const count = `${this._total} trial${this._total === 1 ? '' : 's'}`;
    this._print(`sweep ${shortId(batch.id)}: ${count}${parallel}${gpus}`);
  }

  /** A trial changed state. */
  update(event: ITrialEvent): void {
    this._metas.set(event.meta.id, event.meta);
    if (this._quiet) {
      return;
    }
    const failed = event.meta.status === 'error' || event.meta.status === 'terminated';
    const initialQueue = event.meta.status === 'queued';
    if (!this._tty && !initialQueue) {
      this._print(trialLine(event, this._varied, this._objective));
    } else if (this._tty && failed) {
      this._print(trialLine(event, this._varied, this._objective));
    }
    this._draw(false);
  }

  /** Removes the bar; `summary` lines are printed in its place. */
  done(summary: string): void {
    clearInterval(this._timer);
    this._clear();
    this._tty = false;
    this._stream.write(`${summary}\n`);
  }

  /** Counts from the trials' latest records. */
  counts(): ISweepCounts {
    const by = countStatuses(this._metas.values());
    return {
      total: this._total,
      completed: by.completed,
      running: by.running,
      queued: by.queued + by.staged,
      failed: by.error + by.terminated
    };
  }

  /** The best trial so far (running trials count with their latest value). */
  best(): IBestTrial | null {
    return bestTrial(this._metas.values(), this._objective);
  }

  private _print(line: string): void {
    this._clear();
    this._stream.write(`${line}\n`);
    this._draw(false);
  }

  private _draw(refresh: boolean): void {
    if (!this._tty) {
      return;
    }
    if (refresh) {
      // Running trials' scalars move: read their records again.
      for (const [id, meta] of this._metas) {
        if (meta.status === 'running') {
          try {
            this._metas.set(id, new RunDir(this._root, id).readMeta());
          } catch {
            // keep the last known record
          }
        }
      }
    }
    const best = this._objective ? { objective: this._objective, best: this.best() } : null;
    const width = (this._stream.columns ?? 100) - 1;
    const line = formatSweepBar(this.counts(), best, Date.now() - this._start, width);
    this._stream.write(`\r\x1b[2K${line}`);
    this._drawn = true;
  }

  private _clear(): void {
    if (this._drawn) {
      this._stream.write('\r\x1b[2K');
      this._drawn = false;
    }
  }

  private readonly _objective: IObjective | null;
  private readonly _quiet: boolean;
  private readonly _total: number;
  private readonly _metas = new Map<string, RunMeta>();
  private readonly _start = Date.now();
  private _tty: boolean;
  private _timer: NodeJS.Timeout | undefined;
  private _varied: string[] = [];
  private _drawn = false;
}
