/**
 * `nbx compare` through commander, in process: the command is registered on a test-local
 * program (the real `nbx` registers it in cli/main.ts), stdout/stderr are captured.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { Command } from 'commander';
import { UserError } from '../../base/errors';
import { arrow } from '../../store/index-arrow';
import type { IScalarSummary, RunMeta } from '../../store/meta';
import { createRun } from '../../store/run-dir';
import { tempDir } from '../../testing/fixtures';
import { formatNumber } from '../../base/display';
import { formatCell } from '../../store/compare-text';
import { addCompareCommand } from './compare';

function summary(last: number, min = last): IScalarSummary {
  return { first: 1, last, min, max: 1, count: 2, lastStep: 1 };
}

/** A runs root with three runs; returns it and the ids, oldest first. */
function store(): { home: string; ids: string[] } {
  const home = path.join(tempDir(), 'home');
  const runs: Partial<RunMeta>[] = [
    {
      flags: { lr: 0.01, opt: 'adam' },
      label: 'lr=0.01',
      scalars: { loss: summary(0.123456, 0.1) }
    },
    { flags: { lr: 0.001, opt: 'adam' }, label: null, scalars: { loss: summary(2.5e-7) } },
    {
      flags: { lr: 0.1, opt: 'adam' },
      label: 'a very long label that goes on and on and on and on',
      scalars: {}
    }
  ];
  const ids = runs.map((patch, i) => {
    const dir = createRun(home, { notebook: 'train.ipynb' });
    dir.updateMeta({
      ...patch,
      status: i === 2 ? 'error' : 'completed',
      created: new Date(Date.UTC(2025, 0, 1 + i)).toISOString(),
      started: new Date(Date.UTC(2025, 0, 1 + i)).toISOString(),
      stopped: new Date(Date.UTC(2025, 0, 1 + i) + 65_000).toISOString()
    });
    return dir.id;
  });
  return { home, ids };
}

/** Runs `nbx compare args...` against `home`, capturing output. */
async function compare(
  home: string,
  args: string[]
): Promise<{ stdout: string; stderr: string; error: unknown }> {
  const program = new Command('nbx').exitOverride();
  addCompareCommand(program);
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  const saved = process.env.NBX_HOME;
  process.env.NBX_HOME = home;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  let error: unknown = null;
  try {
    await program.parseAsync(['node', 'nbx', 'compare', ...args]);
  } catch (e) {
    error = e;
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
    process.env.NBX_HOME = saved;
  }
  return { stdout, stderr, error };
}

describe('nbx compare', () => {
  it('prints an aligned table of the flags that differ and the last scalars', async () => {
    const { home, ids } = store();
    const r = await compare(home, []);
    assert.equal(r.error, null);
    const short = ids.map(id => id.slice(0, 8));
    assert.equal(
      r.stdout,
      [
        'run       notebook     status     label                                       =lr   #loss',
        `${short[2]}  train.ipynb  error      a very long label that goes on and on a…    0.1       -`,
        `${short[1]}  train.ipynb  completed  -                                         0.001  2.5e-7`,
        `${short[0]}  train.ipynb  completed  lr=0.01                                    0.01  0.1235`,
        ''
      ].join('\n')
    );
  });

  it('takes runs, --columns, --where and --sort', async () => {
    const { home, ids } = store();
    const r = await compare(home, [
      '1',
      '3',
      '--columns',
      '=lr,#loss:min,.duration',
      '--sort',
      '=lr'
    ]);
    assert.equal(r.error, null);
    assert.equal(
      r.stdout,
      [
        'run        =lr  #loss:min  duration',
        `${ids[0].slice(0, 8)}  0.01        0.1     1m05s`,
        `${ids[2].slice(0, 8)}   0.1          -     1m05s`,
        ''
      ].join('\n')
    );
    const filtered = await compare(home, ['--where', 'lr < 0.05', '--columns', 'lr']);
    assert.equal(filtered.stdout.trim().split('\n').length, 3);
    const none = await compare(home, ['--where', 'lr > 5']);
    assert.equal(none.stdout, '');
    assert.equal(none.stderr, 'no runs match\n');
  });

  it('writes --csv, --json and --arrow', async () => {
    const { home, ids } = store();
    const csv = await compare(home, ['--csv', '--columns', '=lr,#loss']);
    assert.equal(
      csv.stdout,
      `id,=lr,#loss\n${ids[2]},0.1,\n${ids[1]},0.001,2.5e-7\n${ids[0]},0.01,0.123456\n`
    );
    const json = await compare(home, ['2', '--json', '--columns', 'lr,status,started']);
    assert.deepEqual(JSON.parse(json.stdout), [
      { id: ids[1], '=lr': 0.001, status: 'completed', started: '2025-01-02T00:00:00.000Z' }
    ]);
    const file = path.join(tempDir(), 'cmp.arrow');
    const written = await compare(home, ['--arrow', file]);
    assert.equal(written.error, null);
    assert.equal(written.stdout, '');
    assert.match(written.stderr, /^wrote 3 runs × 6 columns to /);
    const table = arrow.tableFromIPC(fs.readFileSync(file));
    assert.equal(table.numRows, 3);
    assert.deepEqual(
      table.schema.fields.map(f => f.name),
      ['id', 'notebook', 'status', 'label', '=lr', '#loss']
    );
  });

  it('reports bad input as one-line errors', async () => {
    const { home } = store();
    const cases: [string[], string][] = [
      [
        ['--where', 'lr >> 1'],
        "invalid --where 'lr >> 1': unexpected '>' at column 5 (expected a value)"
      ],
      [
        ['--columns', '=lr,=nope'],
        "invalid --columns '=lr,=nope': unknown column '=nope' at column 5"
      ],
      [['--sort', 'nope'], "invalid --sort 'nope': unknown column 'nope' at column 1"],
      [['--csv', '--json'], 'choose one of --csv, --json and --arrow'],
      [['zzzz'], "no run matches 'zzzz' (see nbx runs)"],
      [['--limit', 'x'], "invalid --limit 'x' — give a whole number"]
    ];
    for (const [args, message] of cases) {
      const r = await compare(home, args);
      assert.ok(r.error instanceof UserError, `${args.join(' ')}: ${String(r.error)}`);
      assert.equal(r.error.message, message);
    }
  });

  it('formats numbers with 4 significant digits and cells for people', () => {
    assert.equal(formatNumber(0.001), '0.001');
    assert.equal(formatNumber(0.123456), '0.1235');
    assert.equal(formatNumber(12), '12');
    assert.equal(formatNumber(123456), '123456');
    assert.equal(formatNumber(1234.5678), '1235');
    assert.equal(formatNumber(2.5e-7), '2.5e-7');
    assert.equal(formatNumber(1e12), '1e+12');
    assert.equal(formatNumber(-0.5), '-0.5');
    assert.equal(formatCell(null, 'number', '#loss'), '-');
    assert.equal(formatCell(90, 'number', 'duration'), '1m30s');
    assert.equal(formatCell(['a', 'b'], 'list', 'tags'), 'a,b');
    assert.equal(formatCell(true, 'bool', '=amp'), 'true');
  });
});
