/**
 * Errors a person caused and can fix: bad input, a missing file, an unknown run.
 *
 * The CLI prints `message` as one line (no stack trace) and exits with `exitCode`.
 * Anything else that escapes is a bug and is reported with its stack.
 */
export class UserError extends Error {
  readonly exitCode: number;

  constructor(message: string, exitCode = 2) {
    super(message);
    this.name = 'UserError';
    this.exitCode = exitCode;
  }
}

/** The message of anything thrown, for one-line reports. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Error codes of a write that failed for want of space or a working disk. */
const DISK_FULL_CODES = ['ENOSPC', 'EDQUOT', 'EIO'];

/** True when `err` is a filesystem error saying the disk is full (or failing). */
export function isDiskFull(err: unknown): boolean {
  return (
    err instanceof DiskFullError ||
    (err instanceof Error && DISK_FULL_CODES.includes((err as NodeJS.ErrnoException).code ?? ''))
  );
}

/**
 * A write that failed because the disk is full (ENOSPC, EDQUOT) or failing (EIO), naming
 * the file: `disk full: <path>`. Nothing was done, so the CLI says so in one line.
 */
export class DiskFullError extends UserError {
  readonly path: string;
  readonly code: string;

  constructor(file: string, code = 'ENOSPC') {
    super(`disk full: ${file}${code === 'ENOSPC' ? '' : ` (${code})`}`);
    this.name = 'DiskFullError';
    this.path = file;
    this.code = code;
  }
}

/** `err` as a `DiskFullError` naming `file` when the disk is full, else `err` itself. */
export function diskFullOr(err: unknown, file: string): unknown {
  if (err instanceof DiskFullError || !isDiskFull(err)) {
    return err;
  }
  return new DiskFullError(file, (err as NodeJS.ErrnoException).code);
}
