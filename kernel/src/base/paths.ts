/**
 * Where nbx itself is installed, its version, the files of it other processes are started
 * from; and the few checks of paths every layer makes.
 */
import * as fs from 'fs';
import * as path from 'path';

/** The package root (kernel/lib/base → three levels up). */
export const PACKAGE_ROOT = path.resolve(__dirname, '..', '..', '..');

/** The `nbx` command's script: what `node` runs for a detached runner, a sweep, `nbx` itself. */
export const NBX_CLI = path.join(PACKAGE_ROOT, 'kernel', 'bin', 'nbx.js');

/** The `nbx` command as installed and typed (a launcher running NBX_CLI; see kernel/bin/path/nbx). */
export const NBX_COMMAND = path.join(PACKAGE_ROOT, 'kernel', 'bin', 'path', 'nbx');

/**
 * `env` for starting an nbx process (a runner): NODE_EXTRA_CA_CERTS moved aside, as the
 * `nbx` launcher moves it, for Node 20 parses those certificates at every start; nbx.js
 * puts it back for the kernels the process starts.
 */
export function nbxProcessEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { NODE_EXTRA_CA_CERTS: extra, ...rest } = env;
  return extra ? { ...rest, NBX_EXTRA_CA_CERTS: extra } : env;
}

let cachedVersion: string | undefined;

/** The version of the nbx package (`jupyterlab-nbx`, from its package.json), or `0.0.0` if not found. */
export function nbxVersion(): string {
  if (cachedVersion === undefined) {
    cachedVersion = '0.0.0';
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (pkg.name === 'jupyterlab-nbx' && typeof pkg.version === 'string') {
        cachedVersion = pkg.version;
      }
    } catch {
      // not installed as a package: 0.0.0
    }
  }
  return cachedVersion;
}

/** The real path of `p` (links resolved), or `p` made absolute when it does not exist. */
export function realPath(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

/** True when `p` is a directory (links followed); false when it is anything else or absent. */
export function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** True when `p` is a regular file (links followed); false when it is anything else or absent. */
export function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}
