/**
 * A comparison as people read it: one cell as text (numbers, durations and times by
 * base/display, lists joined, long labels cut) and the aligned table `nbx compare` prints,
 * which is also the plain-text form of `nbx.compare()` in a notebook.
 */
import { formatDuration, formatNumber, formatTime } from '../base/display';
import type { ICompareTable } from './compare';
import type { CellValue, ColumnKind } from './index-columns';

/** Longest label shown (longer ones end with `…`). */
const LABEL_WIDTH = 40;

/** One cell as text; `-` for a missing value. */
export function formatCell(cell: CellValue, kind: ColumnKind, column: string): string {
  if (cell === null) {
    return '-';
  }
  if (column === 'duration' && typeof cell === 'number') {
    return formatDuration(cell * 1000);
  }
  if (kind === 'time' && typeof cell === 'number') {
    return formatTime(new Date(cell).toISOString());
  }
  if (typeof cell === 'number') {
    return formatNumber(cell);
  }
  if (Array.isArray(cell)) {
    return cell.length ? cell.join(',') : '-';
  }
  const text = String(cell);
  if (column === 'label' && text.length > LABEL_WIDTH) {
    return `${text.slice(0, LABEL_WIDTH - 1)}…`;
  }
  return text === '' ? '-' : text;
}

/** The header of a column: `run` for the id (shown short), else the column's name. */
export function columnTitle(name: string): string {
  return name === 'id' ? 'run' : name;
}

/** The text of a cell of the comparison: the short id, or `formatCell`. */
export function compareCellText(cell: CellValue, kind: ColumnKind, column: string): string {
  return column === 'id' ? String(cell).slice(0, 8) : formatCell(cell, kind, column);
}

/**
 * The comparison as an aligned table: a header of column names (`run` for the short id),
 * numbers right-aligned, `-` for missing values.
 */
export function formatCompareTable(t: ICompareTable): string {
  const readers = t.columns.map(c => t.index.reader(c.name));
  const header = t.columns.map(c => columnTitle(c.name));
  const body = t.rows.map(row =>
    t.columns.map((c, i) => compareCellText(readers[i](row), c.kind, c.name))
  );
  const right = t.columns.map(c => c.kind === 'number');
  const widths = header.map((h, i) => Math.max(h.length, ...body.map(r => r[i].length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => (right[i] ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), ...body.map(line)].join('\n');
}
