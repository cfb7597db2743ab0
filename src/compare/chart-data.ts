/**
 * The data of a comparison's charts, without DOM or plotly: the axes of the parallel
 * coordinates (one per chosen flag, the metric last) and the points of a scatter, read
 * from the model's sort keys (numbers and times as they are, booleans as 0/1, strings as
 * their rank with the text as tick labels), and the ranges brushed on the axes turned
 * into the model's row filter.
 */
import type { CellValue } from './columns';
import type { CompareModel, IRangeFilter } from './model';

/** One axis of the parallel coordinates (the fields plotly's `parcoords` dimension takes). */
export interface IAxis {
  /** The column plotted. */
  column: string;
  label: string;
  /** One value per table row (null for a missing value). */
  values: (number | null)[];
  /** Tick positions and texts of a string column (its ranks), else absent. */
  tickvals?: number[];
  ticktext?: string[];
  /** The range brushed on this axis, as plotly takes it back. */
  constraintrange?: [number, number][];
}

/** The axes over `columns` (flags, then the metric) of every row of the table. */
export function parcoordsAxes(
  model: CompareModel,
  columns: readonly string[],
  filters: readonly IRangeFilter[] = model.rangeFilters
): IAxis[] {
  return columns.map(column => {
    const keys = model.keys(column);
    const axis: IAxis = {
      column,
      label: column,
      values: Array.from(keys, v => (Number.isNaN(v) ? null : v))
    };
    const kind = model.kind(column);
    if (kind === 'string' || kind === 'list') {
      const ticks = tickTexts(model, column, keys);
      axis.tickvals = ticks.map(([rank]) => rank);
      axis.ticktext = ticks.map(([, text]) => text);
    }
    const filter = filters.find(f => f.column === column);
    if (filter) {
      axis.constraintrange = filter.ranges.map(([lo, hi]) => [lo, hi]);
    }
    return axis;
  });
}

/** The points of a scatter of column `x` against column `y`, rows where both are set. */
export function scatterPoints(
  model: CompareModel,
  x: string,
  y: string
): { x: CellValue[]; y: number[]; rows: number[] } {
  const ys = model.keys(y);
  const points = { x: [] as CellValue[], y: [] as number[], rows: [] as number[] };
  for (let shown = 0; shown < model.rowCount; shown++) {
    const row = model.tableRow(shown);
    const xValue = model.cell(shown, x);
    if (xValue !== null && !Number.isNaN(ys[row])) {
      points.x.push(Array.isArray(xValue) ? xValue.join(', ') : xValue);
      points.y.push(ys[row]);
      points.rows.push(row);
    }
  }
  return points;
}

/**
 * The row filter of the axes' brushed ranges, as plotly reports them after a brush
 * (`constraintrange`: absent or empty when clear, `[lo, hi]` for one range, or a list of
 * them). Ranges of string axes are widened to whole ranks.
 */
export function brushFilters(
  axes: readonly { column: string; constraintrange?: unknown }[],
  kinds: (column: string) => string
): IRangeFilter[] {
  const filters: IRangeFilter[] = [];
  for (const axis of axes) {
    const ranges = rangesOf(axis.constraintrange);
    if (ranges.length === 0) {
      continue;
    }
    const whole = kinds(axis.column) === 'string' || kinds(axis.column) === 'list';
    filters.push({
      column: axis.column,
      ranges: whole ? ranges.map(([lo, hi]) => [Math.ceil(lo) || 0, Math.floor(hi) || 0]) : ranges
    });
  }
  return filters;
}

function rangesOf(value: unknown): [number, number][] {
  if (!Array.isArray(value) || value.length === 0) {
    return [];
  }
  const pair = (v: unknown): v is [number, number] =>
    Array.isArray(v) && v.length === 2 && v.every(n => typeof n === 'number' && isFinite(n));
  const list: unknown[] = pair(value) ? [value] : value;
  return list.filter(pair).map(([a, b]) => [Math.min(a, b), Math.max(a, b)]);
}

/** The distinct texts of a string column with their ranks, in rank order. */
function tickTexts(model: CompareModel, column: string, keys: Float64Array): [number, string][] {
  const texts = new Map<number, string>();
  for (let row = 0; row < keys.length; row++) {
    const rank = keys[row];
    if (!Number.isNaN(rank) && !texts.has(rank)) {
      const cell = model.tableCell(row, column);
      texts.set(rank, Array.isArray(cell) ? cell.join(', ') : String(cell));
    }
  }
  return [...texts].sort((a, b) => a[0] - b[0]);
}
