import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { UserError } from '../base/errors';
import { parseGpuList } from './gpu-list';

describe('parseGpuList', () => {
  const good: Array<[string, string]> = [
    ['0', '0'],
    ['0,2', '0,2'],
    ['3,1', '3,1'],
    [' 1 , 3 ', '1,3'],
    ['007,10', '7,10'],
    ['GPU-3f6a0c1e-51b2-4c3d-8e4f-1a2b3c4d5e6f', 'GPU-3f6a0c1e-51b2-4c3d-8e4f-1a2b3c4d5e6f'],
    ['0,GPU-3f6a', '0,GPU-3f6a'],
    ['MIG-5c89c3d4-0d3f-5b8e-9b3a-2f8c1a7e4b10', 'MIG-5c89c3d4-0d3f-5b8e-9b3a-2f8c1a7e4b10']
  ];
  for (const [spec, expected] of good) {
    it(`accepts ${JSON.stringify(spec)} as ${JSON.stringify(expected)}`, () => {
      assert.equal(parseGpuList(spec), expected);
    });
  }

  const bad = ['', ' ', '0,,x', 'x', '0,', ',1', '-1', '1.5', 'gpu0', 'GPU-', 'GPU-xyz', '0;1'];
  for (const spec of bad) {
    it(`rejects ${JSON.stringify(spec)}`, () => {
      assert.throws(
        () => parseGpuList(spec),
        (err: unknown) =>
          err instanceof UserError &&
          err.message ===
            `invalid --gpus '${spec}': expected comma-separated GPU indexes such as 0,2`
      );
    });
  }

  const duplicates: Array<[string, string]> = [
    ['0,0', '0'],
    ['1,01', '1'],
    ['GPU-abc,GPU-ABC', 'GPU-ABC']
  ];
  for (const [spec, gpu] of duplicates) {
    it(`rejects the duplicate in ${JSON.stringify(spec)}`, () => {
      assert.throws(
        () => parseGpuList(spec),
        (err: unknown) =>
          err instanceof UserError &&
          err.message === `invalid --gpus '${spec}': GPU ${gpu} is listed twice`
      );
    });
  }

  it('gives the one-line message of the brief', () => {
    assert.throws(() => parseGpuList('0,,x'), {
      name: 'UserError',
      message: "invalid --gpus '0,,x': expected comma-separated GPU indexes such as 0,2"
    });
  });
});
