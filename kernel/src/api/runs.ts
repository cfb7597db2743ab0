/**
 * `nbx.runs()` and `nbx.scalars()`: the runs index and a run's points as Arrow tables in
 * notebook code (see notebook-table for which Arrow), read from the runs root the CLI
 * would use from the kernel's working directory — inside a run, the run's own root (the
 * runner sets `NBX_HOME`). Loaded by `nbx.runs` on first use.
 */
import { loadRunsIndex, type RunsIndex } from '../store/index';
import { arrow } from '../store/index-arrow';
import { float64Vector, utf8Vector } from '../store/index-columns';
import { tableOf } from '../store/index-public';
import { compileWhere, whereColumns } from '../store/query';
import { resolveRunsRoot } from '../store/root';
import { resolveRunRef } from '../store/runs';
import { readScalarColumns } from '../tracking/scalars';
import { apiCall, NbxApiError } from './api-error';
import { notebookTable } from './notebook-arrow';
import type { INbxTable } from './notebook-table';

function warn(message: string): void {
  process.stderr.write(`nbx: warning: ${message}\n`);
}

/** The runs root of this kernel: `$NBX_HOME`, else `.nbx/` of the project around its working directory. */
export function runsRoot(): string {
  return resolveRunsRoot({ cwd: process.cwd(), env: process.env });
}

/** The runs index of this kernel's runs root (warning once per skipped run directory). */
export function loadIndex(): RunsIndex {
  return loadRunsIndex(runsRoot(), { onWarning: warn });
}

/**
 * The rows of `index` matching `where` (the `--where` language), latest first; every row
 * without one. A bad expression throws one line naming the problem and its column, as an
 * error of `nbx.<call>`.
 */
export function whereRows(index: RunsIndex, where: string | undefined, call: string): number[] {
  const all = Array.from({ length: index.numRows }, (_, row) => row);
  if (where === undefined) {
    return all;
  }
  if (typeof where !== 'string') {
    throw new NbxApiError(call, `where must be a string such as 'lr > 0.001', got ${typeof where}`);
  }
  return apiCall(call, () => {
    if (index.numRows === 0) {
      // No columns to resolve names against; a syntax error is still one.
      whereColumns(index, where, 'where');
      return [];
    }
    const keep = compileWhere(index, where, 'where');
    return all.filter(row => keep(row));
  });
}

/**
 * The runs index as an Arrow table, latest first, the runs matching `where` only when it
 * is given (`nbx.runs('status = completed and #acc > 0.9')`). Columns as `nbx runs` names
 * them: `id`, `notebook`, `status`, `label`, `tags`, `created`/`started`/`stopped` (ms
 * since the epoch), `duration` (s), `kind`, `parent`, `=flag`, `.attr`, `#key` (last
 * value), `#key:min`, `#key:max`, `#key:step` (the step of the last value).
 */
export function runs(where?: string): INbxTable {
  const index = loadIndex();
  const rows = whereRows(index, where, 'runs');
  const table =
    rows.length === index.numRows
      ? index.table
      : index.select(
          rows,
          index.columns.map(c => c.name)
        );
  return notebookTable(table);
}

/**
 * Every recorded point of run `run` (an id, an id prefix, or a position in `nbx runs`) as
 * an Arrow table in the order recorded: `key` (text), `step`, `time` (ms since the epoch)
 * and `value` (float64; NaN and infinities as logged), only `key`'s points when it is
 * given. An unknown run or key throws one line (naming the keys the run has).
 */
export function scalars(run: string, key?: string): INbxTable {
  if (typeof run !== 'string') {
    throw new NbxApiError(
      'scalars',
      `the run must be an id, id prefix or position, got ${typeof run}`
    );
  }
  if (key !== undefined && typeof key !== 'string') {
    throw new NbxApiError('scalars', `the key must be a string such as 'loss', got ${typeof key}`);
  }
  const dir = apiCall('scalars', () => resolveRunRef(runsRoot(), run));
  const columns = readScalarColumns(dir.path, { onWarning: warn });
  let wanted = -1;
  if (key !== undefined) {
    const name = key.replace(/^#/, '');
    wanted = columns.keys.indexOf(name);
    if (wanted < 0) {
      const known = [...columns.keys].sort();
      throw new NbxApiError(
        'scalars',
        `run ${dir.id.slice(0, 8)} has no scalar '${name}' (${
          known.length ? `its keys: ${known.join(', ')}` : 'it has no scalars'
        })`
      );
    }
  }
  const picked: number[] = [];
  for (let i = 0; i < columns.length; i++) {
    if (wanted < 0 || columns.key[i] === wanted) {
      picked.push(i);
    }
  }
  const take = (source: Float64Array): Float64Array => Float64Array.from(picked, i => source[i]);
  const vectors = [
    utf8Vector(picked.map(i => columns.keys[columns.key[i]])),
    float64Vector(take(columns.step), null, 0),
    float64Vector(take(columns.time), null, 0),
    float64Vector(take(columns.value), null, 0)
  ];
  const fields = ['key', 'step', 'time', 'value'].map(
    (name, i) => new arrow.Field(name, vectors[i].type, false)
  );
  const metadata = new Map([['nbx.run', dir.id]]);
  return notebookTable(tableOf(fields, vectors, picked.length, metadata));
}
