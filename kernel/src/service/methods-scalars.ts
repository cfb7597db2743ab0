/**
 * Service methods of the Scalars panel: the keys of a set of runs, their points (Arrow
 * IPC per run and key, downsampled to a bounded number per series, exact in a zoom
 * window), and live pushes of the points running runs append.
 */
import type { IScalarKeyCount, IScalarSeriesInfo, IScalarWindow } from '../contract';
import { arrow } from '../store/index-arrow';
import { settleDeadRunner } from '../store/dead-runner';
import { resolveRunRef, withEffectiveStatus } from '../store/runs';
import type { RunDir } from '../store/run-dir';
import { MIN_POINTS, type IXWindow } from '../tracking/downsample';
import { pointsTable, scalarPointsTable } from '../tracking/scalars-points';
import { OVERVIEW_POINTS } from '../tracking/series-cache';
import { readMetaOf } from './methods-read';
import type { IMethodReply, IServiceContext, RequestOf } from './protocol';
import { liveOf } from './live';
import { SeriesCache } from './scalars-cache';
import {
  optionalNumber,
  optionalObject,
  ParamError,
  requireStringList,
  type Params
} from './params';

/**
 * Points per series `scalarPoints` sends when `maxPoints` is not given: the overview each
 * run's series cache keeps, so an opening reads a few thousand points per run.
 */
export const DEFAULT_MAX_POINTS = OVERVIEW_POINTS;
/** The largest `maxPoints` (larger values are capped). */
export const MAX_MAX_POINTS = 100_000;

/** The series read lately (a zoom, an axis switch or a CSV asks for them again). */
const recentSeries = new SeriesCache();

/** The runs of an `ids` param, in order, each once. */
function runsOf(params: Params, context: IServiceContext): RunDir[] {
  const root = context.rootFor(params);
  const runs = new Map<string, RunDir>();
  for (const ref of requireStringList(params, 'ids')) {
    const run = resolveRunRef(root, ref);
    runs.set(run.id, run);
  }
  return [...runs.values()];
}

/** `scalarKeys({ ids })`: the runs' records and every key they have, with points per run. */
export function scalarKeysMethod(
  params: RequestOf<'scalarKeys'>,
  context: IServiceContext
): IMethodReply<'scalarKeys'> {
  const runs = runsOf(params, context).map(run =>
    withEffectiveStatus(settleDeadRunner(run, readMetaOf(run)))
  );
  const keys = new Map<string, IScalarKeyCount>();
  for (const meta of runs) {
    for (const [key, summary] of Object.entries(meta.scalars ?? {})) {
      let entry = keys.get(key);
      if (!entry) {
        entry = { key, points: {} };
        keys.set(key, entry);
      }
      entry.points[meta.id] = summary.count;
    }
  }
  const sorted = [...keys.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { json: { runs, keys: sorted } };
}

/** The `window` param, checked; undefined when absent. */
export function scalarWindow(params: Params): IScalarWindow | undefined {
  const window = optionalObject(params, 'window');
  if (window === undefined) {
    return undefined;
  }
  const { axis, from, to } = window;
  if (axis !== 'step' && axis !== 'time' && axis !== 'relative') {
    throw new ParamError("parameter 'window.axis' must be one of 'step', 'time', 'relative'");
  }
  if (typeof from !== 'number' || typeof to !== 'number' || !(from <= to)) {
    throw new ParamError("parameter 'window' must have numbers 'from' <= 'to'");
  }
  return { axis, from, to };
}

/** A window of the panel as the downsampler takes it: relative times made wall times. */
function absoluteWindow(window: IScalarWindow, start: number): IXWindow {
  return window.axis === 'relative'
    ? { axis: 'time', from: start + window.from, to: start + window.to }
    : { axis: window.axis, from: window.from, to: window.to };
}

/**
 * `scalarPoints({ ids, keys, maxPoints?, window? })`: per run and key, the points to draw
 * (see tracking/scalars-points), one Arrow IPC buffer each. The whole series at the
 * default `maxPoints` is the overview each run's series cache keeps; a window or another
 * `maxPoints` reads the key at full resolution from that cache (see scalars-cache).
 */
export function scalarPointsMethod(
  params: RequestOf<'scalarPoints'>,
  context: IServiceContext
): IMethodReply<'scalarPoints'> {
  const runs = runsOf(params, context);
  const keys = requireStringList(params, 'keys');
  const maxPoints = Math.min(
    MAX_MAX_POINTS,
    Math.max(MIN_POINTS, Math.floor(optionalNumber(params, 'maxPoints') ?? DEFAULT_MAX_POINTS))
  );
  const window = scalarWindow(params);
  const series: IScalarSeriesInfo[] = [];
  const buffers: Uint8Array[] = [];
  for (const run of runs) {
    const byKey = recentSeries.get(run, {
      onWarning: w => context.log(`nbx service: ${w}`),
      // After the reply: its points are read already.
      writeCache: write => setImmediate(write)
    });
    const start = byKey.start;
    for (const key of keys) {
      const table =
        window === undefined && maxPoints === OVERVIEW_POINTS
          ? pointsTable(byKey.overview(key), key, byKey.total(key))
          : scalarPointsTable(byKey.full(key), key, {
              maxPoints,
              window: window === undefined ? undefined : absoluteWindow(window, start)
            });
      const total = Number(table.schema.metadata.get('nbx.total'));
      series.push({
        id: run.id,
        key,
        total,
        points: table.numRows,
        downsampled: table.numRows < total,
        start
      });
      buffers.push(arrow.tableToIPC(table, 'stream'));
    }
  }
  return { json: { series }, buffers };
}

/** `watchScalars({ ids })`: pushes `scalars-appended` for the runs until `unwatchScalars`. */
export function watchScalarsMethod(
  params: RequestOf<'watchScalars'>,
  context: IServiceContext
): IMethodReply<'watchScalars'> {
  const runs = runsOf(params, context);
  const { connection, scalars } = liveOf(context);
  const stop = scalars.add(
    runs.map(run => ({ root: run.root, id: run.id, path: run.path })),
    connection
  );
  const watch = connection.watch('scalars', stop);
  return { json: { watch, ids: runs.map(run => run.id) } };
}

/** `unwatchScalars({ watch })`: stops a watch; an unknown one is not an error (gone already). */
export function unwatchScalarsMethod(
  params: RequestOf<'unwatchScalars'>,
  context: IServiceContext
): IMethodReply<'unwatchScalars'> {
  const watch = optionalNumber(params, 'watch');
  if (watch === undefined || !Number.isInteger(watch)) {
    throw new ParamError("missing parameter 'watch' (the number watchScalars answered)");
  }
  liveOf(context).connection.unwatch('scalars', watch);
  return { json: null };
}
