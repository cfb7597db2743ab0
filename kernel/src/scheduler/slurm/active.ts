/**
 * The runs of a runs root that Slurm may still be running: one empty file per run under
 * `<root>/slurm/active/`, made at submission, removed once the run's record and Slurm's
 * view agree on how it ended. Reconciling reads this directory, not every record, so a
 * listing with no Slurm runs in flight costs one readdir.
 */
import * as fs from 'fs';
import * as path from 'path';

function activeDir(root: string): string {
  return path.join(root, 'slurm', 'active');
}

/** Marks runs as submitted to Slurm and not yet reconciled. */
export function markActive(root: string, ids: readonly string[]): void {
  fs.mkdirSync(activeDir(root), { recursive: true });
  for (const id of ids) {
    fs.closeSync(fs.openSync(path.join(activeDir(root), id), 'a'));
  }
}

/** The runs marked active ([] when none ever was). */
export function activeRuns(root: string): string[] {
  try {
    return fs.readdirSync(activeDir(root));
  } catch {
    return [];
  }
}

/** Unmarks a run: its record is final and agrees with Slurm. */
export function settleActive(root: string, id: string): void {
  fs.rmSync(path.join(activeDir(root), id), { force: true });
}
