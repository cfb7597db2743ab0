/** A run's Slurm placement: the options given over the project's `nbx.json` defaults, checked. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { UserError } from '../../base/errors';
import { tempDir } from '../../testing/fixtures';
import { resolvePlacement } from './placement';

test("the options given win over nbx.json's, a template path made absolute", () => {
  const project = tempDir();
  fs.mkdirSync(path.join(project, 'sub'));
  fs.writeFileSync(
    path.join(project, 'nbx.json'),
    JSON.stringify({
      slurm: { partition: 'gpu', time: 60, cpus: 4, mem: '16G', template: 'site.sh' }
    })
  );
  fs.writeFileSync(path.join(project, 'site.sh'), '#!/bin/bash\n{command}\n');
  const options = { projectStart: path.join(project, 'sub'), cwd: project };
  assert.deepEqual(resolvePlacement({ time: '5', gpus: 1 }, options), {
    partition: 'gpu',
    time: '5',
    cpus: 4,
    mem: '16G',
    gpus: 1,
    template: path.join(project, 'site.sh')
  });
  assert.deepEqual(resolvePlacement({}, { projectStart: tempDir(), cwd: project }), {});
});

test('what sbatch would refuse, or a broken nbx.json, is one line before anything runs', () => {
  const project = tempDir();
  const options = { projectStart: project, cwd: project };
  const refused = (given: object, pattern: RegExp): void =>
    assert.throws(
      () => resolvePlacement(given, options),
      (err: unknown) => err instanceof UserError && pattern.test(err.message)
    );
  refused({ time: 'soon' }, /^Slurm time limit 'soon': give minutes/);
  refused({ mem: 'lots' }, /^Slurm memory 'lots'/);
  refused({ gpus: 0 }, /^Slurm GPUs '0'/);
  refused({ template: 'missing.sh' }, /^Slurm template .*missing\.sh: ENOENT$/);
  fs.writeFileSync(path.join(project, 'nbx.json'), '{"slurm": {"partition": 3}}');
  refused({}, /nbx\.json: "slurm"\.partition must be a string$/);
  fs.writeFileSync(path.join(project, 'nbx.json'), '{"slurm": {"queue": "x"}}');
  refused({}, /unknown option 'queue' \(known: partition, time, gpus, cpus, mem, template\)$/);
});
