/**
 * Service methods that read runs: the runs list (an Arrow table), one run's record,
 * its notebooks and its log.
 */
import * as fs from 'fs';
import { UserError } from '../errors';
import { packageVersion } from '../protocol/server-info';
import { arrow } from '../store/index-arrow';
import { loadRunsIndex } from '../store/index';
import { listRuns, resolveRunRef, withEffectiveStatus } from '../store/runs';
import type { RunDir } from '../store/run-dir';
import type { IMethodResult, IServiceContext } from './protocol';
import { optionalChoice, optionalNumber, requireString, type Params } from './params';

/** `maxBytes` of `getLogTail` when not given. */
export const LOG_TAIL_DEFAULT_BYTES = 64 * 1024;
/** The largest `maxBytes` of `getLogTail` (larger values are capped). */
export const LOG_TAIL_MAX_BYTES = 16 * 1024 * 1024;

/** The run a request's `id` param names (a full id, a unique prefix or a 1-based index). */
export function runOf(params: Params, context: IServiceContext, name = 'id'): RunDir {
  return resolveRunRef(context.rootFor(params), requireString(params, name));
}

/**
 * `listRuns({ root?, format? })`: every run, latest first.
 *
 * `format: 'arrow'` (default): result `{ root, runs, format: 'arrow', warnings }` and one
 * buffer holding the runs index (see store/index.ts) as an Arrow IPC stream.
 * `format: 'json'`: result `{ root, runs, format: 'json', warnings, metas }` with the
 * run records (effective statuses).
 */
export function listRunsMethod(params: Params, context: IServiceContext): IMethodResult {
  const root = context.rootFor(params);
  const format = optionalChoice(params, 'format', ['arrow', 'json'] as const, 'arrow');
  const warnings: string[] = [];
  const onWarning = (line: string): void => {
    warnings.push(line);
  };
  if (format === 'json') {
    const metas = listRuns(root, { onWarning });
    return { json: { root, runs: metas.length, format, warnings, metas } };
  }
  const index = loadRunsIndex(root, { onWarning });
  const bytes = arrow.tableToIPC(index.table, 'stream');
  return { json: { root, runs: index.numRows, format, warnings }, buffers: [bytes] };
}

/** `getRun({ id, root? })`: the run's record with its effective status. */
export function getRunMethod(params: Params, context: IServiceContext): IMethodResult {
  const run = runOf(params, context);
  return { json: withEffectiveStatus(readMetaOf(run)) };
}

/** `getNotebook({ id, which?: 'executed' | 'snapshot', root? })`: the nbformat JSON. */
export function getNotebookMethod(params: Params, context: IServiceContext): IMethodResult {
  const run = runOf(params, context);
  const which = optionalChoice(params, 'which', ['executed', 'snapshot'] as const, 'executed');
  const file = which === 'executed' ? run.executedPath : run.snapshotPath;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new UserError(`run ${run.id.slice(0, 8)} has no ${which} notebook yet`);
    }
    throw err;
  }
  try {
    return { json: JSON.parse(text) };
  } catch {
    throw new UserError(`the ${which} notebook of run ${run.id.slice(0, 8)} is not valid JSON`);
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
export function getLogTailMethod(params: Params, context: IServiceContext): IMethodResult {
  const run = runOf(params, context);
  const which = optionalChoice(params, 'log', ['output', 'kernel'] as const, 'output');
  const maxBytes = optionalNumber(params, 'maxBytes') ?? LOG_TAIL_DEFAULT_BYTES;
  if (!(maxBytes >= 1)) {
    throw new UserError(`invalid maxBytes ${maxBytes}: give a number of bytes of at least 1`);
  }
  const limit = Math.min(Math.floor(maxBytes), LOG_TAIL_MAX_BYTES);
  return { json: readTail(which === 'output' ? run.logPath : run.kernelLogPath, limit) };
}

/** The last `maxBytes` of `file` as UTF-8 text; an empty tail when it does not exist. */
export function readTail(file: string, maxBytes: number): ILogTail {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return { text: '', size: 0, truncated: false };
    }
    throw err;
  }
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
export function infoMethod(params: Params, context: IServiceContext): IMethodResult {
  return {
    json: {
      root: context.rootFor(params),
      cwd: context.cwd,
      version: packageVersion(),
      pid: process.pid
    }
  };
}

/** The run's record; a missing or corrupt one is a one-line `UserError`. */
export function readMetaOf(run: RunDir): ReturnType<RunDir['readMeta']> {
  try {
    return run.readMeta();
  } catch (err) {
    throw new UserError(`run ${run.id.slice(0, 8)}: ${(err as Error).message}`);
  }
}
