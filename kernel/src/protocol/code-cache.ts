/**
 * A V8 code cache for the CommonJS modules of one directory tree (tslab, its bundled
 * TypeScript compiler and their dependencies; nbx's own CLI and its dependencies), kept
 * between process starts. Node 20 has no
 * `module.enableCompileCache` (22.1+), so modules under `root` are compiled here through
 * `vm.Script` with the bytecode a previous kernel left (`cachedData`).
 *
 * The cache is written with `script.createCachedData()` once the kernel has created its
 * TypeScript compiler, and again when it exits: then it also holds the functions V8 compiled
 * lazily while the compiler was created and used, which a cache made at compile time (as
 * v8-compile-cache makes it) lacks. Each module's entry is keyed by its path, size and
 * mtime, so an edited or reinstalled module is compiled afresh (each module keeps the three
 * entries written last: see `pruneEntries`); V8 itself rejects an entry of another V8
 * version or flags, and a rejected entry is written anew. Writes go to a
 * temporary file renamed over the entry, so concurrent kernels never read a torn one.
 *
 * Modules outside `root` (the user's own, the run directory's) are left to Node.
 */
import * as fs from 'fs';
import Module from 'module';
import * as os from 'os';
import * as path from 'path';
import * as vm from 'vm';
import { keepNewest } from '../base/keep-newest';
import { crypto } from '../base/lazy-crypto';

interface IModuleInternals {
  _compile(content: string, filename: string): unknown;
  require(id: string): unknown;
}

interface IModuleStatics {
  wrap(content: string): string;
  _resolveFilename(request: string, parent: unknown, isMain: boolean, options?: unknown): string;
  _resolveLookupPaths(request: string, parent: unknown): string[] | null;
  _extensions: unknown;
  _cache: unknown;
  prototype: IModuleInternals;
}

export interface ICodeCache {
  /**
   * Writes the entries of the modules this process compiled without an accepted one (again,
   * when called again: later calls hold the functions compiled since); returns how many.
   */
  save(): number;
  /** Modules compiled from the cache / compiled afresh so far. */
  readonly hits: number;
  readonly misses: number;
}

/**
 * The per-user directory of code caches: `$NBX_CODE_CACHE_DIR`, else
 * `$XDG_CACHE_HOME/nbx/code-cache`, else `~/.cache/nbx/code-cache`.
 */
export function codeCacheBase(env: NodeJS.ProcessEnv = process.env): string {
  return (
    env.NBX_CODE_CACHE_DIR ||
    path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'nbx', 'code-cache')
  );
}

/** The cache directory of one package version (`tslab-1.0.22`, `nbx-0.4.0`) on this Node. */
export function codeCacheDir(pkg: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(codeCacheBase(env), `${pkg}-node-${process.version}-${process.arch}`);
}

/**
 * Compiles every CommonJS module under `root` loaded from now on through the cache in
 * `dir`. Returns the handle that writes the cache.
 */
export function enableCodeCache(root: string, dir: string): ICodeCache {
  const M = Module as unknown as IModuleStatics;
  const prefix = `${path.resolve(root)}${path.sep}`;
  const fresh: { script: vm.Script; file: string }[] = [];
  const counts = { hits: 0, misses: 0 };
  const nodeCompile = M.prototype._compile;
  M.prototype._compile = function (this: IModuleInternals, content: string, filename: string) {
    if (!filename.startsWith(prefix)) {
      return nodeCompile.call(this, content, filename);
    }
    const file = path.join(dir, entryName(filename, prefix));
    let cachedData: Buffer | undefined;
    try {
      cachedData = fs.readFileSync(file);
    } catch {
      cachedData = undefined;
    }
    // A hashbang line is valid only at the start of a script; the line stays (empty).
    const source = M.wrap(content.startsWith('#!') ? content.replace(/^#!.*/, '') : content);
    const script = new vm.Script(source, { filename, cachedData });
    if (cachedData === undefined || script.cachedDataRejected === true) {
      fresh.push({ script, file });
      counts.misses++;
    } else {
      counts.hits++;
    }
    const wrapper = script.runInThisContext({ displayErrors: true }) as (
      ...args: unknown[]
    ) => unknown;
    return wrapper.call(
      (this as unknown as { exports: unknown }).exports,
      (this as unknown as { exports: unknown }).exports,
      requireFor(this, M),
      this,
      filename,
      path.dirname(filename)
    );
  };
  return {
    save(): number {
      const written: string[] = [];
      for (const { script, file } of fresh) {
        if (writeAtomic(file, script.createCachedData())) {
          written.push(path.basename(file));
        }
      }
      pruneEntries(dir, written);
      return written.length;
    },
    get hits() {
      return counts.hits;
    },
    get misses() {
      return counts.misses;
    }
  };
}

/** The `require` a module gets, as Node makes it (resolve, paths, main, cache). */
function requireFor(mod: IModuleInternals, M: IModuleStatics): NodeJS.Require {
  const require = ((id: string) => mod.require(id)) as NodeJS.Require;
  const resolve = ((request: string, options?: unknown) =>
    M._resolveFilename(request, mod, false, options)) as NodeJS.RequireResolve;
  resolve.paths = (request: string) => M._resolveLookupPaths(request, mod);
  require.resolve = resolve;
  require.main = process.mainModule;
  require.extensions = M._extensions as NodeJS.RequireExtensions;
  require.cache = M._cache as NodeJS.Dict<NodeJS.Module>;
  return require;
}

/**
 * The entry of a module: its path under the cache's root, size and mtime (a changed file
 * gets a new one). The name is the path itself, encoded, so two modules never share an
 * entry, and nothing is hashed: node:crypto alone takes longer to load than a warm
 * `nbx runs` spends on most of its modules. A name too long for a file is hashed.
 */
function entryName(filename: string, prefix: string): string {
  let stamp = '';
  try {
    const st = fs.statSync(filename);
    stamp = `${st.size}-${Math.round(st.mtimeMs * 1000)}`;
  } catch {
    // compiled from memory: keyed by path alone, V8 checks the source length
  }
  const name = `${encodeURIComponent(filename.slice(prefix.length))}@${stamp}.v8`;
  if (name.length <= MAX_ENTRY_NAME) {
    return name;
  }
  return `${crypto().createHash('sha1').update(filename).digest('hex')}@${stamp}.v8`;
}

/** Entries kept per module: those written last, one per checkout or install in use. */
const KEPT_ENTRIES = 3;

/** The module an entry is of (its name before the stamp); null for a name of no module. */
function moduleOf(entry: string): string | null {
  const at = entry.lastIndexOf('@');
  return at > 0 && entry.endsWith('.v8') ? entry.slice(0, at) : null;
}

/**
 * Removes the older entries of the modules just `written` to `dir`: each keeps the
 * `KEPT_ENTRIES` written last (by mtime). An edited, rebuilt or reinstalled module gets a new
 * entry, so without this every rebuild would add a set for good; keeping three lets a few
 * checkouts or installs of one version run side by side without evicting each other. Also
 * removes entries named as before entries had a stamp (a bare hash), which nothing reads.
 */
function pruneEntries(dir: string, written: readonly string[]): void {
  if (written.length === 0) {
    return;
  }
  const modules = new Set(written.map(moduleOf));
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  const entries = new Map<string, string[]>();
  const stale: string[] = [];
  for (const name of names) {
    const mod = moduleOf(name);
    if (mod === null) {
      if (/^[0-9a-f]{40}\.v8$/.test(name)) {
        stale.push(name);
      }
    } else if (modules.has(mod)) {
      const list = entries.get(mod);
      if (list === undefined) {
        entries.set(mod, [name]);
      } else {
        list.push(name);
      }
    }
  }
  for (const name of stale) {
    fs.rmSync(path.join(dir, name), { force: true });
  }
  for (const list of entries.values()) {
    keepNewest(dir, list, KEPT_ENTRIES);
  }
}

/** Longest entry name kept readable (file names may have 255 bytes). */
const MAX_ENTRY_NAME = 200;

/** Writes `data` to a temporary file renamed over `file`; false when it could not. */
function writeAtomic(file: string, data: Buffer): boolean {
  const temp = `${file}.${process.pid}.tmp`;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fs.writeFileSync(temp, data, { mode: 0o600 });
    fs.renameSync(temp, file);
    return true;
  } catch {
    fs.rmSync(temp, { force: true });
    return false;
  }
}
