/**
 * Where runs live (DESIGN.md, "Runs root"): `$NBX_HOME`, else `.nbx/` in the project
 * directory. The CLI, the service kernel and the in-notebook API all resolve it here.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';

/** Entries that mark a project directory, checked in this order. */
export const PROJECT_MARKERS: readonly string[] = ['.nbx', 'nbx.json', '.git'];

/** Name of the runs root inside a project directory. */
export const PROJECT_ROOT_DIR = '.nbx';

/** Name of the directory holding the run directories, inside the runs root. */
export const RUNS_DIR = 'runs';

function isMarker(dir: string, name: string): boolean {
  try {
    const stat = fs.statSync(path.join(dir, name));
    // `.nbx` must be a directory and `nbx.json` a file; `.git` is either (worktrees use a file).
    if (name === '.nbx') {
      return stat.isDirectory();
    }
    if (name === 'nbx.json') {
      return stat.isFile();
    }
    return true;
  } catch {
    return false;
  }
}

/**
 * The nearest ancestor of `startDir` (itself included) holding `.nbx/`, `nbx.json` or
 * `.git`; `startDir` itself (made absolute) when there is none.
 */
export function findProjectDir(startDir: string): string {
  const start = path.resolve(startDir);
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (PROJECT_MARKERS.some(name => isMarker(dir, name))) {
      return dir;
    }
    if (path.dirname(dir) === dir) {
      return start;
    }
  }
}

/** Inputs of `resolveRunsRoot`. */
export interface IRunsRootOptions {
  /** The notebook being run or inspected; its directory starts the project search. */
  notebookPath?: string;
  /** Directory relative paths are resolved against; starts the search without a notebook. */
  cwd: string;
  /** Environment to read `NBX_HOME` from (usually `process.env`). */
  env: { [name: string]: string | undefined };
}

/**
 * The runs root, absolute: `$NBX_HOME` when set (relative values resolve against `cwd`),
 * else `<project>/.nbx` where the project directory is found (`findProjectDir`) from the
 * notebook's directory, or from `cwd` when there is no notebook.
 */
export function resolveRunsRoot(options: IRunsRootOptions): string {
  const home = options.env.NBX_HOME;
  if (home !== undefined && home !== '') {
    return path.resolve(options.cwd, home);
  }
  const start =
    options.notebookPath === undefined
      ? options.cwd
      : path.dirname(path.resolve(options.cwd, options.notebookPath));
  return path.join(findProjectDir(path.resolve(options.cwd, start)), PROJECT_ROOT_DIR);
}

/** `<root>/runs`, the directory holding one directory per run. */
export function runsDir(root: string): string {
  return path.join(root, RUNS_DIR);
}
