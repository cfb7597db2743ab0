/**
 * Live points drawn without plotly's redraw. Plotly draws any change, `extendTraces`
 * included, by computing and drawing every trace of the chart again: about 170 ms for 20
 * runs × 1,500 points, for each point a running run pushes. So the points pushed are drawn
 * at once as short SVG paths over the chart, in the chart's coordinates (read from the
 * chart's laid-out axes), and the chart itself is redrawn later, at most every so often
 * (see ScalarsPanel), which rescales the axes and makes the points hoverable.
 */

/** One axis as laid out: its range in linear units (log10 of the value on a log axis). */
export interface IAxisScale {
  from: number;
  to: number;
  log: boolean;
  /** Pixels from the plot's edge to the start of the axis, and its length. */
  offset: number;
  length: number;
}

/** The chart's plot area as laid out. */
export interface IPlotArea {
  x: IAxisScale;
  y: IAxisScale;
}

/** The plot area of a drawn plotly chart (its `_fullLayout`), or null when not laid out. */
export function plotArea(fullLayout: unknown): IPlotArea | null {
  const layout = fullLayout as {
    _size?: { l: number; t: number; w: number; h: number };
    xaxis?: { range?: unknown[]; type?: string };
    yaxis?: { range?: unknown[]; type?: string };
  } | null;
  const size = layout?._size;
  if (!size || !layout.xaxis || !layout.yaxis) {
    return null;
  }
  const axis = (
    ax: { range?: unknown[]; type?: string },
    offset: number,
    length: number
  ): IAxisScale | null => {
    const from = axisNumber(ax.range?.[0]);
    const to = axisNumber(ax.range?.[1]);
    if (from === null || to === null || from === to || !(length > 0)) {
      return null;
    }
    return { from, to, log: ax.type === 'log', offset, length };
  };
  const x = axis(layout.xaxis, size.l, size.w);
  const y = axis(layout.yaxis, size.t, size.h);
  return x && y ? { x, y } : null;
}

/** A range end: a number, or a date axis' date string (UTC), as ms since the epoch. */
export function axisNumber(value: unknown): number | null {
  if (typeof value === 'number') {
    return Number.isFinite(value) ? value : null;
  }
  if (typeof value === 'string') {
    // Plotly's dates have no zone and mean UTC (numbers on a date axis are UTC ms).
    const ms = Date.parse(`${value.trim().replace(' ', 'T')}Z`);
    return Number.isNaN(ms) ? null : ms;
  }
  return null;
}

/** Pixels of `value` along an axis (from the plot's left or top edge); NaN for no point. */
function pixel(axis: IAxisScale, value: number, flip: boolean): number {
  const v = axis.log ? (value > 0 ? Math.log10(value) : NaN) : value;
  const f = (v - axis.from) / (axis.to - axis.from);
  return axis.offset + (flip ? 1 - f : f) * axis.length;
}

/**
 * The SVG path (`d`) of a line through the points, in plot pixels: a gap (NaN, or a value
 * a log axis cannot show) breaks the line, as plotly draws it.
 */
export function linePath(area: IPlotArea, x: ArrayLike<number>, y: ArrayLike<number>): string {
  const parts: string[] = [];
  let pen = false;
  for (let i = 0; i < x.length; i++) {
    const px = pixel(area.x, x[i], false);
    const py = pixel(area.y, y[i], true);
    if (!Number.isFinite(px) || !Number.isFinite(py)) {
      pen = false;
      continue;
    }
    parts.push(`${pen ? 'L' : 'M'}${px.toFixed(1)},${py.toFixed(1)}`);
    pen = true;
  }
  return parts.join('');
}
