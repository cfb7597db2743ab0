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
