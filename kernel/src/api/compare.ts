/**
 * `nbx.compare()`: runs side by side in the cell's output, as `nbx compare` has them (the
 * flags that differ, the last value of each scalar), with the best value of each metric
 * marked. Which runs: ids, id prefixes or positions (`'1:5'`), or a table with an `id`
 * column — `nbx.runs(where)`'s, or a sweep's `done()` — and by default the latest 20.
 * Loaded by `nbx.compare` on first use.
 */
import { parseObjective, type IObjective } from '../base/display';
import { selectCompare, type ICompareTable } from '../store/compare';
import type { RunsIndex } from '../store/index';
import { resolveIndexRefs } from '../store/index-refs';
import { apiCall, NbxApiError } from './api-error';
import type { CompareRuns, ICompareOptions, IRunsTableLike } from './compare-options';
import { renderCompareHtml, renderCompareText } from './compare-html';
import { loadIndex, whereRows } from './runs';
import { openSweepOutput } from './sweep-display';

export type { CompareRuns, ICompareOptions, IRunsTableLike } from './compare-options';

/** Runs compared when none are given: the latest. */
export const DEFAULT_RUNS = 20;

/** Rows shown when no `limit` is given. */
export const DEFAULT_LIMIT = 50;

function isTableLike(value: unknown): value is IRunsTableLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { getChild?: unknown }).getChild === 'function'
  );
}

/**
 * Index rows of `runs` (see `CompareRuns`), in the order given, and a note saying what the
 * default picked. Unknown ids or bad references throw one line.
 */
export function pickRuns(
  index: RunsIndex,
  runs: CompareRuns | undefined | null
): { rows: number[]; note: string | null } {
  if (runs === undefined || runs === null) {
    const n = Math.min(DEFAULT_RUNS, index.numRows);
    const note =
      index.numRows > n
        ? `the latest ${n} of ${index.numRows} runs (pass ids, '1:100' or nbx.runs(where) for others)`
        : null;
    return { rows: Array.from({ length: n }, (_, row) => row), note };
  }
  if (typeof runs === 'string') {
    return { rows: apiCall('compare', () => resolveIndexRefs(index, [runs])), note: null };
  }
  if (Array.isArray(runs)) {
    const refs: unknown[] = runs;
    const bad = refs.find(ref => typeof ref !== 'string');
    if (bad !== undefined) {
      throw new NbxApiError('compare', `run references must be strings, got ${typeof bad}`);
    }
    return { rows: refsToRows(index, refs as string[]), note: null };
  }
  if (isTableLike(runs)) {
    const ids = runs.getChild('id');
    if (ids === null) {
      throw new NbxApiError(
        'compare',
        'the table has no id column (pass nbx.runs(...), a sweep table or run ids)'
      );
    }
    const refs = Array.from({ length: ids.length }, (_, i) => String(ids.get(i)));
    return { rows: refsToRows(index, refs), note: null };
  }
  throw new NbxApiError(
    'compare',
    `runs must be run ids, a table from nbx.runs() or nothing, got ${typeof runs}`
  );
}

/** Full ids looked up in one pass; anything else (prefixes, positions) as `nbx compare` resolves it. */
function refsToRows(index: RunsIndex, refs: readonly string[]): number[] {
  const byId = new Map<string, number>();
  for (let row = 0; row < index.numRows; row++) {
    byId.set(index.id(row), row);
  }
  const rows: number[] = [];
  const seen = new Set<number>();
  for (const ref of refs) {
    const row = byId.get(ref) ?? apiCall('compare', () => resolveIndexRefs(index, [ref]))[0];
    if (!seen.has(row)) {
      seen.add(row);
      rows.push(row);
    }
  }
  return rows;
}

function checkOptions(options: unknown): ICompareOptions {
  if (options === undefined) {
    return {};
  }
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new NbxApiError('compare', "options must be an object such as { objective: '-#acc' }");
  }
  const o = options as Record<string, unknown>;
  for (const name of ['where', 'columns', 'sort', 'objective'] as const) {
    if (o[name] !== undefined && typeof o[name] !== 'string') {
      throw new NbxApiError('compare', `${name} must be a string, got ${typeof o[name]}`);
    }
  }
  if (o.limit !== undefined && !(Number.isInteger(o.limit) && (o.limit as number) > 0)) {
    throw new NbxApiError(
      'compare',
      `limit must be a whole number above 0, got ${String(o.limit)}`
    );
  }
  return o as ICompareOptions;
}

function objectiveOf(index: RunsIndex, text: string | undefined): IObjective | null {
  if (text === undefined) {
    return null;
  }
  const objective = parseObjective(text);
  if (objective === null) {
    throw new NbxApiError(
      'compare',
      `invalid objective '${text}' — give one scalar key, such as '#loss' (lowest best) or '-#acc' (highest best)`
    );
  }
  if (index.numRows > 0 && index.column(`#${objective.key}`) === undefined) {
    throw new NbxApiError('compare', `no run has the objective's scalar '${objective.key}'`);
  }
  return objective;
}

/** The objective's column first among the scalars (when the columns are the defaults). */
function objectiveFirst(t: ICompareTable, objective: IObjective | null): ICompareTable {
  const at = t.columns.findIndex(c => c.name === `#${objective?.key}`);
  const first = t.columns.findIndex(c => c.name.startsWith('#'));
  if (objective === null || at <= first) {
    return t;
  }
  const columns = [...t.columns];
  const [column] = columns.splice(at, 1);
  columns.splice(first, 0, column);
  return { ...t, columns };
}

/** The comparison to show (see `nbx.compare`), and the notes under it. */
export function selectView(
  index: RunsIndex,
  runs: CompareRuns | undefined | null,
  rawOptions?: ICompareOptions
): { table: ICompareTable; objective: IObjective | null; notes: string[]; limit: number } {
  const options = checkOptions(rawOptions);
  const objective = objectiveOf(index, options.objective);
  const picked = pickRuns(index, runs);
  const wanted = new Set(whereRows(index, options.where, 'compare'));
  const rows = picked.rows.filter(row => wanted.has(row));
  let table = apiCall('compare', () =>
    selectCompare(index, {
      rows,
      columns: options.columns,
      sort: options.sort ?? objective?.text,
      optionStyle: 'api'
    })
  );
  if (options.columns === undefined) {
    table = objectiveFirst(table, objective);
  }
  const notes: string[] = [];
  if (picked.note !== null) {
    notes.push(picked.note);
  }
  if (index.numRows === 0) {
    notes.push(`no runs yet in ${index.root}`);
  } else if (table.rows.length === 0) {
    notes.push('no runs match');
  }
  return { table, objective, notes, limit: options.limit ?? DEFAULT_LIMIT };
}

/**
 * Shows the comparison of `runs` in the cell's output (see the module comment and
 * `ICompareOptions`); outside a notebook, prints it as text.
 */
export function compare(runs?: CompareRuns | null, options?: ICompareOptions): void {
  const view = selectView(loadIndex(), runs, options);
  const out = openSweepOutput();
  if (out.rich) {
    out.show(renderCompareHtml(view), renderCompareText(view));
  } else {
    out.lines([renderCompareText(view)]);
  }
}
