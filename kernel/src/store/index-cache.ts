/**
 * The runs index on disk: `<root>/cache/runs-index.arrow`, an Arrow IPC file holding the
 * stored table (see index-build), and the scan of the run directories it is checked
 * against. The file is only ever replaced atomically (temp file + rename), so concurrent
 * listings never see a torn cache; the last writer wins and every version is complete.
 * Anything wrong with it (missing, truncated, another format version) means a rebuild.
 *
 * Beside it, `runs-index-core.arrow` holds the same rows with the core and hidden columns
 * only (about a tenth of the bytes with many flags and scalars): a plain `nbx runs` needs
 * nothing else. It names the full file it was written with (inode, size, mtime), so a core
 * file whose full file was replaced since is never used.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { atomicTempPath } from '../base/atomic-write';
import { arrow, type Table, type Vector } from './index-arrow';
import {
  HIDDEN,
  INDEX_FORMAT_VERSION,
  META_SKIPPED,
  META_VERSION,
  type IMetaStat,
  type ISkippedRun
} from './index-build';
import { isCoreColumn } from './index-columns';
import { tableOf } from './index-public';
import { RUN_FILES, isStandbyReserved, isValidRunId } from './run-dir';
import { runsDir } from './root';

/** Directory of caches inside the runs root. */
export const CACHE_DIR = 'cache';
/** File name of the runs index cache. */
export const INDEX_CACHE_FILE = 'runs-index.arrow';

/** File name of the core columns' copy of the runs index cache. */
export const INDEX_CORE_FILE = 'runs-index-core.arrow';
/** Schema metadata of the core file: the stat of the full file it was written with. */
const META_FULL = 'nbx.index.full';

/** `<root>/cache/runs-index.arrow` */
export function indexCachePath(root: string): string {
  return path.join(root, CACHE_DIR, INDEX_CACHE_FILE);
}

/** `<root>/cache/runs-index-core.arrow` */
export function indexCorePath(root: string): string {
  return path.join(root, CACHE_DIR, INDEX_CORE_FILE);
}

/** Removes the cache files (the next listing rebuilds them). */
export function removeIndexCache(root: string): void {
  fs.rmSync(indexCachePath(root), { force: true });
  fs.rmSync(indexCorePath(root), { force: true });
}

/** The identity of a version of the full cache file. */
function fileStamp(st: fs.Stats): string {
  return `${st.ino}:${st.size}:${st.mtimeMs}`;
}

/**
 * The run directories under `<root>/runs` as `scanRunDirs` finds them, by position: typed
 * arrays rather than an object per run, which over 10,000 runs the garbage collector would
 * copy around for nothing.
 */
export interface IRunScan {
  /** `<root>/runs` */
  dir: string;
  ids: string[];
  /** The stat of each run's meta.json; NaN when not stat'ed, or when it cannot be. */
  mtimeMs: Float64Array;
  size: Float64Array;
  ino: Float64Array;
  /** Why a run's meta.json cannot be used, by position. */
  problems: Map<number, string>;
}

/** The path of the meta.json of the run at `i` of `scan`. */
export function scannedMetaPath(scan: IRunScan, i: number): string {
  return scan.dir + path.sep + scan.ids[i] + path.sep + RUN_FILES.meta;
}

/** Why a meta.json cannot be used, for an error from opening or stat'ing it. */
export function problemOf(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') {
    return 'no meta.json';
  }
  // A run's record is a file of its own: a link could list anything as a run.
  return code === 'ELOOP'
    ? 'meta.json is a symbolic link'
    : `cannot read meta.json (${code ?? String(err)})`;
}

/** A scan of `ids` in `dir`, not stat'ed. */
export function unstatedScan(dir: string, ids: string[]): IRunScan {
  const nan = (): Float64Array => new Float64Array(ids.length).fill(NaN);
  return { dir, ids, mtimeMs: nan(), size: nan(), ino: nan(), problems: new Map() };
}

const NO_THROW = { throwIfNoEntry: false } as const;

/**
 * Every run directory under `<root>/runs` (one readdir), with the stat of its meta.json
 * when `stat` is true (one stat per run; nothing is read). Entries that are not run
 * directories (stray files, `.removing-*` leftovers) are left out.
 */
export function scanRunDirs(root: string, stat = true): IRunScan {
  const dir = runsDir(root);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      return unstatedScan(dir, []);
    }
    throw err;
  }
  const ids = names.filter(name => isValidRunId(name));
  const scan = unstatedScan(dir, ids);
  if (!stat) {
    return scan;
  }
  const notRuns = new Set<number>();
  // Read once: `fs` here is the module's namespace object, whose members are getters.
  const lstat = fs.lstatSync;
  const { S_IFMT, S_IFLNK } = fs.constants;
  for (let i = 0; i < ids.length; i++) {
    const file = dir + path.sep + ids[i] + path.sep + RUN_FILES.meta;
    let problem: unknown;
    try {
      const st = lstat(file, NO_THROW);
      if (st !== undefined && (st.mode & S_IFMT) !== S_IFLNK) {
        scan.mtimeMs[i] = st.mtimeMs;
        scan.size[i] = st.size;
        scan.ino[i] = st.ino;
        continue;
      }
      problem = Object.assign(new Error('no meta.json'), {
        code: st === undefined ? 'ENOENT' : 'ELOOP'
      });
    } catch (err) {
      problem = err;
    }
    if (isRunDir(dir + path.sep + ids[i], problem)) {
      scan.problems.set(i, problemOf(problem));
    } else {
      notRuns.add(i);
    }
  }
  if (notRuns.size === 0) {
    return scan;
  }
  const kept = ids.map((_, i) => i).filter(i => !notRuns.has(i));
  const out = unstatedScan(
    dir,
    kept.map(i => ids[i])
  );
  kept.forEach((i, j) => {
    out.mtimeMs[j] = scan.mtimeMs[i];
    out.size[j] = scan.size[i];
    out.ino[j] = scan.ino[i];
    const problem = scan.problems.get(i);
    if (problem !== undefined) {
      out.problems.set(j, problem);
    }
  });
  return out;
}

/**
 * False when opening `<entry>/meta.json` failed because `entry` is not a directory (a stray
 * file) or no longer exists (removed meanwhile): not a run to warn about.
 */
export function isRunDir(entry: string, err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOTDIR') {
    return false;
  }
  if (code === 'ENOENT') {
    return (
      fs.statSync(entry, { throwIfNoEntry: false })?.isDirectory() === true &&
      !isStandbyReserved(entry)
    );
  }
  return true;
}

let readBuffer = Buffer.allocUnsafeSlow(64 * 1024);

/** A meta.json as read: its text and the stat of the very file read. */
export interface IMetaFile {
  text: string;
  stat: IMetaStat;
}

/**
 * Reads a meta.json, taking its stat from the open file (so the stat recorded is that of
 * the version read, even if the file is replaced meanwhile).
 */
export function readMetaFile(file: string): IMetaFile {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  try {
    const st = fs.fstatSync(fd);
    // One buffer for all reads: 10,000s of fresh buffers would keep the GC busy.
    if (readBuffer.length < st.size) {
      readBuffer = Buffer.allocUnsafeSlow(Math.max(st.size, readBuffer.length * 2));
    }
    const buffer = readBuffer;
    let length = 0;
    while (length < st.size) {
      const n = fs.readSync(fd, buffer, length, st.size - length, length);
      if (n === 0) {
        break;
      }
      length += n;
    }
    return {
      text: buffer.toString('utf8', 0, length),
      stat: { mtimeMs: st.mtimeMs, size: st.size, ino: st.ino }
    };
  } finally {
    fs.closeSync(fd);
  }
}

/** A cached index: the stored table and the runs it skipped. */
export interface ICachedIndex {
  table: Table;
  skipped: ISkippedRun[];
  /** The identity of the file read (see `fileStamp`). */
  stamp: string;
}

function isSkippedList(value: unknown): value is ISkippedRun[] {
  return (
    Array.isArray(value) &&
    value.every(
      (s: unknown) =>
        typeof s === 'object' &&
        s !== null &&
        typeof (s as ISkippedRun).id === 'string' &&
        typeof (s as ISkippedRun).reason === 'string' &&
        typeof (s as ISkippedRun).stat === 'object'
    )
  );
}

/** The cached index of `root`, or null when there is none or it is unusable. */
export function readIndexCache(root: string): ICachedIndex | null {
  return readCacheFile(indexCachePath(root));
}

/**
 * The core columns of the cached index of `root` (see the module comment), or null when
 * there are none or they are not those of the current full file.
 */
export function readIndexCore(root: string): ICachedIndex | null {
  const cached = readCacheFile(indexCorePath(root));
  if (!cached) {
    return null;
  }
  try {
    const full = fs.statSync(indexCachePath(root));
    return cached.table.schema.metadata.get(META_FULL) === fileStamp(full) ? cached : null;
  } catch {
    return null;
  }
}

function readCacheFile(file: string): ICachedIndex | null {
  let bytes: Buffer;
  let stamp: string;
  try {
    const fd = fs.openSync(file, 'r');
    try {
      // The stat of the very file read: it may be replaced meanwhile.
      stamp = fileStamp(fs.fstatSync(fd));
      bytes = fs.readFileSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return null;
  }
  try {
    const table = arrow.tableFromIPC(bytes);
    const metadata = table.schema.metadata;
    if (metadata.get(META_VERSION) !== INDEX_FORMAT_VERSION) {
      return null;
    }
    for (const name of ['id', 'status', 'created', ...Object.values(HIDDEN)]) {
      if (!table.getChild(name)) {
        return null;
      }
    }
    // One record batch, as written (a truncated file fails in tableFromIPC or here).
    if (table.batches.length !== 1 || table.batches[0].numRows !== table.numRows) {
      return null;
    }
    const skipped: unknown = JSON.parse(metadata.get(META_SKIPPED) ?? '[]');
    return {
      table,
      skipped: isSkippedList(skipped) ? skipped : [],
      stamp
    };
  } catch {
    return null;
  }
}

/**
 * Replaces the cache files atomically (uniquely named temp files renamed over them), so
 * concurrent readers see the old or the new version, never a mix: the full file first,
 * then the core file naming it. Unlike the run records, they are not fsync'ed: after a
 * crash a torn cache fails validation and is rebuilt. Returns false (leaving any previous
 * cache) when the full file cannot be written, e.g. a read-only runs root: the index
 * still works, uncached.
 */
export function writeIndexCache(root: string, table: Table): boolean {
  const stamp = writeAtomically(indexCachePath(root), table);
  if (stamp === null) {
    return false;
  }
  writeIndexCore(root, table, stamp);
  return true;
}

/**
 * Writes the core file of the full table `table`, read from or written to the full file
 * whose stamp is `stamp`.
 */
export function writeIndexCore(root: string, table: Table, stamp: string): void {
  const fields = table.schema.fields.filter(field => isCoreOrHidden(field.name));
  const metadata = new Map([...table.schema.metadata, [META_FULL, stamp]]);
  writeAtomically(
    indexCorePath(root),
    tableOf(
      fields,
      fields.map(field => table.getChild(field.name) as Vector),
      table.numRows,
      metadata
    )
  );
}

function isCoreOrHidden(name: string): boolean {
  return isCoreColumn(name) || (Object.values(HIDDEN) as string[]).includes(name);
}

/** Writes `table` to `file` through a temp file; the stamp of the file written, or null. */
function writeAtomically(file: string, table: Table): string | null {
  const temp = atomicTempPath(file);
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(temp, arrow.tableToIPC(table, 'file'), { flag: 'wx' });
    // Stat'ed before the rename, which keeps inode, size and mtime: the stamp is that of
    // this version even if another writer replaces the file right after.
    const stamp = fileStamp(fs.statSync(temp));
    fs.renameSync(temp, file);
    return stamp;
  } catch {
    fs.rmSync(temp, { force: true });
    return null;
  }
}
