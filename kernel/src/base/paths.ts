/** Where nbx itself is installed, and the files of it other processes are started from. */
import * as fs from 'fs';
import * as path from 'path';

/** The package root (kernel/lib/base → three levels up). */
export const PACKAGE_ROOT = path.resolve(__dirname, '..', '..', '..');

/** The `nbx` command's script: what `node` runs for a detached runner, a sweep, `nbx` itself. */
export const NBX_CLI = path.join(PACKAGE_ROOT, 'kernel', 'bin', 'nbx.js');

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
