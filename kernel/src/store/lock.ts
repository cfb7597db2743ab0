/**
 * A small cross-process lock file, for short read-modify-write sections
 * (meta.json is updated by the runner, the CLI and the service kernel).
 *
 * `O_EXCL` creation is atomic on local filesystems; a lock older than
 * `staleMs` is taken over, since its holder must have died mid-update.
 */
import * as fs from 'fs';
import { diskFullOr } from '../base/errors';

const sleeper = new Int32Array(new SharedArrayBuffer(4));

function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

export function withFileLock<T>(lockPath: string, fn: () => T, staleMs = 5000): T {
  const deadline = Date.now() + staleMs * 2;
  for (;;) {
    try {
      fs.closeSync(fs.openSync(lockPath, 'wx'));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw diskFullOr(err, lockPath);
      }
      let age = 0;
      try {
        age = Date.now() - fs.statSync(lockPath).mtimeMs;
      } catch {
        continue; // released meanwhile
      }
      if (age > staleMs || Date.now() > deadline) {
        fs.rmSync(lockPath, { force: true });
        continue;
      }
      sleepSync(2);
    }
  }
  try {
    return fn();
  } finally {
    fs.rmSync(lockPath, { force: true });
  }
}
