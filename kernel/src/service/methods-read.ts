/**
 * Service methods that read runs: the runs list (an Arrow table), one run's record,
 * its notebooks and its log.
 */
import * as fs from 'fs';
import { UserError } from '../base/errors';
import { nbxVersion } from '../base/paths';
import { readExecutedNotebook } from '../executor/journal';
import type { JSONObject, JSONValue } from '../base/json';
import { arrow } from '../store/index-arrow';
import { loadRunsIndex, type IIndexColumn, type RunsIndex } from '../store/index';
import { parseScalarColumn } from '../store/index-columns';
import { resolveIndexRefs } from '../store/index-refs';
import type { RunMeta } from '../store/meta';
import {
  compileWhere,
  filterRows,
  parseSort,
  parseStatuses,
  resolveColumn,
  sortRows,
  whereColumns
} from '../store/query';
import { settleDeadRunner } from '../store/dead-runner';
import { listRunIds, listRuns, resolveRunRef, withEffectiveStatus } from '../store/runs';
import { isValidRunId, RunDir } from '../store/run-dir';
import type { IMethodReply, IServiceContext, RequestOf } from './protocol';
import { openRunFile } from './run-file';
import {
  isObject,
  optionalBoolean,
  optionalChoice,
  optionalNumber,
  optionalString,
  optionalStringList,
  ParamError,
  requireString,
  type Params
} from './params';

/** `maxBytes` of `getLogTail` when not given. */
export const LOG_TAIL_DEFAULT_BYTES = 64 * 1024;
/** The largest `maxBytes` of `getLogTail` (larger values are capped). */
export const LOG_TAIL_MAX_BYTES = 16 * 1024 * 1024;

/** The run a request's `id` param names (a full id, a unique prefix or a 1-based index). */
export function runOf(params: Params, context: IServiceContext, name = 'id'): RunDir {
  return resolveRunRef(context.rootFor(params), requireString(params, name));
}

/** Filters, order and shape of a `listRuns` request (see `listRunsMethod`). */
export interface IListRunsQuery {
  /** A `--where` expression, or undefined. */
  where?: string;
  /** Only these runs (ids or unique prefixes), or undefined for all. */
  ids?: string[];
  /** Leave out an id of `ids` that names no run (reported in `missing`) instead of failing. */
  skipMissing?: boolean;
  /** Statuses to keep (any of them), or undefined for all. */
  status?: string[];
  /** A `--sort` spec (`-#acc,started`), or undefined for latest first. */
  sort?: string;
  /** At most this many rows (after filtering and sorting). */
  limit?: number;
  /** Only these columns (names as in the table, or names `--where` resolves), in this order. */
  columns?: string[];
  /** Also send the key metric column (see `keyMetricColumn`). */
  keyMetric: boolean;
}

/** The query params of a `listRuns` request; a `ParamError` says what is wrong. */
export function listRunsQuery(params: Params): IListRunsQuery {
  const where = optionalString(params, 'where');
  const sort = optionalString(params, 'sort');
  const limit = optionalNumber(params, 'limit');
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) {
    throw new ParamError(`parameter 'limit' must be a whole number, not ${limit}`);
  }
  const status = params.status;
  let statuses: string[] | undefined;
  if (typeof status === 'string') {
    statuses = parseStatuses([status]);
  } else if (status !== undefined && status !== null) {
    statuses = parseStatuses(optionalStringList(params, 'status') ?? []);
  }
  return {
    where: where !== undefined && where.trim() !== '' ? where : undefined,
    ids: optionalStringList(params, 'ids'),
    skipMissing: optionalBoolean(params, 'skipMissing') ?? false,
    status: statuses && statuses.length > 0 ? statuses : undefined,
    sort: sort !== undefined && sort.trim() !== '' ? sort : undefined,
    limit,
    columns: optionalStringList(params, 'columns'),
    keyMetric: optionalBoolean(params, 'keyMetric') ?? false
  };
}

/**
 * The key metric of the runs: the first scalar column (`#key`, the last value) whose key
 * is not a system metric (`sys/...`), or null.
 */
export function keyMetricColumn(index: RunsIndex): string | null {
  for (const column of index.columns) {
    if (
      column.family === 'scalar' &&
      parseScalarColumn(column.name)?.stat === 'last' &&
      !column.name.startsWith('#sys/')
    ) {
      return column.name;
    }
  }
  return null;
}

/** What `selectRuns` found: the rows (in order) and the columns to send. */
export interface IRunsSelection {
  rows: number[];
  /** Rows that passed the filters, before `limit`. */
  matched: number;
  columns: string[];
  keyMetric: string | null;
  /** Of the `ids` asked for, those that name no run (deleted since): left out. */
  missing: string[];
}

/**
 * The rows and columns of `index` a query asks for. Bad `where`/`sort` text throws a
 * one-line UserError (`invalid where 'lr >> 1': ...`); unknown `columns` are left out.
 */
export function selectRuns(index: RunsIndex, query: IListRunsQuery): IRunsSelection {
  let rows = filterRows(index, { status: query.status });
  const missing: string[] = [];
  if (query.ids !== undefined) {
    const onMissing = query.skipMissing ? (ref: string) => missing.push(ref) : undefined;
    const wanted = new Set(resolveIndexRefs(index, query.ids, onMissing));
    rows = rows.filter(row => wanted.has(row));
  }
  if (query.where !== undefined) {
    if (index.numRows > 0) {
      const test = compileWhere(index, query.where, 'where');
      rows = rows.filter(row => test(row));
    } else {
      // No columns to resolve names against; still report a syntax error.
      whereColumns(index, query.where, 'where');
    }
  }
  if (query.sort !== undefined && index.numRows > 0) {
    rows = sortRows(index, rows, parseSort(index, query.sort, 'sort'));
  }
  const matched = rows.length;
  if (query.limit !== undefined) {
    rows = rows.slice(0, query.limit);
  }
  const keyMetric = query.keyMetric ? keyMetricColumn(index) : null;
  let columns = index.columns.map(c => c.name);
  if (query.columns !== undefined) {
    const wanted = query.columns
      .map(name => (index.column(name) ? name : resolveColumn(index, name)))
      .filter((name): name is string => name !== null);
    if (keyMetric !== null) {
      wanted.push(keyMetric);
    }
    columns = [...new Set(wanted)];
  }
  return { rows, matched, columns, keyMetric, missing };
}

/** The columns and key metric of the last whole index listed, by runs root. */
const listedColumns = new Map<
  string,
  { columns: readonly IIndexColumn[]; keyMetric: string | null }
>();

/**
 * The Arrow reply to a listing of a few runs by full id (a panel patching the rows of
 * runs that changed): only their meta.json files are read, not the whole root's. It
 * answers with the columns and key metric of the last whole listing of the root, so a
 * panel sees the columns changed only when they did; null (list the whole index instead)
 * when there was none, when a run is gone, when the runs bring a column it lacks, or when
 * `where` names a column they lack.
 */
function listByIds(
  root: string,
  query: IListRunsQuery,
  warnings: string[]
): IMethodReply<'listRuns'> | null {
  const known = listedColumns.get(root);
  const ids = query.ids;
  if (!known || !ids || !ids.every(id => isValidRunId(id))) {
    return null;
  }
  const index = loadRunsIndex(root, { only: ids, onWarning: line => warnings.push(line) });
  if (index.numRows !== new Set(ids).size) {
    // One is gone or unreadable: the whole listing says which, in one line.
    return null;
  }
  const names = new Set(known.columns.map(column => column.name));
  if (!index.columns.every(column => names.has(column.name))) {
    return null;
  }
  let selection: IRunsSelection;
  try {
    selection = selectRuns(index, { ...query, ids: undefined, keyMetric: false });
  } catch {
    return null;
  }
  const keyMetric = query.keyMetric ? known.keyMetric : null;
  const columns =
    keyMetric !== null && index.column(keyMetric) && query.columns !== undefined
      ? [...new Set([...selection.columns, keyMetric])]
      : selection.columns;
  return {
    json: {
      root,
      runs: listRunIds(root).length,
      matched: selection.matched,
      rows: selection.rows.length,
      format: 'arrow',
      warnings,
      columns: known.columns,
      keyMetric,
      missing: []
    },
    buffers: [arrow.tableToIPC(index.select(selection.rows, columns), 'stream')]
  };
}

/**
 * `listRuns({ root?, format?, where?, ids?, status?, sort?, limit?, columns?, keyMetric? })`:
 * the runs, latest first, or as `sort` orders them.
 *
 * Filters (all optional, every given one must hold): `where`, an expression in the
 * `--where` language of `nbx runs` (`lr > 0.001 and #acc >= 0.9`); `ids`, the runs to
 * keep (ids or unique prefixes, as `nbx compare` takes them; an unknown or ambiguous one is
 * a one-line error, but with `skipMissing: true` one that names no run, deleted since it
 * was listed, is left out and named in the result's `missing`); `status`, a status or a
 * list of them. `sort` is a `--sort` spec (`-#acc,started`); `limit` keeps the first
 * rows. A bad `where` or `sort` is an error reply with one line, e.g.
 * `invalid where 'lr >> 1': unexpected '>' at column 5 (expected a value)`.
 *
 * `format: 'arrow'` (default): result `{ root, runs, matched, rows, format: 'arrow',
 * warnings, columns, keyMetric }` and one buffer holding the selected rows of the runs
 * index (see store/index.ts) as an Arrow IPC stream. `runs` counts every run, `matched`
 * those that passed the filters, `rows` those sent. `columns` describes every column of
 * the index (`{ name, family, kind }`); the table holds them all, or only those named by
 * the `columns` param (in that order; unknown names are left out) plus, with
 * `keyMetric: true`, the key metric column, named in `keyMetric` (see `keyMetricColumn`).
 *
 * Full run ids in `ids` (a panel patching the rows of runs that changed) are read alone
 * once the root was listed whole (see `listByIds`).
 *
 * `format: 'json'`: result `{ root, runs, matched, format: 'json', warnings, metas }`
 * with the run records (effective statuses) of the selected runs.
 */
export function listRunsMethod(
  params: RequestOf<'listRuns'>,
  context: IServiceContext
): IMethodReply<'listRuns'> {
  const root = context.rootFor(params);
  const format = optionalChoice(params, 'format', ['arrow', 'json'] as const, 'arrow');
  const query = listRunsQuery(params);
  const filtered =
    query.where !== undefined ||
    query.ids !== undefined ||
    query.status !== undefined ||
    query.sort !== undefined ||
    query.limit !== undefined;
  const warnings: string[] = [];
  const onWarning = (line: string): void => {
    warnings.push(line);
  };
  if (format === 'json' && !filtered) {
    const metas = listRuns(root, { onWarning });
    return { json: { root, runs: metas.length, matched: metas.length, format, warnings, metas } };
  }
  const byIds = format === 'arrow' ? listByIds(root, query, warnings) : null;
  if (byIds !== null) {
    return byIds;
  }
  const index = loadRunsIndex(root, { onWarning });
  const selection = selectRuns(index, query);
  if (format === 'json') {
    const metas: RunMeta[] = [];
    for (const row of selection.rows) {
      const run = new RunDir(root, index.id(row));
      try {
        metas.push(withEffectiveStatus(settleDeadRunner(run, run.readMeta())));
      } catch (err) {
        onWarning(`skipping run ${run.path}: ${(err as Error).message}`);
      }
    }
    return {
      json: {
        root,
        runs: index.numRows,
        matched: selection.matched,
        format,
        warnings,
        metas,
        missing: selection.missing
      }
    };
  }
  if (query.ids === undefined) {
    listedColumns.set(root, { columns: index.columns, keyMetric: keyMetricColumn(index) });
  }
  const everyColumn = selection.columns.length === index.columns.length;
  const bytes =
    !filtered && everyColumn
      ? arrow.tableToIPC(index.table, 'stream')
      : arrow.tableToIPC(index.select(selection.rows, selection.columns), 'stream');
  return {
    json: {
      root,
      runs: index.numRows,
      matched: selection.matched,
      rows: selection.rows.length,
      format,
      warnings,
      columns: index.columns,
      keyMetric: selection.keyMetric,
      missing: selection.missing
    },
    buffers: [bytes]
  };
}

/** `getRun({ id, root? })`: the run's record with its effective status. */
export function getRunMethod(
  params: RequestOf<'getRun'>,
  context: IServiceContext
): IMethodReply<'getRun'> {
  const run = runOf(params, context);
  return { json: withEffectiveStatus(settleDeadRunner(run, readMetaOf(run))) };
}

/** `getNotebook({ id, which?: 'executed' | 'snapshot', root? })`: the nbformat JSON. */
export function getNotebookMethod(
  params: RequestOf<'getNotebook'>,
  context: IServiceContext
): IMethodReply<'getNotebook'> {
  const run = runOf(params, context);
  const which = optionalChoice(params, 'which', ['executed', 'snapshot'] as const, 'executed');
  // The executed notebook of a running run is its file plus the journal of what changed since.
  const open = (file: string): number | null => openRunFile(run, file);
  let json: JSONObject | null;
  try {
    json =
      which === 'executed'
        ? readExecutedNotebook(run.executedPath, run.executedJournalPath, open)
        : readJson(open(run.snapshotPath));
  } catch (err) {
    if (err instanceof SyntaxError) {
      throw new UserError(`the ${which} notebook of run ${run.id.slice(0, 8)} is not valid JSON`);
    }
    throw err;
  }
  if (json === null) {
    throw new UserError(`run ${run.id.slice(0, 8)} has no ${which} notebook yet`);
  }
  return { json };
}

/** The JSON object in an open file (closed afterwards), or null without one. */
function readJson(fd: number | null): JSONObject | null {
  if (fd === null) {
    return null;
  }
  try {
    const json = JSON.parse(fs.readFileSync(fd, 'utf8')) as JSONValue;
    if (!isObject(json)) {
      throw new SyntaxError('not a JSON object');
    }
    return json as JSONObject;
  } finally {
    fs.closeSync(fd);
  }
}

/** What `getLogTail` returns. */
export interface ILogTail {
  /** The last bytes of the log as text (starting at a character boundary). */
  text: string;
  /** Size of the whole log in bytes (0 when there is none yet). */
  size: number;
  /** True when `text` is not the whole log. */
  truncated: boolean;
}

/**
 * `getLogTail({ id, maxBytes?, log?: 'output' | 'kernel', root? })`: the end of the run's
 * console output (`output.log`) or of its kernel/runner log (`kernel.log`).
 */
export function getLogTailMethod(
  params: RequestOf<'getLogTail'>,
  context: IServiceContext
): IMethodReply<'getLogTail'> {
  const run = runOf(params, context);
  const which = optionalChoice(params, 'log', ['output', 'kernel'] as const, 'output');
  const maxBytes = optionalNumber(params, 'maxBytes') ?? LOG_TAIL_DEFAULT_BYTES;
  if (!(maxBytes >= 1)) {
    throw new UserError(`invalid maxBytes ${maxBytes}: give a number of bytes of at least 1`);
  }
  const limit = Math.min(Math.floor(maxBytes), LOG_TAIL_MAX_BYTES);
  const fd = openRunFile(run, which === 'output' ? run.logPath : run.kernelLogPath);
  return { json: fd === null ? { text: '', size: 0, truncated: false } : readTail(fd, limit) };
}

/** The last `maxBytes` of the file open as `fd` (closed after) as UTF-8 text. */
export function readTail(fd: number, maxBytes: number): ILogTail {
  try {
    const size = fs.fstatSync(fd).size;
    const length = Math.min(size, maxBytes);
    const bytes = Buffer.alloc(length);
    let read = 0;
    while (read < length) {
      const n = fs.readSync(fd, bytes, read, length - read, size - length + read);
      if (n === 0) {
        break;
      }
      read += n;
    }
    // Skip UTF-8 continuation bytes a cut in the middle of a character left at the start.
    let start = 0;
    if (length < size) {
      while (start < read && start < 3 && (bytes[start] & 0xc0) === 0x80) {
        start++;
      }
    }
    return { text: bytes.subarray(start, read).toString('utf8'), size, truncated: length < size };
  } finally {
    fs.closeSync(fd);
  }
}

/** `info({ root? })`: the service's runs root, directory, version and pid. */
export function infoMethod(
  params: RequestOf<'info'>,
  context: IServiceContext
): IMethodReply<'info'> {
  return {
    json: {
      root: context.rootFor(params),
      cwd: context.cwd,
      version: nbxVersion(),
      pid: process.pid
    }
  };
}

/**
 * The run's record; a missing or corrupt one, or a `meta.json` that is not a regular file
 * of the run (a symlink), is a one-line `UserError`.
 */
export function readMetaOf(run: RunDir): ReturnType<RunDir['readMeta']> {
  const fd = openRunFile(run, run.metaPath);
  if (fd !== null) {
    fs.closeSync(fd);
  }
  try {
    return run.readMeta();
  } catch (err) {
    throw new UserError(`run ${run.id.slice(0, 8)}: ${(err as Error).message}`);
  }
}
