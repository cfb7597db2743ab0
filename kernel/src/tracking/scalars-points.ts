/**
 * One key of a run's scalars as the Scalars panel draws it: the points read back from the
 * run's logs (the reader of `nbx scalars --points`), reduced to a bounded number per trace
 * (see downsample), as Arrow IPC bytes ready to travel as a binary comm buffer.
 *
 * The table has three Float64 columns, `step`, `time` (wall time, ms since the epoch) and
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

/** The points of `key` in `columns`, in their order (empty columns for an unknown key). */
export function keySeries(columns: IScalarColumns, key: string): ISeriesColumns {
  const k = columns.keys.indexOf(key);
  let count = 0;
  for (let i = 0; i < columns.length; i++) {
    if (columns.key[i] === k) {
      count++;
    }
  }
  const out: ISeriesColumns = {
    step: new Float64Array(count),
    time: new Float64Array(count),
    value: new Float64Array(count)
  };
  let o = 0;
  for (let i = 0; i < columns.length && o < count; i++) {
    if (columns.key[i] === k) {
      out.step[o] = columns.step[i];
      out.time[o] = columns.time[i];
      out.value[o] = columns.value[i];
      o++;
    }
  }
  return out;
}

/** The points of `key` to draw, as an Arrow table (see the module comment). */
export function scalarPointsTable(
  series: ISeriesColumns,
  key: string,
  options: IDownsampleOptions
): Table {
  const { indices, total } = selectPoints(series, options);
  const kept = takePoints(series, indices);
  const metadata = new Map([
    ['nbx.key', key],
    ['nbx.total', String(total)],
    ['nbx.downsampled', String(indices.length < total)]
  ]);
  const names = ['step', 'time', 'value'] as const;
  return tableOf(
    names.map(name => new arrow.Field(name, new arrow.Float64(), false)),
    names.map(name => float64Vector(kept[name], null, 0)),
    indices.length,
    metadata
  );
}

/** A run's points of `key`, downsampled, as Arrow IPC stream bytes. */
export function scalarPointsIPC(
  runPath: string,
  key: string,
  options: IScalarPointsOptions
): Uint8Array {
  const series = keySeries(readScalarColumns(runPath, options), key);
  return arrow.tableToIPC(scalarPointsTable(series, key, options), 'stream');
}
