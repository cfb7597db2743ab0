/**
 * tslab's startup snapshot: a V8 heap holding TypeScript with the standard library's
 * declaration files already parsed and bound (see kernel/bin/tslab-snapshot-entry.js), which
 * a tslab kernel starts from instead of building them, the bulk of its start.
 *
 * The kernelspec runs `node kernel/bin/tslab-kernel.js kernel ...` and Node reads a snapshot
 * only from its own command line, so when a usable snapshot exists the launcher relays: it
 * starts `node --snapshot-blob <blob> tslab-kernel.js <same arguments>` as its child (the
 * kernel), forwards the signals it gets to the child's process group and exits as the child
 * does. The child writes one byte on a pipe (fd 3) once it runs, and kills its process group
 * when that pipe closes (the launcher was killed, even by SIGKILL), so it never outlives it.
 *
 * Built once per key (tslab, TypeScript, this entry script, the node binary and its flags,
 * which V8 checks) into the code cache's directory, in the background by the first kernel
 * that finds none (which starts as before), written to a temporary file and renamed.
 * Every failure falls back to the start without it, with one line on stderr (the kernel's
 * log): no snapshot yet, a build that failed (`<blob>.failed`, not tried again for its
 * key), a child that died before running (its snapshot is removed), a snapshot of another
 * key. `NBX_TSLAB_SNAPSHOT=0` turns it off.
 *
 * nbx starts its own kernels without the relay when it can (`directSnapshotArgv`): it puts
 * `--snapshot-blob` on the command line itself, which saves a Node start per kernel (about
 * 0.1 s of CPU, a tenth of a trial of a sweep). Such a kernel has no pipe to report on; a
 * start from it that dies before the kernel is ready is made again through the relay, which
 * removes a snapshot that does not load.
 */
import { spawn } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import Module from 'module';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

import { keepNewest } from '../base/keep-newest';
import { codeCacheDir } from './code-cache';

/** What the snapshot's builder leaves in the heap (kernel/bin/tslab-snapshot-entry.js). */
export interface IPreparedTypeScript {
  key: string;
  tsFile: string;
  ts: unknown;
  /** How many declaration files are prepared. */
  files: number;
  /** Lookups of prepared files that matched / did not (same name, other text or options). */
  counts: { hits: number; misses: number };
}

/** Where the snapshot of one tslab install is and what it must have been built for. */
export interface ISnapshotPlan {
  key: string;
  blob: string;
  tslabDir: string;
  tsFile: string;
}

/** nbx's tslab launcher, which the tslab and jslab kernelspecs nbx installs run. */
const LAUNCHER = path.join(__dirname, '..', '..', 'bin', 'tslab-kernel.js');
/** The script `node --build-snapshot` runs. */
export const SNAPSHOT_ENTRY = path.join(__dirname, '..', '..', 'bin', 'tslab-snapshot-entry.js');
const BUILD_SCRIPT = path.join(__dirname, 'tslab-snapshot-build.js');
const PREPARED = Symbol.for('nbx.tslabSnapshot');
/** The signals the relay passes on (SIGKILL and SIGSTOP cannot be caught: see the pipe). */
const RELAYED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];
/** A build older than this whose lock is still there is taken as dead. */
const BUILD_LOCK_MS = 10 * 60_000;

/** The code cache's directory for the tslab in `tslabDir`; its snapshots go there too. */
export function tslabCacheDir(tslabDir: string, env: NodeJS.ProcessEnv = process.env): string {
  const { version } = JSON.parse(fs.readFileSync(path.join(tslabDir, 'package.json'), 'utf8')) as {
    version: string;
  };
  return codeCacheDir(`tslab-${version}`, env);
}

/** False when `NBX_TSLAB_SNAPSHOT=0`. */
export function snapshotEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.NBX_TSLAB_SNAPSHOT !== '0';
}

/** The TypeScript this process holds from its startup snapshot, if it started from one. */
export function preparedTypeScript(): IPreparedTypeScript | undefined {
  return (globalThis as Record<symbol, IPreparedTypeScript | undefined>)[PREPARED];
}

/**
 * The snapshot a kernel of the tslab in `tslabDir` would start from, under `cacheDir`, when
 * started with node flags `flags` (this process's by default).
 */
export function snapshotPlan(
  tslabDir: string,
  cacheDir: string,
  env: NodeJS.ProcessEnv = process.env,
  flags: readonly string[] = nodeFlags()
): ISnapshotPlan {
  // tslab 1.x compiles with its own build of TypeScript (a single file).
  const tsFile = require.resolve('@tslab/typescript-for-tslab', {
    paths: [path.join(tslabDir, 'dist')]
  });
  const stamp = (file: string): string => {
    const st = fs.statSync(file);
    return `${file}:${st.size}:${st.mtimeMs}`;
  };
  const key = JSON.stringify([
    stamp(path.join(tslabDir, 'package.json')),
    stamp(path.join(tslabDir, 'dist', 'converter.js')),
    stamp(tsFile),
    stamp(SNAPSHOT_ENTRY),
    stamp(process.execPath),
    process.version,
    process.arch,
    flags,
    env.NODE_OPTIONS ?? '',
    // Read once by TypeScript as it loads, so in the snapshot as the builder had them.
    env.TSC_WATCHFILE ?? '',
    env.TSC_NONPOLLING_WATCHER ?? '',
    env.TSC_WATCHDIRECTORY ?? ''
  ]);
  const hash = (text: string): string => createHash('sha1').update(text).digest('hex').slice(0, 12);
  // Named by the install, then the key (see pruneSnapshots for how many are kept).
  const blob = path.join(cacheDir, `startup-${hash(tslabDir)}-${hash(key)}.blob`);
  return { key, blob, tslabDir, tsFile };
}

/** This node's flags, as the relay passes them on (without the snapshot it adds). */
function nodeFlags(): string[] {
  const flags = process.execArgv;
  const at = flags.indexOf('--snapshot-blob');
  return at < 0 ? flags : [...flags.slice(0, at), ...flags.slice(at + 2)];
}

/**
 * In a kernel started from a snapshot: takes `--snapshot-blob` out of `process.execArgv`, so
 * code in the kernel sees the node flags of its kernelspec, as in a kernel started without
 * the snapshot, and a process it forks (`child_process.fork` passes `execArgv` on) starts as
 * Node usually does, not from tslab's 45 MB snapshot.
 */
export function hideSnapshotFlag(): void {
  process.execArgv.splice(0, process.execArgv.length, ...nodeFlags());
}

/**
 * In a kernel started from a snapshot: makes `require` of TypeScript from tslab return the
 * prepared instance. Null when done, else why not (a snapshot of another key).
 */
export function adoptPreparedTypeScript(
  prepared: IPreparedTypeScript,
  plan: ISnapshotPlan
): string | null {
  if (prepared.key !== plan.key || prepared.tsFile !== plan.tsFile) {
    return 'the startup snapshot was built for another tslab, TypeScript or node';
  }
  const M = Module as unknown as { _nodeModulePaths(dir: string): string[] };
  const mod = new Module(plan.tsFile);
  mod.filename = plan.tsFile;
  mod.paths = M._nodeModulePaths(path.dirname(plan.tsFile));
  mod.exports = prepared.ts;
  mod.loaded = true;
  // The one other thing TypeScript took from the builder's process as it loaded.
  (prepared.ts as { sys: { args: string[] } }).sys.args = process.argv.slice(2);
  require.cache[plan.tsFile] = mod;
  return null;
}

/**
 * In the relay's child: tells the relay it runs (one byte on fd 3), and kills this
 * process group when the relay is gone.
 */
export function reportToRelay(): void {
  // Started by nbx straight from the snapshot, fd 3 is no pipe of a relay (or not open).
  try {
    if (!fs.fstatSync(3).isSocket()) {
      return;
    }
  } catch {
    return;
  }
  let pipe: net.Socket;
  try {
    pipe = new net.Socket({ fd: 3, readable: true, writable: true });
  } catch {
    return; // not started by the relay
  }
  const orphaned = (): void => {
    process.kill(0, 'SIGKILL');
  };
  pipe.on('end', orphaned);
  pipe.on('error', orphaned);
  pipe.write('1');
  pipe.resume();
  pipe.unref();
}

/**
 * Runs this script (`script`, with this process's arguments) as a kernel started from
 * `blob`, and exits as it does. When that child dies before it runs, removes the blob and
 * calls `fallback` (this process then starts the kernel itself).
 */
export function relayToSnapshot(blob: string, script: string, fallback: () => void): void {
  const child = spawn(
    process.execPath,
    [...nodeFlags(), '--snapshot-blob', blob, script, ...process.argv.slice(2)],
    // Its own process group: a signal to ours reaches it once, through the relay.
    { stdio: ['inherit', 'inherit', 'inherit', 'pipe'], detached: true }
  );
  let running = false;
  let stopping: NodeJS.Signals | null = null;
  const relay = (signal: NodeJS.Signals): void => {
    if (signal !== 'SIGINT' && signal !== 'SIGUSR1' && signal !== 'SIGUSR2') {
      stopping = signal;
    }
    if (child.pid === undefined) {
      return; // not started ('error' follows)
    }
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  };
  for (const signal of RELAYED) {
    process.on(signal, relay);
  }
  // Whether the child wrote its byte: known at the byte, or at the pipe's end when it died
  // before (nothing else holds the child's end then: it started nothing).
  const pipe = child.stdio[3];
  const ran = new Promise<boolean>(resolve => {
    pipe?.once('data', () => resolve(true));
    pipe?.once('end', () => resolve(false));
    pipe?.once('error', () => resolve(false));
    if (!pipe) {
      resolve(false);
    }
  });
  void ran.then(yes => {
    running = yes;
  });
  let done = false;
  const finish = async (code: number | null, signal: NodeJS.Signals | null): Promise<void> => {
    if (done) {
      return;
    }
    done = true;
    running = running || (await ran);
    for (const s of RELAYED) {
      process.removeListener(s, relay);
    }
    pipe?.destroy();
    if (!running && stopping === null) {
      process.stderr.write(
        `nbx: the kernel did not start from tslab's startup snapshot (${
          signal ?? `exit code ${code}`
        }); removed it, starting without\n`
      );
      fs.rmSync(blob, { force: true });
      fallback();
      return;
    }
    if (signal !== null) {
      // As the child died (no listener is left for it).
      process.kill(process.pid, signal);
      return;
    }
    process.exit(code ?? 1);
  };
  child.once('error', () => void finish(1, null));
  child.once('exit', (code, signal) => void finish(code, signal));
}

/** The startup snapshot a kernelspec's command starts its kernels from (see `snapshotFor`). */
export interface ISnapshotFor {
  blob: string;
  /** The node flags before the launcher, which the snapshot is built for. */
  flags: string[];
  /** Where the launcher's script is in the command. */
  script: number;
}

/**
 * The startup snapshot kernels of `argv` (a kernelspec's command line) start from, built or
 * not: when `argv` runs nbx's tslab launcher with this process's Node and snapshots are on
 * in `env` (the kernel's environment). Null otherwise.
 */
export function snapshotFor(argv: readonly string[], env: NodeJS.ProcessEnv): ISnapshotFor | null {
  if (!snapshotEnabled(env) || argv.length < 2 || !sameFile(argv[0], process.execPath)) {
    return null;
  }
  const script = argv.findIndex((arg, i) => i > 0 && !arg.startsWith('-'));
  const flags = argv.slice(1, script);
  if (script < 0 || path.resolve(argv[script]) !== LAUNCHER || flags.includes('--snapshot-blob')) {
    return null;
  }
  try {
    const tslabDir = path.dirname(require.resolve('tslab/package.json'));
    return {
      blob: snapshotPlan(tslabDir, tslabCacheDir(tslabDir, env), env, flags).blob,
      flags,
      script
    };
  } catch {
    return null;
  }
}

/**
 * The command starting the kernel of `argv` (a kernelspec's command line, substituted)
 * straight from tslab's startup snapshot, without the relay: when its snapshot
 * (`snapshotFor`) is built. Null otherwise: the command is run as it is, and the launcher
 * decides.
 */
export function directSnapshotArgv(
  argv: readonly string[],
  env: NodeJS.ProcessEnv
): string[] | null {
  const snapshot = snapshotFor(argv, env);
  if (
    snapshot === null ||
    !fs.existsSync(snapshot.blob) ||
    fs.existsSync(failedMarker(snapshot.blob))
  ) {
    return null;
  }
  const { blob, flags, script } = snapshot;
  return [argv[0], ...flags, '--snapshot-blob', blob, ...argv.slice(script)];
}

/** True when both paths name the same existing file. */
function sameFile(a: string, b: string): boolean {
  try {
    return path.isAbsolute(a) && fs.realpathSync(a) === fs.realpathSync(b);
  } catch {
    return false;
  }
}

/** Startup snapshots kept in a cache directory (about 45 MB each): the most recently used. */
export const KEPT_SNAPSHOTS = 3;

/** Marks `blob` as just used, for `pruneSnapshots` (its mtime; nothing reads it otherwise). */
export function touchSnapshot(blob: string): void {
  try {
    const now = new Date();
    fs.utimesSync(blob, now, now);
  } catch {
    // removed meanwhile: the next start builds it again
  }
}

/**
 * Removes the startup snapshots of `dir` but the `keep` most recently used, `current` among
 * them: those of tslab installs since removed, upgraded or started with other node flags.
 * A kernel starting from a removed one meanwhile has it open, or starts without it.
 * Returns the names removed.
 */
export function pruneSnapshots(dir: string, current: string, keep = KEPT_SNAPSHOTS): string[] {
  const others = fs
    .readdirSync(dir)
    .filter(
      name =>
        name.startsWith('startup-') && name.endsWith('.blob') && name !== path.basename(current)
    );
  return keepNewest(dir, others, keep - 1);
}

/** The file a failed build leaves beside the blob it could not write (saying why). */
export function failedMarker(blob: string): string {
  return `${blob}.failed`;
}

/** How a failed build's line (on stderr, and in its marker) begins. */
export const FAILED_PREFIX = "nbx: tslab's startup snapshot: ";

/** Why the build of `blob` failed, from its marker; null when none failed. */
export function failedReason(blob: string): string | null {
  try {
    const text = fs.readFileSync(failedMarker(blob), 'utf8').trim();
    return text.startsWith(FAILED_PREFIX) ? text.slice(FAILED_PREFIX.length) : text;
  } catch {
    return null;
  }
}

/**
 * The niceness of a background build: 19, or `$NBX_TSLAB_SNAPSHOT_NICE` (0–19). Tests on a
 * loaded machine set 0: at 19 beside two busy processes a build gets a few percent of a
 * core and takes many minutes.
 */
export function buildNiceness(env: NodeJS.ProcessEnv): number {
  const nice = Number(env.NBX_TSLAB_SNAPSHOT_NICE ?? 19);
  return Number.isInteger(nice) && nice >= 0 && nice <= 19 ? nice : 19;
}

/**
 * Starts building the snapshot of `plan` in a detached, low-priority process, unless
 * another is at it (a lock file beside the blob) or one failed for this key.
 */
export function buildInBackground(plan: ISnapshotPlan): boolean {
  const lock = `${plan.blob}.lock`;
  if (fs.existsSync(failedMarker(plan.blob))) {
    return false;
  }
  try {
    fs.mkdirSync(path.dirname(plan.blob), { recursive: true, mode: 0o700 });
    try {
      if (Date.now() - fs.statSync(lock).mtimeMs > BUILD_LOCK_MS) {
        fs.rmSync(lock, { force: true });
      }
    } catch {
      // no lock
    }
    fs.writeFileSync(lock, `${process.pid}\n`, { flag: 'wx' });
  } catch {
    return false;
  }
  const child = spawn(
    process.execPath,
    [...nodeFlags(), BUILD_SCRIPT, plan.tslabDir, plan.blob, lock],
    { detached: true, stdio: 'ignore', cwd: os.tmpdir() }
  );
  child.once('error', () => fs.rmSync(lock, { force: true }));
  if (child.pid !== undefined) {
    try {
      os.setPriority(child.pid, buildNiceness(process.env));
    } catch {
      // runs at normal priority
    }
  }
  child.unref();
  return true;
}
