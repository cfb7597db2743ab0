/**
 * One Slurm command (`sbatch`, `scontrol`, `scancel`, `sacct`) run as a child process,
 * never through a shell, its failures turned into errors of one line.
 */
import { execFile } from 'child_process';
import { UserError } from '../../base/errors';

/** Where Slurm's commands run: the environment (SLURM_CONF selects a cluster). */
export interface ISlurmEnv {
  /** The environment of Slurm's commands; this process's when absent. */
  env?: NodeJS.ProcessEnv;
}

/** What every Slurm client prints when slurmctld does not answer (after its retries). */
const UNREACHABLE = /Unable to contact slurm controller/i;

/**
 * slurmctld did not answer: `cannot reach the Slurm controller (<command>): <Slurm's line>`.
 * Nothing was submitted or changed; the caller keeps its records as they were.
 */
export class SlurmUnreachableError extends UserError {
  constructor(command: string, detail: string) {
    super(`cannot reach the Slurm controller (${command}): ${detail}`);
    this.name = 'SlurmUnreachableError';
  }
}

/** A Slurm command that failed for another reason (bad option, unknown partition, …). */
export class SlurmCommandError extends UserError {
  /** The command's exit code (127 when it is not installed). */
  readonly code: number;
  /** Its standard error, whole. */
  readonly stderr: string;

  constructor(command: string, code: number, stderr: string, message?: string) {
    super(message ?? `${command}: ${lastLine(stderr) || `failed with exit code ${code}`}`);
    this.name = 'SlurmCommandError';
    this.code = code;
    this.stderr = stderr;
  }
}

/** Runs `command args…` (with `input` on its stdin); resolves with its stdout. */
export function runSlurm(
  command: string,
  args: readonly string[],
  options: ISlurmEnv & { input?: string } = {}
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      command,
      args,
      { env: options.env ?? process.env, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (!err) {
          resolve(stdout);
          return;
        }
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
          reject(
            new SlurmCommandError(
              command,
              127,
              '',
              `${command} not found: Slurm's client commands are not installed here`
            )
          );
        } else if (UNREACHABLE.test(stderr)) {
          reject(new SlurmUnreachableError(command, lastLine(stderr)));
        } else {
          reject(
            new SlurmCommandError(command, typeof err.code === 'number' ? err.code : 1, stderr)
          );
        }
      }
    );
    if (options.input !== undefined) {
      child.stdin?.end(options.input);
    }
  });
}

/** The last non-empty line of `text`, trimmed, without a leading `sbatch: error: `. */
function lastLine(text: string): string {
  const lines = text.split('\n').filter(line => line.trim() !== '');
  return (lines[lines.length - 1] ?? '').trim().replace(/^(?:[\w-]+: )?error: /, '');
}
