/**
 * The git state of a notebook's repository at launch: commit, branch and dirty flag, from the
 * `git` command line.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import type { IRunGit } from '../store/meta';

/** Options of {@link gitInfo}. */
export interface IGitInfoOptions {
  /**
   * Paths (absolute, or relative to `dir`) whose changes do not make the work tree dirty,
   * typically the runs root `.nbx/` when it is not ignored.
   */
  exclude?: readonly string[];
  /** Environment for git (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** How long each git command may take (default 5000 ms); past it the answer is null. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 5000;

/**
 * The repository state of `dir`: the commit of `HEAD`, the branch checked out (null when
 * `HEAD` is detached) and whether `git status --porcelain` lists anything (modified, staged or
 * untracked files; paths under `options.exclude` do not count). Runs
 * `git rev-parse --show-toplevel HEAD`, `git symbolic-ref --quiet --short HEAD` and
 * `git status --porcelain -z` in parallel, with `GIT_OPTIONAL_LOCKS=0` so a concurrent git
 * command of the user never meets our lock.
 *
 * Resolves to null when `dir` is not in a work tree, the repository has no commit yet, git is
 * not installed, or a command fails or times out. Never rejects.
 */
export async function gitInfo(dir: string, options: IGitInfoOptions = {}): Promise<IRunGit | null> {
  try {
    const env: NodeJS.ProcessEnv = {
      ...(options.env ?? process.env),
      GIT_OPTIONAL_LOCKS: '0',
      LC_ALL: 'C'
    };
    const run = (args: string[]): Promise<IGitOutput> =>
      git(args, dir, env, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const [head, branch, status] = await Promise.all([
      run(['rev-parse', '--show-toplevel', 'HEAD']),
      run(['symbolic-ref', '--quiet', '--short', 'HEAD']),
      run(['status', '--porcelain', '-z'])
    ]);
    if (head.code !== 0 || status.code !== 0) {
      return null;
    }
    const [top, commit] = head.stdout.split('\n');
    if (!top || !/^[0-9a-f]{40,64}$/.test(commit ?? '')) {
      return null;
    }
    const excluded = (options.exclude ?? [])
      .map(p => relativeToTop(top, path.resolve(dir, p)))
      .filter((p): p is string => p !== null);
    return {
      commit,
      branch: branch.code === 0 && branch.stdout.trim() !== '' ? branch.stdout.trim() : null,
      dirty: statusPaths(status.stdout).some(p => !excluded.some(ex => isWithin(p, ex)))
    };
  } catch {
    return null;
  }
}

/**
 * The paths of `git status --porcelain -z` output, relative to the work tree root (untracked
 * directories end with `/`); for renames and copies, both paths.
 */
export function statusPaths(output: string): string[] {
  const fields = output.split('\0');
  const paths: string[] = [];
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i];
    if (field.length < 4) {
      continue;
    }
    paths.push(field.slice(3));
    // `R  new\0old\0`: the origin path follows as a field of its own.
    if (field[0] === 'R' || field[0] === 'C' || field[1] === 'R' || field[1] === 'C') {
      i++;
      if (i < fields.length && fields[i] !== '') {
        paths.push(fields[i]);
      }
    }
  }
  return paths;
}

/** True when `p` (maybe ending with `/`) is `dir` or inside it. */
function isWithin(p: string, dir: string): boolean {
  const clean = p.endsWith('/') ? p.slice(0, -1) : p;
  return clean === dir || clean.startsWith(dir + '/');
}

/** `abs` relative to the work tree root `top`, `/`-separated; null when outside it. */
function relativeToTop(top: string, abs: string): string | null {
  let real = abs;
  try {
    real = fs.realpathSync(abs);
  } catch {
    // A path that does not exist yet: compare as given.
  }
  const rel = path.relative(top, real);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) {
    return null;
  }
  return rel.split(path.sep).join('/');
}

interface IGitOutput {
  /** Exit code; -1 when git could not be started, was killed or timed out. */
  code: number;
  stdout: string;
}

function git(
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number
): Promise<IGitOutput> {
  return new Promise(resolve => {
    try {
      execFile(
        'git',
        args,
        {
          cwd,
          env,
          timeout: timeoutMs,
          killSignal: 'SIGKILL',
          encoding: 'utf8',
          maxBuffer: 64 * 1024 * 1024,
          windowsHide: true
        },
        (error, stdout) => {
          if (error === null) {
            resolve({ code: 0, stdout });
          } else {
            resolve({ code: typeof error.code === 'number' ? error.code : -1, stdout });
          }
        }
      );
    } catch {
      resolve({ code: -1, stdout: '' });
    }
  });
}
