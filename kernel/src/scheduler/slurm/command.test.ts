/** Slurm's commands where Slurm is not installed (the cluster tests cover the rest). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SlurmCommandError, runSlurm } from './command';

test('a Slurm command that is not installed is one line naming it', async () => {
  await assert.rejects(
    runSlurm('sbatch', ['--parsable'], { env: { PATH: '/nonexistent' } }),
    (err: unknown) => {
      assert.ok(err instanceof SlurmCommandError);
      assert.equal(err.code, 127);
      assert.equal(err.message, "sbatch not found: Slurm's client commands are not installed here");
      return true;
    }
  );
});
