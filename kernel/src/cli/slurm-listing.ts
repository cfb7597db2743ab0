/**
 * Brings the records of runs on Slurm up to date before a listing (see
 * scheduler/slurm/reconcile.ts). With no run marked active — the usual case — this is one
 * readdir, and the Slurm modules are not even loaded. When Slurm cannot be asked, one
 * warning line says so and the records stay as they were.
 */
import { UserError } from '../base/errors';
import { activeRuns } from '../scheduler/slurm/active';

export async function reconcileBeforeListing(root: string): Promise<void> {
  if (activeRuns(root).length === 0) {
    return;
  }
  const { reconcileSlurmRuns } = await import('../scheduler/slurm/reconcile');
  try {
    await reconcileSlurmRuns(root);
  } catch (err) {
    if (!(err instanceof UserError)) {
      throw err;
    }
    process.stderr.write(
      `nbx: warning: runs on Slurm show their last recorded status: ${err.message}\n`
    );
  }
}
