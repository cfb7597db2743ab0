/**
 * CSV of the Compare grid, in the format of `nbx compare --csv`: RFC 4180 quoting (a
 * field holding `"`, `,`, CR or LF is quoted, its quotes doubled), `\n` line ends, a
 * header of column names, numbers in full precision, times in ISO 8601, tags joined
 * with `,`, empty fields for nulls.
 */
import type { CellValue, ColumnKind } from './columns';

/** One field, quoted when it must be. */
export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The text of one cell of a column of `kind`. */
export function csvCell(cell: CellValue, kind: ColumnKind): string {
  if (cell === null) {
    return '';
  }
  if (kind === 'time' && typeof cell === 'number') {
    return new Date(cell).toISOString();
  }
  return Array.isArray(cell) ? cell.join(',') : String(cell);
}

/** The CSV text of a header and rows of fields (unquoted; quoted here). */
export function csvText(header: readonly string[], rows: Iterable<readonly string[]>): string {
  const lines = [header.map(csvField).join(',')];
  for (const row of rows) {
    lines.push(row.map(csvField).join(','));
  }
  return lines.join('\n') + '\n';
}
