import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ParamError } from './params';
import { placementParam } from './placement-param';

test("startRun's placement: here by default, Slurm with its options, bad ones named", () => {
  assert.equal(placementParam({}), undefined);
  assert.deepEqual(placementParam({ placement: { on: 'local' } }), { on: 'local' });
  assert.deepEqual(
    placementParam({
      placement: { on: 'slurm', partition: ' gpu ', time: 90, gpus: 2, cpus: 0, mem: '' }
    }),
    {
      on: 'slurm',
      partition: 'gpu',
      time: '90',
      gpus: 2,
      cpus: undefined,
      mem: undefined,
      template: undefined
    }
  );
  assert.throws(() => placementParam({ placement: { on: 'moon' } }), ParamError);
  assert.throws(
    () => placementParam({ placement: { on: 'slurm', gpus: 1.5 } }),
    /placement\.gpus' must be a whole number/
  );
});
