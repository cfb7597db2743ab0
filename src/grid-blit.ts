/**
 * One copy per painted region instead of one per cell, for a Lumino `DataGrid` (the Runs
 * panel's and the Compare panel's grids).
 *
 * The grid paints each cell into an off-screen buffer canvas and copies that cell's
 * rectangle to the on-screen canvas (`drawImage`) before painting the next. Where canvas
 * 2D is drawn by the CPU (no GPU: headless browsers, software rendering), each copy keeps
 * a snapshot of the buffer that the next cell's drawing must first duplicate whole — the
 * buffer is larger than the viewport — so a repaint of a few hundred cells spent seconds
 * copying (CPU profile of the Compare grid on 10,000 runs: 3.1 s of 6.2 s in
 * `drawImage`). Cells of a region are painted side by side into the buffer, cleared first,
 * so copying their bounding box once when the region is done puts the same pixels on
 * screen, in the same order relative to the grid lines drawn after it.
 *
 * This reaches into two private methods of `@lumino/datagrid` 2.x (`_drawCells`,
 * `_blitContent`); when a version lacks them the grid is left as it is. Only for grids
 * without merged cells (the box would take in a merged cell's stale buffer).
 */
import type { DataGrid } from '@lumino/datagrid';

/** The private face of DataGrid used here. */
interface IPainting {
  _buffer: HTMLCanvasElement;
  _drawCells(region: unknown): void;
  _blitContent(
    source: HTMLCanvasElement,
    x: number,
    y: number,
    w: number,
    h: number,
    dx: number,
    dy: number
  ): void;
}

/** Makes `grid` copy each painted region from its buffer once (see the module comment). */
export function batchBlits(grid: DataGrid): void {
  const painting = grid as unknown as IPainting;
  const drawCells = painting._drawCells;
  const blit = painting._blitContent;
  if (typeof drawCells !== 'function' || typeof blit !== 'function') {
    return;
  }
  // The bounding box of the cells copied so far in this region: x1, y1, x2, y2 (empty
  // while x1 >= x2); null when not inside `_drawCells`.
  let box: number[] | null = null;
  painting._blitContent = function (this: IPainting, source, x, y, w, h, dx, dy) {
    if (!box || source !== this._buffer || dx !== x || dy !== y) {
      blit.call(this, source, x, y, w, h, dx, dy);
    } else if (w > 0 && h > 0) {
      box[0] = Math.min(box[0], x);
      box[1] = Math.min(box[1], y);
      box[2] = Math.max(box[2], x + w);
      box[3] = Math.max(box[3], y + h);
    }
  };
  painting._drawCells = function (this: IPainting, region) {
    const copied = [Infinity, Infinity, -Infinity, -Infinity];
    box = copied;
    try {
      drawCells.call(this, region);
    } finally {
      box = null;
      const [x1, y1, x2, y2] = copied;
      if (x1 < x2 && y1 < y2) {
        blit.call(this, this._buffer, x1, y1, x2 - x1, y2 - y1, x1, y1);
      }
    }
  };
}
