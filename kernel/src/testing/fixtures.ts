/**
 * Helpers for tests: notebooks written from a few lines of source, temporary
 * projects, and the CLI run as a real process.
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Cell, INotebook } from '../notebook/nbformat';
import type { JSONObject, JSONValue } from '../base/json';
import type { FlagType, IFlagDef } from '../notebook/flags';
import { NBX_CLI, PACKAGE_ROOT } from '../base/paths';

export const FAKE_BIN = path.join(PACKAGE_ROOT, 'kernel', 'test', 'bin');

export type KernelName = 'python3' | 'tslab';

const KERNELSPECS: Record<KernelName, JSONObject> = {
  python3: { name: 'python3', display_name: 'Python 3 (ipykernel)', language: 'python' },
  tslab: { name: 'tslab', display_name: 'TypeScript', language: 'typescript' }
};

/** A code cell; `tags` go to `metadata.tags`. */
export function code(source: string | string[], tags: string[] = []): Cell {
  return {
    cell_type: 'code',
    metadata: tags.length ? { tags } : {},
    source,
    execution_count: null,
    outputs: []
  };
}

export function markdown(source: string): Cell {
  return { cell_type: 'markdown', metadata: {}, source };
}

export function notebook(kernel: KernelName, cells: Cell[]): INotebook {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: KERNELSPECS[kernel] },
    cells: cells.map((c, i) => ({ ...c, id: `cell-${i}` }))
  };
}

const tempDirs: string[] = [];

/** A fresh temporary directory, removed when the process exits. */
export function tempDir(prefix = 'nbx-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  if (tempDirs.length === 0) {
    process.on('exit', () => {
      for (const d of tempDirs) {
        try {
          fs.rmSync(d, { recursive: true, force: true, maxRetries: 3 });
        } catch (err) {
          // A process a test started may still be writing there: leave it, say so.
          process.stderr.write(`could not remove ${d}: ${String(err)}\n`);
        }
      }
    });
  }
  tempDirs.push(dir);
  return dir;
}

/** Writes `nb` as `<dir>/<name>` and returns its path. */
export function writeNotebook(dir: string, name: string, nb: INotebook): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, JSON.stringify(nb, null, 1));
  return file;
}

export interface ICliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Environment for CLI runs in tests: runs under `home`, nothing else changed. */
export function cliEnv(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, NBX_HOME: home, ...extra };
}

/** Runs `nbx args...` to completion. */
export function nbx(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv }
): ICliResult {
  const r: SpawnSyncReturns<string> = spawnSync(process.execPath, [NBX_CLI, ...args], {
    cwd: options.cwd,
    env: options.env,
    encoding: 'utf8',
    timeout: 120_000
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs `nbx args...` asynchronously (so tests can act on it while it runs). */
export function nbxAsync(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv }
): { child: ReturnType<typeof spawn>; done: Promise<ICliResult> } {
  const child = spawn(process.execPath, [NBX_CLI, ...args], {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe']
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', d => (stdout += String(d)));
  child.stderr?.on('data', d => (stderr += String(d)));
  const done = new Promise<ICliResult>(resolve =>
    child.on('close', status => resolve({ status, stdout, stderr }))
  );
  return { child, done };
}

/** Polls `check` every 50 ms until it returns a value other than undefined. */
export async function waitFor<T>(
  check: () => T | undefined,
  timeoutMs: number,
  what: string
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise(resolve => setTimeout(resolve, 50));
  }
}

/** True while a process with this pid exists (zombies excluded). */
export function pidAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** One process as `/proc/<pid>/stat` shows it. */
export interface IProcEntry {
  pid: number;
  ppid: number;
  pgrp: number;
  /** One-letter state: R, S, D, Z (zombie), ... */
  state: string;
  /** Resident set size in pages. */
  rssPages: number;
}

/** Every process of the machine, from /proc (those that exit while it is read are left out). */
export function listProcesses(): IProcEntry[] {
  const entries: IProcEntry[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) {
      continue;
    }
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    // The command name may hold spaces and parentheses: fields start after the last ')'
    // (state, ppid, pgrp, ...; rss is field 24).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    entries.push({
      pid: Number(name),
      state: fields[0],
      ppid: Number(fields[1]),
      pgrp: Number(fields[2]),
      rssPages: Number(fields[21])
    });
  }
  return entries;
}

/** Pids of the live (non-zombie) processes in process group `pgid`, from /proc. */
export function processGroup(pgid: number): number[] {
  return listProcesses()
    .filter(p => p.state !== 'Z' && p.pgrp === pgid)
    .map(p => p.pid);
}

/**
 * Pids of the live processes working in `dir` or below it (their cwd, from /proc, also once
 * removed): a run's runner, its kernel and the kernel's watchdog work in the run directory.
 */
export function processesIn(dir: string): number[] {
  const prefix = `${fs.realpathSync(dir)}${path.sep}`;
  return listProcesses()
    .filter(p => p.state !== 'Z')
    .map(p => p.pid)
    .filter(pid => {
      try {
        return `${fs.readlinkSync(`/proc/${pid}/cwd`)}${path.sep}`.startsWith(prefix);
      } catch {
        return false;
      }
    });
}

/** The command line of a live process, from /proc (empty if it is gone). */
export function processArgv(pid: number): string[] {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1);
  } catch {
    return [];
  }
}

/** Rejects with a clear message if `p` takes longer than `ms`. */
export async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A flag definition as parseFlags returns it, for tests of what consumes flags. */
export function flagDef(name: string, type: FlagType, value: JSONValue): IFlagDef {
  return { name, type, default: value, description: null, cellIndex: 0 };
}
