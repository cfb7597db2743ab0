/**
 * GPUs as `nvidia-smi` reports them: what the system sampler measures and the scheduler
 * reserves (the `--gpus` option itself is read in scheduler/gpu-list).
 *
 * `queryGpus` never throws for a machine without usable GPUs: it resolves to an empty list and
 * a one-line reason (`nvidia-smi not found on PATH`, the driver's own failure message, ...)
 * that callers print, e.g. `no GPUs: nvidia-smi not found on PATH`.
 * On machines without NVIDIA GPUs, `kernel/test/bin/nvidia-smi` is a faithful fake.
 */
import { execFile } from 'child_process';
import { constants as fsConstants, promises as fs } from 'fs';
import * as path from 'path';
import type { IGpuInfo as GpuInfo, IGpuQuery as GpuQueryResult } from '../contract/flags';

// Declared in the service contract (the run dialog lists the GPUs).
export type { GpuInfo, GpuQueryResult };

/** Options of {@link queryGpus}. */
export interface IQueryGpusOptions {
  /** Environment to run nvidia-smi in; its `PATH` is searched. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** How long nvidia-smi may take, in milliseconds (default 5000). */
  timeoutMs?: number;
}

/** The fields `queryGpus` asks nvidia-smi for, in order. */
export const NVIDIA_SMI_FIELDS = [
  'index',
  'uuid',
  'name',
  'memory.total',
  'memory.used',
  'utilization.gpu',
  'power.draw'
] as const;

/** The reason reported when nvidia-smi is not installed. */
export const NVIDIA_SMI_NOT_FOUND = 'nvidia-smi not found on PATH';

const DEFAULT_TIMEOUT_MS = 5000;

/**
 * Lists the GPUs with `nvidia-smi --query-gpu=... --format=csv`.
 *
 * Resolves to `{ gpus: [], reason }` when nvidia-smi is not on the `PATH` of `options.env`,
 * exits non-zero (the reason is the first line it printed, e.g. `NVIDIA-SMI has failed because
 * it couldn't communicate with the NVIDIA driver. ...`), times out, or prints something that is
 * not the expected CSV. Never rejects.
 */
export async function queryGpus(options: IQueryGpusOptions = {}): Promise<GpuQueryResult> {
  const env = options.env ?? process.env;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const executable = await findOnPath('nvidia-smi', env);
  if (executable === null) {
    return none(NVIDIA_SMI_NOT_FOUND);
  }
  const args = [`--query-gpu=${NVIDIA_SMI_FIELDS.join(',')}`, '--format=csv'];
  const run = await runFile(executable, args, env, timeoutMs);
  if (run.timedOut) {
    return none(`nvidia-smi did not answer within ${formatSeconds(timeoutMs)}`);
  }
  if (run.spawnError !== null) {
    return none(`nvidia-smi could not be run: ${run.spawnError}`);
  }
  if (run.exitCode !== 0) {
    const line = firstLine(run.stderr) ?? firstLine(run.stdout);
    const status =
      run.signal !== null ? `was killed by ${run.signal}` : `exited with ${run.exitCode}`;
    return none(line ?? `nvidia-smi ${status}`);
  }
  let gpus: GpuInfo[];
  try {
    gpus = parseGpuCsv(run.stdout);
  } catch (err) {
    return none(err instanceof Error ? err.message : String(err));
  }
  return gpus.length > 0 ? { gpus, reason: null } : none('nvidia-smi listed no GPUs');
}

/**
 * Parses the output of `nvidia-smi --query-gpu=... --format=csv` (with its header line).
 *
 * Columns are found by header name with the unit removed (`memory.total [MiB]` is
 * `memory.total`), so any field order works; `index`, `uuid` and `name` are required, the
 * measurements are optional. Values lose their unit suffix (`40960 MiB` is 40960); bracketed
 * markers such as `[N/A]` or `[Not Supported]`, and anything else that is not a number, are
 * `null`. Throws an `Error` naming the output when it is not such a table.
 */
export function parseGpuCsv(csv: string): GpuInfo[] {
  const lines = csv
    .split(/\r?\n/)
    .map(line => line.trim())
    .filter(line => line !== '');
  if (lines.length === 0) {
    return [];
  }
  const unexpected = (line: string): Error =>
    new Error(`unexpected nvidia-smi output: ${truncate(line, 120)}`);
  const header = splitCsvRow(lines[0]).map(cell => cell.replace(/\s*\[[^\]]*\]$/, ''));
  const column = (field: string): number => header.indexOf(field);
  const indexCol = column('index');
  const uuidCol = column('uuid');
  const nameCol = column('name');
  if (indexCol < 0 || uuidCol < 0 || nameCol < 0) {
    throw unexpected(lines[0]);
  }
  const numberAt = (row: string[], field: string): number | null => {
    const col = column(field);
    return col < 0 ? null : parseMeasurement(row[col]);
  };
  return lines.slice(1).map(line => {
    const row = splitCsvRow(line);
    // nvidia-smi does not quote: a comma in a product name splits it into more cells.
    const extra = row.length - header.length;
    if (extra > 0) {
      row.splice(nameCol, extra + 1, row.slice(nameCol, nameCol + extra + 1).join(', '));
    }
    const index = row[indexCol];
    if (row.length !== header.length || !/^\d+$/.test(index)) {
      throw unexpected(line);
    }
    return {
      index: Number(index),
      uuid: row[uuidCol],
      name: row[nameCol],
      memoryTotalMiB: numberAt(row, 'memory.total'),
      memoryUsedMiB: numberAt(row, 'memory.used'),
      utilizationPct: numberAt(row, 'utilization.gpu'),
      powerW: numberAt(row, 'power.draw')
    };
  });
}

/** The outcome of running a program to completion. */
interface IFileRun {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** Why the program could not be started (`EACCES: ...`), if it could not. */
  spawnError: string | null;
}

function runFile(
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number
): Promise<IFileRun> {
  return new Promise(resolve => {
    execFile(
      file,
      args,
      { env, timeout: timeoutMs, killSignal: 'SIGKILL', windowsHide: true, encoding: 'utf8' },
      (error, stdout, stderr) => {
        const run: IFileRun = {
          exitCode: 0,
          signal: null,
          stdout,
          stderr,
          timedOut: false,
          spawnError: null
        };
        if (error !== null) {
          if (typeof error.code === 'string') {
            run.spawnError = `${error.code}: ${error.message}`;
          }
          run.exitCode = typeof error.code === 'number' ? error.code : null;
          run.signal = error.signal ?? null;
          run.timedOut = error.killed === true && error.signal === 'SIGKILL';
        }
        resolve(run);
      }
    );
  });
}

/** The path of an executable `command` in `env.PATH`, or `null`. */
async function findOnPath(command: string, env: NodeJS.ProcessEnv): Promise<string | null> {
  const searchPath = env.PATH ?? env.Path ?? '';
  const extensions =
    process.platform === 'win32' ? (env.PATHEXT ?? '.EXE;.CMD;.BAT;.COM').split(';') : [''];
  for (const dir of searchPath.split(path.delimiter)) {
    if (dir === '') {
      continue;
    }
    for (const extension of extensions) {
      const candidate = path.join(dir, command + extension);
      if (await isExecutableFile(candidate)) {
        return candidate;
      }
    }
  }
  return null;
}

async function isExecutableFile(file: string): Promise<boolean> {
  try {
    const stat = await fs.stat(file);
    if (!stat.isFile()) {
      return false;
    }
    await fs.access(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function none(reason: string): GpuQueryResult {
  return { gpus: [], reason };
}

function splitCsvRow(line: string): string[] {
  return line.split(',').map(cell => cell.trim());
}

/** `40960 MiB` → 40960, `61.22 W` → 61.22, `[N/A]` → null. */
function parseMeasurement(value: string | undefined): number | null {
  const match = value === undefined ? null : /^(-?\d+(?:\.\d+)?)(?:\s*[A-Za-z%/]+)?$/.exec(value);
  return match === null ? null : Number(match[1]);
}

function firstLine(text: string): string | null {
  const line = text.split(/\r?\n/).find(l => l.trim() !== '');
  return line === undefined ? null : line.trim();
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
