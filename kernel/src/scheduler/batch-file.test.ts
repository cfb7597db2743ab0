import assert from 'node:assert/strict';
import { flagDef } from '../testing/fixtures';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';

import { UserError } from '../base/errors';
import type { IFlagDef } from '../notebook/flags';
import { parseAssignments } from '../notebook/flags';
import { expandTrials, type IExpandOptions } from './batch';
import { previewTrials } from './batch-preview';
import { parseCsv } from './batch-csv';

const flag = flagDef;

const DEFS: IFlagDef[] = [
  flag('lr', 'number', 0.1),
  flag('epochs', 'number', 10),
  flag('layers', 'list', [64, 32]),
  flag('opt', 'string', 'adam'),
  flag('bn', 'boolean', true)
];

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nbx-batch-file-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  fs.writeFileSync(path.join(dir, name), text);
  return name;
}

function expand(file: string, args: string[] = [], options: IExpandOptions = {}) {
  return expandTrials(DEFS, parseAssignments(args), {
    batchFile: file,
    cwd: dir,
    notebook: 'train.ipynb',
    ...options
  });
}

function fails(file: string, message: string, args: string[] = [], options: IExpandOptions = {}) {
  assert.throws(
    () => expand(file, args, options),
    (err: unknown) => {
      assert.ok(err instanceof UserError, `not a UserError: ${String(err)}`);
      assert.equal(err.message, message);
      return true;
    }
  );
}

test('parseCsv: quotes, doubled quotes, multi-line values, CRLF, BOM, blank lines', () => {
  const records = parseCsv('\ufeffa,b\r\n"x, y","say ""hi"""\r\n\r\n 1 , "line\nbreak"\n,""\n');
  assert.deepEqual(records, [
    {
      line: 1,
      cells: [
        { text: 'a', quoted: false },
        { text: 'b', quoted: false }
      ]
    },
    {
      line: 2,
      cells: [
        { text: 'x, y', quoted: true },
        { text: 'say "hi"', quoted: true }
      ]
    },
    {
      line: 4,
      cells: [
        { text: '1', quoted: false },
        { text: 'line\nbreak', quoted: true }
      ]
    },
    {
      line: 6,
      cells: [
        { text: '', quoted: false },
        { text: '', quoted: true }
      ]
    }
  ]);
});

test('CSV: one trial per row, values coerced per flag, empty cells left at default', () => {
  const file = write(
    'trials.csv',
    'lr,layers,opt,bn\n0.001,"[128,64]",sgd,no\n1e-2,"[32]",,yes\n0.1,"[8]","",1\n'
  );
  const plan = expand(file);
  assert.equal(plan.kind, 'file');
  assert.equal(plan.batchFile, 'trials.csv');
  assert.deepEqual(plan.trials, [
    { lr: 0.001, layers: [128, 64], opt: 'sgd', bn: false },
    { lr: 0.01, layers: [32], bn: true },
    { lr: 0.1, layers: [8], opt: '', bn: true }
  ]);
  assert.equal(
    previewTrials(plan),
    [
      'batch file trials.csv: 3 trials',
      '#     lr  layers    opt  bn',
      '1  0.001  [128,64]  sgd  false',
      '2   0.01  [32]           true',
      '3    0.1  [8]       ""   true'
    ].join('\n')
  );
});

test('CSV: command-line flags apply to every row and win; --max-trials keeps the first rows', () => {
  const file = write('cli.csv', 'lr,epochs\n0.1,1\n0.2,2\n0.3,3\n');
  assert.deepEqual(expand(file, ['epochs=7', 'opt=x']).trials, [
    { lr: 0.1, epochs: 7, opt: 'x' },
    { lr: 0.2, epochs: 7, opt: 'x' },
    { lr: 0.3, epochs: 7, opt: 'x' }
  ]);
  assert.deepEqual(expand(file, [], { maxTrials: 2 }).trials, [
    { lr: 0.1, epochs: 1 },
    { lr: 0.2, epochs: 2 }
  ]);
});

test('CSV: a malformed row is named by its row number (the header is row 1)', () => {
  const file = write('trials.csv', 'lr,epochs,opt\n0.1,1,a\n0.2,2\n');
  fails(file, 'trials.csv row 3: 2 values for 3 columns');
  write('extra.csv', 'lr\n0.1\n\n0.2,3\n');
  fails('extra.csv', 'extra.csv row 4: 2 values for 1 column');
  write('bad-value.csv', 'lr,bn\n0.1,yes\nfast,no\n');
  fails(
    'bad-value.csv',
    "bad-value.csv row 3: invalid value for flag 'lr': 'fast' is not a number"
  );
  write('quote.csv', 'lr,opt\n0.1,"open\n');
  fails('quote.csv', 'quote.csv row 2: a quoted value has no closing "');
  write('after.csv', 'lr,opt\n0.1,"a"b\n');
  fails('after.csv', 'after.csv row 2: unexpected text after a quoted value');
});

test('CSV: unknown, missing or repeated column names; empty files', () => {
  write('unknown.csv', 'lr,epoch\n0.1,1\n');
  fails(
    'unknown.csv',
    "unknown.csv row 1: unknown flag 'epoch' for train.ipynb; flags: bn, epochs, layers, lr, opt " +
      "(or use --force-flags); did you mean 'epochs'?"
  );
  write('twice.csv', 'lr,lr\n0.1,0.2\n');
  fails('twice.csv', "twice.csv row 1: column 'lr' appears twice");
  write('noname.csv', 'lr,,opt\n0.1,1,a\n');
  fails('noname.csv', 'noname.csv row 1: column 2 has no flag name');
  write('empty.csv', '');
  fails('empty.csv', 'empty.csv is empty (expected a header row of flag names)');
  write('header.csv', 'lr,opt\n');
  fails('header.csv', 'header.csv has no trials (only a header row)');
  // --force-flags accepts unknown columns, inferring their values.
  assert.deepEqual(expand('unknown.csv', [], { force: true }).trials, [{ lr: 0.1, epoch: 1 }]);
});

test('JSON: an array of objects; values typed or coerced; null leaves the default', () => {
  const file = write(
    'trials.json',
    JSON.stringify([
      { lr: 0.001, layers: [128, 64], opt: 'sgd', bn: false },
      { lr: '1e-2', layers: '[32]', bn: 'yes', epochs: null },
      { opt: 5 }
    ])
  );
  const plan = expand(file, ['epochs=3']);
  assert.equal(plan.kind, 'file');
  assert.deepEqual(plan.trials, [
    { lr: 0.001, layers: [128, 64], opt: 'sgd', bn: false, epochs: 3 },
    { lr: 0.01, layers: [32], bn: true, epochs: 3 },
    { opt: '5', epochs: 3 }
  ]);
  write('one.json', '{"lr": 0.5}');
  assert.deepEqual(expand('one.json').trials, [{ lr: 0.5 }]);
});

test('JSON: errors name the file and the trial', () => {
  write('unknown.json', '[{"lr": 0.1}, {"lrr": 0.2}]');
  fails(
    'unknown.json',
    "unknown.json trial 2: unknown flag 'lrr' for train.ipynb; flags: bn, epochs, layers, lr, opt " +
      "(or use --force-flags); did you mean 'lr'?"
  );
  write('notobj.json', '[{"lr": 0.1}, 3]');
  fails('notobj.json', 'notobj.json trial 2: expected an object of flag values, got a number');
  write('badval.json', '[{"lr": true}]');
  fails('badval.json', "badval.json trial 1: invalid value for flag 'lr': 'true' is not a number");
  write('badlist.json', '[{"layers": ["a"]}]');
  fails(
    'badlist.json',
    "badlist.json trial 1: invalid value for flag 'layers': 'a' is not a number"
  );
  write('empty.json', '[]');
  fails('empty.json', 'empty.json has no trials (an empty list)');
  write('broken.json', '[{"lr": 0.1,]');
  assert.throws(() => expand('broken.json'), /^UserError: broken\.json is not valid JSON \(.+\)$/);
});

test('batch files: unreadable, unsupported, or combined with a list on the command line', () => {
  fails('missing.csv', "cannot read batch file 'missing.csv': no such file");
  fails('trials.yaml', "unsupported batch file 'trials.yaml' (use a .csv or .json file)");
  write('ok.csv', 'lr\n0.1\n');
  fails(
    'ok.csv',
    "flag 'epochs' is [1,2], but with --batch-file command-line flags are single values " +
      'applied to every trial (put the values in ok.csv)',
    ['epochs=[1,2]']
  );
  fails(
    'ok.csv',
    "flag 'lr' is uniform[0:1], but with --batch-file command-line flags are single values " +
      'applied to every trial (put the values in ok.csv)',
    ['lr=uniform[0:1]']
  );
});
