/**
 * `nbx restart RUN --on slurm`: the run readied to execute again in its own directory (see
 * restart.ts), then its runner submitted as a new job — with the options of its last Slurm
 * job unless given anew.
 */
import * as path from 'path';
import { UserError, errorMessage } from '../../base/errors';
import type { RunMeta, RunPlacement } from '../../store/meta';
import type { RunDir } from '../../store/run-dir';
import { prepareRestart, type IRestartRequest } from '../restart';
import type { ISlurmEnv } from './command';
import { resolvePlacement } from './placement';
import { submitRun } from './submit';

/** Restarts `run` on Slurm; resolves with its record naming the new job. */
export async function resubmit(
  run: RunDir,
  placement: Extract<RunPlacement, { on: 'slurm' }>,
  req: Omit<IRestartRequest, 'gpus'>,
  slurm: ISlurmEnv = {}
): Promise<RunMeta> {
  const before = run.readMeta();
  if (before.kind === 'batch') {
    throw new UserError(
      `run ${before.id.slice(0, 8)} is a batch: restart its trials on Slurm one by one`
    );
  }
  const { on: _on, ...given } = placement;
  const defined = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined));
  // Checked before the record changes: a bad option leaves the run as it was.
  const resolved = resolvePlacement(
    { ...before.slurm?.placement, ...defined },
    { projectStart: path.dirname(before.notebook), cwd: process.cwd() }
  );
  prepareRestart(run, req);
  try {
    return await submitRun(run, resolved, slurm);
  } catch (err) {
    run.updateMeta(m => ({
      ...m,
      status: 'error',
      error: `not submitted to Slurm: ${errorMessage(err)}`,
      stopped: new Date().toISOString(),
      exitCode: 1
    }));
    throw err;
  }
}
