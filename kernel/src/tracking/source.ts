/**
 * The source snapshot of a run: the text and code files beside the notebook, copied into the
 * run directory at the same relative paths, and a digest that identifies them.
 *
 * Everything else beside the notebook (data, large or binary files, `node_modules/`, ignored
 * files, directories holding no copied file) is symlinked, so that relative paths used by the
 * notebook keep working from the run directory, its working directory.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { findProjectDir } from '../store/root';
import { isReservedRunFile } from '../store/run-dir';
import { Gitignore } from './gitignore';

/** Files larger than this are linked, not copied (1 MiB). */
export const MAX_SOURCE_FILE_BYTES = 1024 * 1024;
/** At most this many files are copied per run; the rest are linked. */
export const MAX_SOURCE_FILES = 2000;
/** At most this many bytes are copied per run (50 MiB); the rest are linked. */
export const MAX_SOURCE_BYTES = 50 * 1024 * 1024;
/**
 * Directory entries looked at, at most: past it nothing more is copied or descended into (a
 * notebook in a home directory must not walk all of it).
 */
export const MAX_SOURCE_ENTRIES = 20_000;
/** Bytes inspected for a NUL byte to tell binary files from text. */
export const BINARY_PROBE_BYTES = 8192;

/** Directories never copied from, at any depth (they are linked instead). */
export const SKIPPED_SOURCE_DIRS: readonly string[] = [
  '.nbx',
  'node_modules',
  '.git',
  '.ipynb_checkpoints',
  '__pycache__',
  '.venv'
];

/** Names neither copied nor linked, at any depth: VCS data and runs roots. */
const NEVER_LINKED = new Set(['.git', '.nbx']);

/** Options of {@link snapshotSource}. */
export interface ISnapshotOptions {
  /**
   * The notebook's bytes for the digest. Default: the file at `notebookPath` as it is on disk
   * (before flags are injected, so the trials of a sweep share one digest).
   */
  notebook?: Uint8Array | string;
  /** The runs root: never copied or linked (the run directory itself is skipped as well). */
  runsRoot?: string;
  /**
   * Where the search for `.gitignore` files above the notebook's directory stops. Default: the
   * git work tree root above the notebook, else its project directory (`findProjectDir`).
   */
  ignoreRoot?: string;
  /** Default {@link MAX_SOURCE_FILES}. */
  maxFiles?: number;
  /** Default {@link MAX_SOURCE_BYTES}. */
  maxBytes?: number;
  /** Default {@link MAX_SOURCE_FILE_BYTES}. */
  maxFileBytes?: number;
  /** Default {@link MAX_SOURCE_ENTRIES}. */
  maxEntries?: number;
}

/** What {@link snapshotSource} did. */
export interface ISourceSnapshot {
  /** Copied files, `/`-separated paths relative to the notebook's directory, sorted. */
  files: string[];
  /** Symlinks created in the run directory, relative paths, sorted. */
  linked: string[];
  /** Bytes copied. */
  bytes: number;
  /** The source digest (64 hex digits), see {@link sourceDigest}. */
  digest: string;
  /** One-line messages for the runner to print (e.g. the copy cap was reached). */
  warnings: string[];
}

/** One input of the source digest. */
export interface IDigestEntry {
  /** `/`-separated path relative to the notebook's directory. */
  path: string;
  /** sha256 of the file's bytes, 64 lowercase hex digits. */
  sha256: string;
}

/**
 * The source digest: sha256 (lowercase hex) of the lines `<sha256 of content>  <path>\n`
 * (two spaces; `sha256sum`'s format), one per entry, sorted by the UTF-8 bytes of the path.
 * The entries are the copied files plus the notebook under its own file name. Modification
 * times, permissions and copy order do not enter it. For files of plain names it equals
 * `sha256sum <files> | LC_ALL=C sort -k 2 | sha256sum` run in the notebook's directory.
 */
export function sourceDigest(entries: readonly IDigestEntry[]): string {
  const sorted = entries
    .map(entry => ({ entry, key: Buffer.from(entry.path, 'utf8') }))
    .sort((a, b) => Buffer.compare(a.key, b.key));
  const hash = createHash('sha256');
  for (const { entry } of sorted) {
    hash.update(`${entry.sha256}  ${entry.path}\n`, 'utf8');
  }
  return hash.digest('hex');
}

/**
 * Snapshots the sources beside `notebookPath` into the run directory `runPath` (which must
 * exist), recursively: a regular file is copied, at the same relative path and with its
 * permission bits, when it is at most 1 MiB, has no NUL byte in its first 8 KiB, is not excluded
 * by a `.gitignore` (those of the notebook's directory and below, and those above it up to the
 * git root or project directory, plus `.git/info/exclude`), is not under one of
 * {@link SKIPPED_SOURCE_DIRS} (the notebook's own directory counts as not excluded even when
 * a `.gitignore` above excludes it: its sources are still recorded), and no cap is reached: 2,000 files, 50 MiB, 20,000 directory
 * entries looked at. Once one is, copying and descending stop (the warning says so). Directories
 * are walked in name order, so a cap always keeps the same files.
 *
 * Every entry not copied is symlinked (absolute target) inside each directory the snapshot
 * creates: a directory holding no copied file is one link. Never copied nor linked: the notebook
 * itself (the runner writes `snapshot.ipynb`), the names the run directory reserves (top
 * level), `.git`, `.nbx`, the runs root and the run directory. Symlinks in the tree are linked,
 * never followed. A name the run directory already has is left as it is.
 *
 * Unreadable sources are linked, not fatal; failures to write into `runPath` throw.
 */
export function snapshotSource(
  notebookPath: string,
  runPath: string,
  options: ISnapshotOptions = {}
): ISourceSnapshot {
  const notebookFile = path.resolve(notebookPath);
  const sourceDir = path.dirname(notebookFile);
  const runDir = path.resolve(runPath);
  const limits = {
    files: options.maxFiles ?? MAX_SOURCE_FILES,
    entries: options.maxEntries ?? MAX_SOURCE_ENTRIES,
    bytes: options.maxBytes ?? MAX_SOURCE_BYTES,
    fileBytes: options.maxFileBytes ?? MAX_SOURCE_FILE_BYTES
  };
  const excluded = new Set([runDir]);
  if (options.runsRoot !== undefined) {
    excluded.add(path.resolve(options.runsRoot));
  }
  const state: IWalkState = {
    sourceDir,
    runDir,
    notebookName: path.basename(notebookFile),
    excluded,
    limits,
    files: [],
    linked: [],
    entries: [],
    bytes: 0,
    visited: 0,
    cap: null,
    madeDirs: new Set([runDir])
  };
  const top = ancestorIgnores(sourceDir, options.ignoreRoot);
  walk(state, sourceDir, '', top.matcher, top.prefix);

  const notebookBytes =
    options.notebook === undefined ? fs.readFileSync(notebookFile) : options.notebook;
  const entries = [...state.entries, { path: state.notebookName, sha256: sha256(notebookBytes) }];
  const warnings: string[] = [];
  if (state.cap !== null) {
    warnings.push(
      `source snapshot stopped at its cap of ${state.cap} (${state.files.length} files, ` +
        `${formatBytes(state.bytes)} copied): the other files are linked, not copied`
    );
  }
  return {
    files: state.files.sort(),
    linked: state.linked.sort(),
    bytes: state.bytes,
    digest: sourceDigest(entries),
    warnings
  };
}

interface IWalkState {
  sourceDir: string;
  runDir: string;
  notebookName: string;
  excluded: Set<string>;
  limits: { files: number; entries: number; bytes: number; fileBytes: number };
  files: string[];
  linked: string[];
  entries: IDigestEntry[];
  bytes: number;
  /** Directory entries looked at. */
  visited: number;
  /** The cap reached (`2000 files`, `50 MiB`, `20000 directory entries`), or null. */
  cap: string | null;
  /** Directories known to exist in the run directory. */
  madeDirs: Set<string>;
}

/**
 * Snapshots `dir` (`rel` from the notebook's directory, `''` for it). `parentMatcher` holds
 * the `.gitignore` layers above `dir`; its paths are `rel` under `ignorePrefix`. Returns the number of
 * files copied under `dir`; when that is 0 for a subdirectory, the caller links it instead.
 */
function walk(
  state: IWalkState,
  dir: string,
  rel: string,
  parentMatcher: Gitignore,
  ignorePrefix: string
): number {
  let dirents: fs.Dirent[];
  try {
    dirents = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  dirents.sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
  const ignoreRel = joinRel(ignorePrefix, rel);
  let matcher = parentMatcher;
  if (dirents.some(d => d.name === '.gitignore' && d.isFile())) {
    matcher = matcher.with(ignoreRel, readText(path.join(dir, '.gitignore')));
  }
  const toLink: string[] = [];
  let copied = 0;
  for (const dirent of dirents) {
    const name = dirent.name;
    const abs = path.join(dir, name);
    const childRel = joinRel(rel, name);
    const ignorePath = joinRel(ignoreRel, name);
    if (
      NEVER_LINKED.has(name) ||
      state.excluded.has(abs) ||
      (rel === '' && (name === state.notebookName || isReservedRunFile(name)))
    ) {
      continue;
    }
    if (state.cap === null && ++state.visited > state.limits.entries) {
      state.cap = `${state.limits.entries} directory entries`;
    }
    if (dirent.isDirectory()) {
      const n =
        state.cap !== null ||
        SKIPPED_SOURCE_DIRS.includes(name) ||
        matcher.ignores(ignorePath, true)
          ? 0
          : walk(state, abs, childRel, matcher, ignorePrefix);
      if (n === 0) {
        toLink.push(childRel);
      }
      copied += n;
    } else if (
      dirent.isFile() &&
      !matcher.ignores(ignorePath, false) &&
      copyFile(state, abs, childRel)
    ) {
      copied++;
    } else {
      toLink.push(childRel);
    }
  }
  if (rel === '' || copied > 0) {
    for (const linkRel of toLink) {
      link(state, linkRel);
    }
  }
  return copied;
}

/** Copies one file if it is source and fits the caps; false when it should be linked. */
function copyFile(state: IWalkState, abs: string, rel: string): boolean {
  if (state.cap === null && state.files.length >= state.limits.files) {
    state.cap = `${state.limits.files} files`;
  }
  if (state.cap !== null) {
    // Once a cap is reached, copying stops: the files after it in walk order are linked.
    return false;
  }
  const source = readSource(abs, state.limits.fileBytes);
  if (source === null) {
    return false;
  }
  if (state.bytes + source.content.length > state.limits.bytes) {
    state.cap = formatBytes(state.limits.bytes);
    return false;
  }
  const dest = path.join(state.runDir, rel);
  const destDir = path.dirname(dest);
  if (!state.madeDirs.has(destDir)) {
    fs.mkdirSync(destDir, { recursive: true });
    state.madeDirs.add(destDir);
  }
  try {
    fs.writeFileSync(dest, source.content, { flag: 'wx', mode: source.mode & 0o777 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      // A name the run already has: the run's own file wins.
      return false;
    }
    throw err;
  }
  state.files.push(rel);
  state.entries.push({ path: rel, sha256: sha256(source.content) });
  state.bytes += source.content.length;
  return true;
}

/**
 * The bytes and mode of a text file of at most `maxBytes`; null for a larger, binary (a NUL
 * byte in its first 8 KiB, read before the rest) or unreadable file.
 */
function readSource(file: string, maxBytes: number): { content: Buffer; mode: number } | null {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return null;
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile() || stat.size > maxBytes) {
      return null;
    }
    const content = Buffer.allocUnsafe(stat.size);
    const probe = Math.min(BINARY_PROBE_BYTES, content.length);
    let length = 0;
    let probed = false;
    while (length < content.length) {
      // The probe first, so that binary files are not read whole.
      const want = probed ? content.length - length : probe - length;
      const n = fs.readSync(fd, content, length, want, length);
      if (n === 0) {
        break;
      }
      length += n;
      if (!probed && length >= probe) {
        probed = true;
        if (content.subarray(0, probe).includes(0)) {
          return null;
        }
      }
    }
    return { content: content.subarray(0, length), mode: stat.mode };
  } catch {
    return null;
  } finally {
    fs.closeSync(fd);
  }
}

function link(state: IWalkState, rel: string): void {
  try {
    fs.symlinkSync(path.join(state.sourceDir, rel), path.join(state.runDir, rel));
    state.linked.push(rel);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw err;
    }
  }
}

/**
 * The `.gitignore` layers of the directories above `sourceDir` up to the ignore root (git work
 * tree root, else project directory), with `.git/info/exclude` first; and the path of
 * `sourceDir` relative to that root (`''` when it is the root).
 */
function ancestorIgnores(
  sourceDir: string,
  ignoreRoot: string | undefined
): { matcher: Gitignore; prefix: string } {
  const root = path.resolve(ignoreRoot ?? gitRoot(sourceDir) ?? findProjectDir(sourceDir));
  const relToRoot = path.relative(root, sourceDir);
  if (relToRoot.startsWith('..') || path.isAbsolute(relToRoot)) {
    return { matcher: new Gitignore(), prefix: '' };
  }
  const parts = relToRoot === '' ? [] : relToRoot.split(path.sep);
  let matcher = new Gitignore().with('', readText(path.join(root, '.git', 'info', 'exclude')));
  // The layers of the directories strictly above sourceDir; walk() adds sourceDir's own.
  for (let i = 0; i < parts.length; i++) {
    const dir = path.join(root, ...parts.slice(0, i));
    matcher = matcher.with(parts.slice(0, i).join('/'), readText(path.join(dir, '.gitignore')));
  }
  return { matcher, prefix: parts.join('/') };
}

/** The nearest ancestor of `dir` (itself included) holding `.git`, or null. */
function gitRoot(dir: string): string | null {
  for (let d = dir; ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, '.git'))) {
      return d;
    }
    if (path.dirname(d) === d) {
      return null;
    }
  }
}

/** `a/b` joined with `c`; either may be `''`. */
function joinRel(a: string, b: string): string {
  return a === '' ? b : b === '' ? a : `${a}/${b}`;
}

function readText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function sha256(content: Uint8Array | string): string {
  return createHash('sha256').update(content).digest('hex');
}

/** `512 B`, `1.5 KiB`, `50 MiB`. */
function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number(value.toFixed(1))} ${units[unit]}`;
}
