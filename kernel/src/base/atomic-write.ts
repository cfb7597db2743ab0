/**
 * Atomic file writes: readers see either the old content or the new, never a torn file.
 *
 * The data goes to a uniquely named temp file in the target's directory, is flushed
 * with fsync, then renamed over the target (rename is atomic within one filesystem).
 * The directory is fsynced afterwards, best effort, so the rename survives a crash.
 * A full disk throws a `DiskFullError` naming the target.
 */

import { crypto } from './lazy-crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { diskFullOr } from './errors';

/** Options for the atomic writes. */
export interface IAtomicWriteOptions {
  /** File mode for a new file; an existing target keeps its own mode. Default 0o666 & ~umask. */
  mode?: number;
}

/** Suffix of the temp files, so listings can recognise (and skip) them. */
export const ATOMIC_TEMP_SUFFIX = '.nbx-tmp';

/** The unique temp path used while writing `target`: `.<name>.<pid>.<random>.nbx-tmp`. */
export function atomicTempPath(target: string): string {
  const unique = `${process.pid}.${crypto().randomBytes(6).toString('hex')}`;
  return path.join(
    path.dirname(target),
    `.${path.basename(target)}.${unique}${ATOMIC_TEMP_SUFFIX}`
  );
}

/** True for a file name made by `atomicTempPath` (a leftover of an interrupted write). */
export function isAtomicTempName(name: string): boolean {
  return name.startsWith('.') && name.endsWith(ATOMIC_TEMP_SUFFIX);
}

function targetMode(target: string, options: IAtomicWriteOptions | undefined): number | undefined {
  try {
    return fs.statSync(target).mode & 0o7777;
  } catch {
    return options?.mode;
  }
}

function fsyncDirSync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Not supported everywhere (e.g. some network filesystems); the rename already happened.
  } finally {
    if (fd !== undefined) {
      fs.closeSync(fd);
    }
  }
}

async function fsyncDir(dir: string): Promise<void> {
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await fs.promises.open(dir, 'r');
    await handle.sync();
  } catch {
    // See fsyncDirSync.
  } finally {
    await handle?.close();
  }
}

/** Writes `data` to `target` atomically (temp file, fsync, rename). */
export function writeFileAtomicSync(
  target: string,
  data: string | Uint8Array,
  options?: IAtomicWriteOptions
): void {
  const temp = atomicTempPath(target);
  const mode = targetMode(target, options);
  let fd: number | undefined;
  try {
    fd = fs.openSync(temp, 'wx', mode);
    if (mode !== undefined) {
      fs.fchmodSync(fd, mode);
    }
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(temp, target);
  } catch (err) {
    if (fd !== undefined) {
      fs.closeSync(fd);
    }
    fs.rmSync(temp, { force: true });
    throw diskFullOr(err, target);
  }
  fsyncDirSync(path.dirname(target));
}

/** Writes `data` to `target` atomically (temp file, fsync, rename); async version. */
export async function writeFileAtomic(
  target: string,
  data: string | Uint8Array,
  options?: IAtomicWriteOptions
): Promise<void> {
  const temp = atomicTempPath(target);
  const mode = targetMode(target, options);
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await fs.promises.open(temp, 'wx', mode);
    if (mode !== undefined) {
      await handle.chmod(mode);
    }
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fs.promises.rename(temp, target);
  } catch (err) {
    await handle?.close();
    await fs.promises.rm(temp, { force: true });
    throw diskFullOr(err, target);
  }
  await fsyncDir(path.dirname(target));
}

/** A file written by `writeChunksAtomic`: its size and identity. */
export interface IWrittenFile {
  bytes: number;
  dev: number;
  ino: number;
}

/**
 * Writes `chunks` to `target` atomically (temp file, rename), one asynchronous write per
 * chunk, so the event loop runs between chunks. With `durable`, the data and the rename
 * are fsynced as by `writeFileAtomic`; without, readers still never see a torn file, but
 * a crash may lose the latest version. Resolves with the new file's size and identity
 * (device and inode numbers, which the rename keeps).
 */
export async function writeChunksAtomic(
  target: string,
  chunks: Iterable<string>,
  options: IAtomicWriteOptions & { durable?: boolean } = {}
): Promise<IWrittenFile> {
  const temp = atomicTempPath(target);
  const mode = targetMode(target, options);
  let handle: fs.promises.FileHandle | undefined;
  let written: IWrittenFile;
  try {
    handle = await fs.promises.open(temp, 'wx', mode);
    if (mode !== undefined) {
      await handle.chmod(mode);
    }
    let bytes = 0;
    for (const chunk of chunks) {
      const data = Buffer.from(chunk, 'utf8');
      for (let offset = 0; offset < data.length;) {
        offset += (await handle.write(data, offset, data.length - offset)).bytesWritten;
      }
      bytes += data.length;
    }
    if (options.durable) {
      await handle.sync();
    }
    const stat = await handle.stat();
    written = { bytes, dev: stat.dev, ino: stat.ino };
    await handle.close();
    handle = undefined;
    // Renamed on this thread: code that runs on when the promise resolves (say, starting a
    // file that goes with the new version) follows the switch with nothing in between.
    fs.renameSync(temp, target);
  } catch (err) {
    await handle?.close();
    await fs.promises.rm(temp, { force: true });
    throw err;
  }
  if (options.durable) {
    await fsyncDir(path.dirname(target));
  }
  return written;
}
