/**
 * `nbx scalars`: the table and the JSON, on a run written with the scalar log writer.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { Command } from 'commander';
import { createRun } from '../../store/run-dir';
import { tempDir } from '../../testing/fixtures';
import {
  apiScalarLogName,
  OUTPUT_SCALAR_LOG,
  ScalarLogWriter,
  scalarsDir
} from '../../tracking/scalars-format';
import { addScalarsCommand, formatScalar } from './scalars';

/** Runs `nbx scalars args...` in this process with NBX_HOME=home; returns its stdout and stderr. */
async function scalarsCli(
  home: string,
  args: string[]
): Promise<{ stdout: string; stderr: string }> {
  const program = new Command('nbx').exitOverride();
  addScalarsCommand(program);
  const saved = {
    home: process.env.NBX_HOME,
    out: process.stdout.write,
    err: process.stderr.write
  };
  let stdout = '';
  let stderr = '';
  process.env.NBX_HOME = home;
  process.stdout.write = ((chunk: string) => (
    (stdout += chunk),
    true
  )) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => (
    (stderr += chunk),
    true
  )) as typeof process.stderr.write;
  try {
    await program.parseAsync(['node', 'nbx', 'scalars', ...args]);
  } finally {
    process.stdout.write = saved.out;
    process.stderr.write = saved.err;
    if (saved.home === undefined) {
      delete process.env.NBX_HOME;
    } else {
      process.env.NBX_HOME = saved.home;
    }
  }
  return { stdout, stderr };
}

function runWithScalars(): { home: string; id: string } {
  const home = tempDir();
  const run = createRun(home, { notebook: path.join(home, 'train.ipynb') });
  const out = new ScalarLogWriter(path.join(scalarsDir(run.path), OUTPUT_SCALAR_LOG));
  const api = new ScalarLogWriter(path.join(scalarsDir(run.path), apiScalarLogName(12)));
  for (let i = 0; i < 10; i++) {
    out.point('loss', i, 1000 + 2 * i, 1 / (i + 1));
    api.point('val/acc', i, 1001 + 2 * i, i / 10);
  }
  api.point('val/acc', 10, 2000, NaN);
  out.close();
  api.close();
  return { home, id: run.id };
}

describe('nbx scalars', () => {
  it('prints an aligned table of the summary per key', async () => {
    const { home, id } = runWithScalars();
    const { stdout } = await scalarsCli(home, [id.slice(0, 6)]);
    assert.equal(
      stdout,
      [
        'key      last  min  max  count  step',
        'loss      0.1  0.1    1     10     9',
        'val/acc   nan    0  0.9     11    10',
        ''
      ].join('\n')
    );
  });

  it('--json prints the summary, --points every point by key', async () => {
    const { home, id } = runWithScalars();
    const summary = JSON.parse((await scalarsCli(home, ['1', '--json'])).stdout) as {
      summary: Record<string, { last: number | null; count: number }>;
    };
    assert.deepEqual(Object.keys(summary), ['summary']);
    assert.equal(summary.summary.loss.last, 0.1);
    assert.equal(summary.summary['val/acc'].last, null, 'NaN prints as null');
    const all = JSON.parse((await scalarsCli(home, [id, '--json', '--points'])).stdout) as {
      points: Record<string, { step: number[]; time: number[]; value: (number | null)[] }>;
    };
    assert.deepEqual(Object.keys(all.points), ['loss', 'val/acc']);
    assert.deepEqual(all.points.loss.step, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.equal(all.points.loss.time[0], 1000);
    assert.equal(all.points['val/acc'].value[10], null);
  });

  it('says so when a run has no scalars, and fails on an unknown run', async () => {
    const home = tempDir();
    const run = createRun(home, { notebook: path.join(home, 'x.ipynb') });
    const { stdout, stderr } = await scalarsCli(home, [run.id]);
    assert.equal(stdout, '');
    assert.match(stderr, /has no scalars/);
    await assert.rejects(scalarsCli(home, ['zzz']), /no run matches 'zzz'/);
  });

  it('formats values compactly', () => {
    assert.equal(formatScalar(3), '3');
    assert.equal(formatScalar(0.1 + 0.2), '0.3');
    assert.equal(formatScalar(1234567.8), '1.23457e+6');
    assert.equal(formatScalar(1.5e-9), '1.5e-9');
    assert.equal(formatScalar(-Infinity), '-inf');
  });
});
