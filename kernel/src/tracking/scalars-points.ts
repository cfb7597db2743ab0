/**
 * A run's scalars as the Scalars panel draws them: the points of each key asked for, read
 * back from the run's logs (the reader of `nbx scalars --points`), reduced to a bounded
 * number per trace (see downsample), as Arrow IPC bytes ready to travel as binary comm
 * buffers, one table per key.
 *
 * Each table has three Float64 columns, `step`, `time` (wall time, ms since the epoch) and
 * `value` (NaN and infinities as they were logged), and in its schema metadata:
 * `nbx.key`, `nbx.total` (the points of the key in the window before downsampling) and
 * `nbx.downsampled` (`true`/`false`: whether fetching a narrower window gains points).
 */
import { arrow, type Table } from '../store/index-arrow';
import { float64Vector } from '../store/index-columns';
import { tableOf } from '../store/index-public';
import {
  selectPoints,
  takePoints,
  type IDownsampleOptions,
  type ISeriesColumns
} from './downsample';
import { readScalarColumns, type IReadScalarsOptions, type IScalarColumns } from './scalars';

/** Options of `scalarPointsIPC`. */
export interface IScalarPointsOptions extends IDownsampleOptions, IReadScalarsOptions {}

/**
 * The points of each of `keys` in `columns`, in their order, split in one pass (empty
 * columns for a key the run does not have).
 */
export function seriesByKey(
  columns: IScalarColumns,
  keys: readonly string[]
): Map<string, ISeriesColumns> {
  // Slot of each key index of the columns in `out`, -1 for keys not asked for.
  const slot = new Int32Array(columns.keys.length).fill(-1);
  const wanted = keys.map(key => columns.keys.indexOf(key));
  wanted.forEach((k, i) => {
    if (k >= 0) {
      slot[k] = i;
    }
  });
  const counts = new Uint32Array(keys.length);
  for (let i = 0; i < columns.length; i++) {
    const s = slot[columns.key[i]];
    if (s >= 0) {
      counts[s]++;
    }
  }
  const out = keys.map((_, i) => ({
    step: new Float64Array(counts[i]),
    time: new Float64Array(counts[i]),
    value: new Float64Array(counts[i])
  }));
  const at = new Uint32Array(keys.length);
  for (let i = 0; i < columns.length; i++) {
    const s = slot[columns.key[i]];
    if (s >= 0) {
      const o = at[s]++;
      out[s].step[o] = columns.step[i];
      out[s].time[o] = columns.time[i];
      out[s].value[o] = columns.value[i];
    }
  }
  return new Map(keys.map((key, i) => [key, out[i]]));
}

/** The points of `key` to draw, as an Arrow table (see the module comment). */
export function scalarPointsTable(
  series: ISeriesColumns,
  key: string,
  options: IDownsampleOptions
): Table {
  const { indices, total } = selectPoints(series, options);
  return pointsTable(takePoints(series, indices), key, total);
}

/**
 * Points already chosen to draw (`kept`, of `total` in the window), as an Arrow table
 * (see the module comment).
 */
export function pointsTable(kept: ISeriesColumns, key: string, total: number): Table {
  const metadata = new Map([
    ['nbx.key', key],
    ['nbx.total', String(total)],
    ['nbx.downsampled', String(kept.value.length < total)]
  ]);
  const names = ['step', 'time', 'value'] as const;
  return tableOf(
    names.map(name => new arrow.Field(name, new arrow.Float64(), false)),
    names.map(name => float64Vector(kept[name], null, 0)),
    kept.value.length,
    metadata
  );
}

/**
 * A run's points of each of `keys`, downsampled, as Arrow IPC stream bytes per key; the
 * run's logs are read once for all of them.
 */
export function scalarPointsIPC(
  runPath: string,
  keys: readonly string[],
  options: IScalarPointsOptions
): Map<string, Uint8Array> {
  const series = seriesByKey(readScalarColumns(runPath, options), keys);
  return new Map(
    keys.map(key => [
      key,
      arrow.tableToIPC(scalarPointsTable(series.get(key) as ISeriesColumns, key, options), 'stream')
    ])
  );
}
