/**
 * Opening a run's files for reading, for every service method and watch that reads them.
 */
import * as fs from 'fs';
import * as path from 'path';
import { UserError } from '../base/errors';
import type { RunDir } from '../store/run-dir';

/**
 * Opens a file of a run for reading, never following a symlink (`O_NOFOLLOW`): a run's
 * files are regular files inside its directory, and anything else (a symlink to a file
 * elsewhere, a FIFO, a directory) is a one-line `UserError`. Null when it does not exist.
 */
export function openRunFile(run: RunDir, file: string): number | null {
  const name = path.basename(file);
  const refuse = (): UserError =>
    new UserError(`run ${run.id.slice(0, 8)}: ${name} is not a regular file of the run`);
  let fd: number;
  try {
    fd = fs.openSync(
      file,
      fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK
    );
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      return null;
    }
    throw code === 'ELOOP' || code === 'EISDIR' ? refuse() : err;
  }
  if (!fs.fstatSync(fd).isFile()) {
    fs.closeSync(fd);
    throw refuse();
  }
  return fd;
}
