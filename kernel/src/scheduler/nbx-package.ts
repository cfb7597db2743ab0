/**
 * Making `import * as nbx from "nbx"` work in a run.
 *
 * tslab resolves imports the way Node does from the kernel's working directory (the run
 * directory): the first `node_modules/nbx` in it or an ancestor, at run time through
 * `Module.createRequire(cwd)` and for type-checking through TypeScript's node resolution
 * (`package.json` `types`). NODE_PATH is not used. So the run directory gets a
 * `node_modules/nbx` stub package that loads this one unless an ancestor already resolves `nbx` to
 * it, taking care never to write into a `node_modules` that belongs to the person's project.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isDirectory, isFile, PACKAGE_ROOT, realPath } from '../base/paths';

/** The package name notebooks import. */
export const PACKAGE_NAME = 'nbx';

/** What `ensureNbxResolvable` did. */
export type ResolveAction =
  /** `nbx` already resolved to this package from the run directory. */
  | 'resolved'
  /** Created `<run>/node_modules/` holding only the `nbx` link. */
  | 'linked'
  /**
   * Made `<run>/node_modules/` a directory of links to the entries of the notebook's
   * `node_modules` (which the run directory linked to, or which the run would not see
   * otherwise) plus the `nbx` link.
   */
  | 'merged';

/**
 * The package directory `require('nbx')` loads from `dir`: the first
 * `<ancestor>/node_modules/nbx` holding a `package.json`, or null.
 */
export function findPackageFrom(dir: string, name = PACKAGE_NAME): string | null {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    if (path.basename(d) !== 'node_modules') {
      const candidate = path.join(d, 'node_modules', name);
      if (isFile(path.join(candidate, 'package.json'))) {
        return candidate;
      }
    }
    if (path.dirname(d) === d) {
      return null;
    }
  }
}

/** The nearest `node_modules` directory in `dir` or its ancestors, or null. */
function nearestNodeModules(dir: string): string | null {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    const candidate = path.join(d, 'node_modules');
    if (isDirectory(candidate)) {
      return candidate;
    }
    if (path.dirname(d) === d) {
      return null;
    }
  }
}

/** True when `import "nbx"` from `dir` loads the package at `packageRoot`. */
export function resolvesToPackage(dir: string, packageRoot = PACKAGE_ROOT): boolean {
  const found = findPackageFrom(dir);
  if (found === null) {
    return false;
  }
  const loads = stubTarget(found) ?? found;
  return realPath(loads) === realPath(packageRoot);
}

/**
 * Makes `require('nbx')` and tslab's type-check of `import * as nbx from "nbx"` load this
 * package (`packageRoot`) from `runPath`, the run's working directory:
 *
 * - nothing to do when an ancestor's `node_modules/nbx` (or the run's own) is already it;
 * - if `<run>/node_modules` is a symlink (the runner links the files beside the notebook,
 *   `node_modules` included), it is replaced by a real directory of symlinks to each entry
 *   of the original plus `nbx`, so the person's `node_modules` is never written into;
 * - if the run has no `node_modules`: when the notebook's nearest `node_modules` (in
 *   `notebookDir` or an ancestor) is not visible from the run directory anyway, the same
 *   merged directory is made from it, so the notebook's other packages resolve as they do
 *   interactively; otherwise `<run>/node_modules/nbx` alone;
 * - a real `<run>/node_modules` directory (made by an earlier call) gets its `nbx` entry
 *   replaced.
 *
 * Throws when `<run>/node_modules` is something else (a file).
 */
export function ensureNbxResolvable(
  runPath: string,
  notebookDir: string,
  packageRoot = PACKAGE_ROOT
): ResolveAction {
  if (resolvesToPackage(runPath, packageRoot)) {
    return 'resolved';
  }
  const target = path.resolve(packageRoot);
  const nm = path.join(runPath, 'node_modules');
  let stat: fs.Stats | null = null;
  try {
    stat = fs.lstatSync(nm);
  } catch {
    // none
  }
  if (stat?.isSymbolicLink()) {
    const original = isDirectory(nm) ? realPath(nm) : null;
    fs.unlinkSync(nm);
    if (original !== null) {
      mergeInto(nm, original, target);
      return 'merged';
    }
    stat = null;
  }
  if (stat === null) {
    const own = nearestNodeModules(notebookDir);
    if (own !== null && !visibleFrom(runPath, own)) {
      mergeInto(nm, realPath(own), target);
      return 'merged';
    }
    fs.mkdirSync(nm);
    linkPackage(nm, target);
    return 'linked';
  }
  if (!stat.isDirectory()) {
    throw new Error(`cannot make 'nbx' importable in the run: ${nm} is not a directory`);
  }
  linkPackage(nm, target);
  return 'linked';
}

/** True when `nodeModules` is one that resolution from `dir` walks through. */
function visibleFrom(dir: string, nodeModules: string): boolean {
  const real = realPath(nodeModules);
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    const candidate = path.join(d, 'node_modules');
    if (isDirectory(candidate) && realPath(candidate) === real) {
      return true;
    }
    if (path.dirname(d) === d) {
      return false;
    }
  }
}

/** Makes `nm` a directory of symlinks to the entries of `original`, plus `nbx` -> `target`. */
function mergeInto(nm: string, original: string, target: string): void {
  fs.mkdirSync(nm);
  for (const name of fs.readdirSync(original)) {
    if (name !== PACKAGE_NAME) {
      fs.symlinkSync(path.join(original, name), path.join(nm, name));
    }
  }
  linkPackage(nm, target);
}

/**
 * `<nm>/nbx` as a small stub package that loads `target`, replacing whatever was there.
 *
 * Not a symlink to `target`: tools that delete a directory tree by walking it (a file
 * manager, a test harness cleaning up through the Jupyter contents API) follow links to
 * directories, and a run directory must never lead them into the nbx checkout itself.
 */
function linkPackage(nm: string, target: string): void {
  const stub = path.join(nm, PACKAGE_NAME);
  fs.rmSync(stub, { recursive: true, force: true });
  fs.mkdirSync(stub);
  const api = path.join(target, 'kernel', 'lib', 'api', 'index');
  const pkg = {
    name: PACKAGE_NAME,
    private: true,
    main: 'index.js',
    types: 'index.d.ts',
    [STUB_KEY]: target
  };
  fs.writeFileSync(path.join(stub, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  fs.writeFileSync(
    path.join(stub, 'index.js'),
    `module.exports = require(${JSON.stringify(api)});\n`
  );
  fs.writeFileSync(path.join(stub, 'index.d.ts'), `export * from ${JSON.stringify(api)};\n`);
}

/** The package.json field of a stub package naming the package it loads. */
const STUB_KEY = 'nbxPackageRoot';

/** The package a stub at `dir` loads, or null when `dir` is not a stub. */
function stubTarget(dir: string): string | null {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    return typeof pkg[STUB_KEY] === 'string' ? (pkg[STUB_KEY] as string) : null;
  } catch {
    return null;
  }
}
