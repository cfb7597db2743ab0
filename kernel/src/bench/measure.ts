/**
 * Timing helpers shared by the benchmarks: wall time of a command, medians.
 */
import { spawn } from 'child_process';
import * as path from 'path';
import { PACKAGE_ROOT } from '../base/paths';

export const VENV_BIN = path.join(PACKAGE_ROOT, '.venv', 'bin');

/** Runs a command to completion; resolves with its wall time in ms, rejects if it fails. */
export function timeCommand(
  argv: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}
): Promise<number> {
  const start = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'ignore', 'pipe']
    });
    let stderr = '';
    child.stderr.on('data', d => (stderr += String(d)));
    child.on('error', reject);
    child.on('close', code => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (code === 0) {
        resolve(ms);
      } else {
        reject(new Error(`${argv.join(' ')} exited with ${code}: ${stderr.trim().slice(-500)}`));
      }
    });
  });
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The value given after `name` in `args`, if any. */
export function stringOption(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i < 0 ? undefined : args[i + 1];
}

/** Parses `--runs N` style options with defaults. */
export function intOption(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  if (i < 0) {
    return fallback;
  }
  const value = Number.parseInt(args[i + 1] ?? '', 10);
  if (!Number.isFinite(value) || value < 1) {
    throw new Error(`${name} takes a whole number above 0`);
  }
  return value;
}

export function ms(value: number): string {
  return `${Math.round(value)} ms`;
}
