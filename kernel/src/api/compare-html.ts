/**
 * How `nbx.compare()` looks in a cell's output: a header line, the runs × columns table
 * (at most a page of rows, with a note for the rest) and notes, as HTML (plain tags and
 * inline styles, readable on light and dark themes; every value escaped) and as the
 * aligned text `nbx compare` prints (the display's `text/plain`).
 *
 * The best value of each metric column (`#key`, `#key:min`, `#key:max`) among the
 * compared runs is marked: by the objective for its key when one is given (`-#acc`:
 * highest best), else lowest for keys that look like losses or errors, highest for others.
 */
import { isMetricColumn, lowerIsBetter, type IObjective } from '../base/display';
import type { ICompareTable } from '../store/compare';
import { columnTitle, compareCellText, formatCompareTable } from '../store/compare-text';
import { escapeHtml } from './sweep-view';

/** What to show. */
export interface ICompareView {
  /** The compared runs (all of them: best values are over these) and columns. */
  table: ICompareTable;
  /** Rows shown at most (the first of `table.rows`). */
  limit: number;
  objective: IObjective | null;
  /** Lines under the table (what was compared, how to see more). */
  notes: string[];
}

/** True when the best of metric column `name` is its highest value. */
export function highestIsBest(name: string, objective: IObjective | null): boolean {
  const key = name.slice(1).replace(/:(min|max)$/, '');
  if (objective !== null && key === objective.key) {
    return objective.descending;
  }
  return !lowerIsBetter(name);
}

/** The best value of each metric column among the compared runs (absent: no values). */
export function bestValues(t: ICompareTable, objective: IObjective | null): Map<string, number> {
  const best = new Map<string, number>();
  for (const column of t.columns) {
    if (!isMetricColumn(column.name) || column.kind !== 'number') {
      continue;
    }
    const read = t.index.reader(column.name);
    const highest = highestIsBest(column.name, objective);
    let found: number | null = null;
    for (const row of t.rows) {
      const v = read(row);
      if (typeof v === 'number' && !Number.isNaN(v)) {
        if (found === null || (highest ? v > found : v < found)) {
          found = v;
        }
      }
    }
    if (found !== null) {
      best.set(column.name, found);
    }
  }
  return best;
}

function shownTable(view: ICompareView): ICompareTable {
  return { ...view.table, rows: view.table.rows.slice(0, view.limit) };
}

/** Notes, with the one about rows not shown first. */
function allNotes(view: ICompareView): string[] {
  const hidden = view.table.rows.length - Math.min(view.limit, view.table.rows.length);
  const notes = [...view.notes];
  if (hidden > 0) {
    notes.unshift(
      `${hidden} more ${hidden === 1 ? 'run' : 'runs'} not shown ({ limit: N } shows more; ` +
        'nbx.runs() holds them all)'
    );
  }
  return notes;
}

function headerLine(view: ICompareView): string {
  const n = view.table.rows.length;
  const objective = view.objective === null ? '' : ` · objective ${view.objective.text}`;
  return `${n} ${n === 1 ? 'run' : 'runs'} × ${view.table.columns.length} columns${objective}`;
}

/** The comparison as text: header, the aligned table, notes. */
export function renderCompareText(view: ICompareView): string {
  const lines = [headerLine(view)];
  if (view.table.rows.length > 0) {
    lines.push(formatCompareTable(shownTable(view)));
  }
  return [...lines, ...allNotes(view)].join('\n');
}

// Short inline styles (every cell carries one): nowrap and tabular digits are inherited
// from the table; padding and alignment are not.
const TABLE =
  'border-collapse:collapse;font-size:0.95em;white-space:nowrap;font-variant-numeric:tabular-nums';
const CELL = 'padding:2px 8px';
const NUM_CELL = 'padding:2px 8px;text-align:right';
const HEAD = 'position:sticky;top:0;background:var(--jp-layout-color1, inherit)';
const BEST = 'background:rgba(67,160,71,0.2)';
const MUTED = 'opacity:0.7';

/** The comparison as HTML: header, the table (best values bold on green), notes. */
export function renderCompareHtml(view: ICompareView): string {
  const t = shownTable(view);
  const best = bestValues(view.table, view.objective);
  const readers = t.columns.map(c => t.index.reader(c.name));
  const th = t.columns
    .map(c => {
      const style = c.kind === 'number' ? NUM_CELL : `${CELL};text-align:left`;
      const title = best.has(c.name)
        ? ` title="${highestIsBest(c.name, view.objective) ? 'highest' : 'lowest'} is best"`
        : '';
      return `<th style="${style};${HEAD}"${title}>${escapeHtml(columnTitle(c.name))}</th>`;
    })
    .join('');
  const body = t.rows
    .map(row => {
      const tds = t.columns.map((c, i) => {
        const cell = readers[i](row);
        const text = escapeHtml(compareCellText(cell, c.kind, c.name));
        if (c.name === 'id') {
          return `<td style="${CELL}" title="${escapeHtml(String(cell))}"><code>${text}</code></td>`;
        }
        if (c.name === 'label' && typeof cell === 'string') {
          return `<td style="${CELL}" title="${escapeHtml(cell)}">${text}</td>`;
        }
        const style = c.kind === 'number' ? NUM_CELL : CELL;
        if (typeof cell === 'number' && best.get(c.name) === cell) {
          return `<td style="${style};${BEST}"><b>${text}</b></td>`;
        }
        return `<td style="${style}">${text}</td>`;
      });
      return `<tr>${tds.join('')}</tr>`;
    })
    .join('');
  const notes = allNotes(view)
    .map(note => `<div style="${MUTED};margin-top:4px">${escapeHtml(note)}</div>`)
    .join('');
  const table =
    t.rows.length === 0
      ? ''
      : `<div style="overflow:auto;max-height:40em"><table style="${TABLE}">` +
        `<thead><tr>${th}</tr></thead><tbody>${body}</tbody></table></div>`;
  return (
    `<div class="nbx-compare"><div style="margin-bottom:4px"><b>${escapeHtml(headerLine(view))}</b></div>` +
    `${table}${notes}</div>`
  );
}
