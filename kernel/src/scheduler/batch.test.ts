import assert from 'node:assert/strict';
import { flagDef } from '../testing/fixtures';
import { test } from 'node:test';

import { UserError } from '../base/errors';
import type { IFlagDef } from '../notebook/flags';
import { parseAssignments } from '../notebook/flags';
import type { JSONValue } from '../base/json';
import { MAX_TRIALS, expandTrials, type IExpandOptions } from './batch';
import { previewTrials } from './batch-preview';

const flag = flagDef;

const DEFS: IFlagDef[] = [
  flag('lr', 'number', 0.1),
  flag('epochs', 'number', 10),
  flag('layers', 'list', [64, 32]),
  flag('opt', 'string', 'adam'),
  flag('bn', 'boolean', true),
  flag('seed', 'null', null),
  flag('pairs', 'list', [
    [1, 2],
    [3, 4]
  ])
];

function expand(args: string[], options: IExpandOptions = {}): ReturnType<typeof expandTrials> {
  return expandTrials(DEFS, parseAssignments(args), { notebook: 'train.ipynb', ...options });
}

function fails(args: string[], message: string, options: IExpandOptions = {}): void {
  assert.throws(
    () => expand(args, options),
    (err: unknown) => {
      assert.ok(err instanceof UserError, `not a UserError: ${String(err)}`);
      assert.equal(err.message, message);
      assert.ok(!err.message.includes('\n'));
      return true;
    }
  );
}

test('no lists: a single trial of the assigned flags, coerced', () => {
  const plan = expand(['lr=0.01', 'layers=[128,64]', 'bn=no', 'opt=sgd']);
  assert.equal(plan.kind, 'single');
  assert.deepEqual(plan.trials, [{ lr: 0.01, layers: [128, 64], bn: false, opt: 'sgd' }]);
  assert.equal(plan.seed, null);
  assert.deepEqual(plan.warnings, []);
  assert.deepEqual(expand([]).trials, [{}]);
});

test('--max-trials on a single run is ignored with a warning', () => {
  const plan = expand(['lr=0.01'], { maxTrials: 3 });
  assert.equal(plan.kind, 'single');
  assert.equal(plan.trials.length, 1);
  assert.deepEqual(plan.warnings, ['not a batch (no list of values): --max-trials ignored']);
});

test('grid: cartesian product, first flag varies slowest, numbers coerced', () => {
  const plan = expand(['lr=[0.001,0.01]', 'epochs=5', 'opt=[adam, sgd, "rms prop"]']);
  assert.equal(plan.kind, 'grid');
  assert.equal(plan.gridSize, 6);
  assert.equal(plan.seed, null);
  assert.deepEqual(plan.trials, [
    { lr: 0.001, epochs: 5, opt: 'adam' },
    { lr: 0.001, epochs: 5, opt: 'sgd' },
    { lr: 0.001, epochs: 5, opt: 'rms prop' },
    { lr: 0.01, epochs: 5, opt: 'adam' },
    { lr: 0.01, epochs: 5, opt: 'sgd' },
    { lr: 0.01, epochs: 5, opt: 'rms prop' }
  ]);
  assert.equal(typeof plan.trials[0].lr, 'number');
});

test('grid: the issue example gives 4 trials; booleans and untyped flags expand too', () => {
  assert.equal(expand(['lr=[0.001,0.01]', 'epochs=[2,4]']).trials.length, 4);
  assert.deepEqual(expand(['bn=[yes,no]']).trials, [{ bn: true }, { bn: false }]);
  assert.deepEqual(expand(['seed=[1, abc, null]']).trials, [
    { seed: 1 },
    { seed: 'abc' },
    { seed: null }
  ]);
  assert.deepEqual(expand(['lr=[0.5]']).trials, [{ lr: 0.5 }]);
});

test('a later assignment of a flag replaces an earlier one', () => {
  assert.deepEqual(expand(['lr=[1,2]', 'lr=3']).trials, [{ lr: 3 }]);
});

test('list flags: a list is one value, a list of lists is a grid', () => {
  assert.deepEqual(expand(['layers=[64,32]']), {
    kind: 'single',
    trials: [{ layers: [64, 32] }],
    seed: null,
    gridSize: null,
    batchFile: null,
    warnings: []
  });
  assert.deepEqual(expand(['layers=[]']).trials, [{ layers: [] }]);
  const grid = expand(['layers=[[64,32],[128]]', 'lr=[1,2]']);
  assert.equal(grid.kind, 'grid');
  assert.deepEqual(grid.trials, [
    { layers: [64, 32], lr: 1 },
    { layers: [64, 32], lr: 2 },
    { layers: [128], lr: 1 },
    { layers: [128], lr: 2 }
  ]);
  // A flag whose default is a list of lists needs one more level for a grid.
  assert.deepEqual(expand(['pairs=[[5,6]]']).trials, [{ pairs: [[5, 6]] }]);
  assert.deepEqual(expand(['pairs=[[[5,6]],[[7,8],[9,10]]]']).trials, [
    { pairs: [[5, 6]] },
    {
      pairs: [
        [7, 8],
        [9, 10]
      ]
    }
  ]);
});

test('range is inclusive of its stop (as Guild), with steps up and down', () => {
  const values = (arg: string): JSONValue[] => expand([`lr=${arg}`]).trials.map(t => t.lr);
  assert.deepEqual(values('range[1:5]'), [1, 2, 3, 4, 5]);
  assert.deepEqual(values('range[1:5:2]'), [1, 3, 5]);
  assert.deepEqual(values('range[1:6:2]'), [1, 3, 5]);
  assert.deepEqual(values('range[0:1:0.25]'), [0, 0.25, 0.5, 0.75, 1]);
  assert.deepEqual(values('range[0:0.3:0.1]'), [0, 0.1, 0.2, 0.3]);
  assert.deepEqual(values('range[3:1]'), [3, 2, 1]);
  assert.deepEqual(values('range[10:0:-5]'), [10, 5, 0]);
  assert.deepEqual(values('range[2:2]'), [2]);
});

test('linspace and logspace expand to lists (n defaults to 5, logspace is base 10)', () => {
  const values = (arg: string): JSONValue[] => expand([`lr=${arg}`]).trials.map(t => t.lr);
  assert.deepEqual(values('linspace[0:1:5]'), [0, 0.25, 0.5, 0.75, 1]);
  assert.deepEqual(values('linspace[0:1:11]'), [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
  assert.deepEqual(values('linspace[0:10]'), [0, 2.5, 5, 7.5, 10]);
  assert.deepEqual(values('linspace[3:9:1]'), [3]);
  assert.deepEqual(values('logspace[-4:-1:4]'), [0.0001, 0.001, 0.01, 0.1]);
  assert.deepEqual(values('logspace[0:2:3]'), [1, 10, 100]);
  assert.deepEqual(values('logspace[0:3:4:2]'), [1, 2, 4, 8]);
});

test('sequences combine with lists in a grid', () => {
  const plan = expand(['lr=logspace[-3:-2:2]', 'epochs=range[1:3]']);
  assert.equal(plan.kind, 'grid');
  assert.equal(plan.trials.length, 6);
  assert.deepEqual(plan.trials[0], { lr: 0.001, epochs: 1 });
  assert.deepEqual(plan.trials[5], { lr: 0.01, epochs: 3 });
});

test('random search: same seed same trials, another seed other trials', () => {
  const args = ['lr=loguniform[1e-5:1e-1]', 'epochs=int[1:3]', 'opt=choice[adam,sgd]'];
  const a = expand(args, { maxTrials: 8, seed: 7 });
  const b = expand(args, { maxTrials: 8, seed: 7 });
  const c = expand(args, { maxTrials: 8, seed: 8 });
  assert.equal(a.kind, 'random');
  assert.equal(a.seed, 7);
  assert.equal(a.trials.length, 8);
  assert.deepEqual(a.trials, b.trials);
  assert.notDeepEqual(a.trials, c.trials);
});

test('random search without --seed draws a seed, returns it, and it replays', () => {
  const args = ['lr=uniform[0:1]'];
  const first = expand(args, { maxTrials: 5 });
  assert.ok(first.seed !== null && Number.isInteger(first.seed));
  const replay = expand(args, { maxTrials: 5, seed: first.seed ?? undefined });
  assert.deepEqual(replay.trials, first.trials);
});

test('distributions stay within bounds; int is inclusive; choice values are coerced', () => {
  const plan = expand(
    [
      'lr=uniform[0.25:0.5]',
      'seed=loguniform[0.001:0.1]',
      'epochs=int[1:3]',
      'opt=choice[adam, "s g d"]',
      'bn=choice[yes,no]',
      'layers=choice[[64,32],[128]]'
    ],
    { maxTrials: 400, seed: 1 }
  );
  const ints = new Set<JSONValue>();
  const opts = new Set<JSONValue>();
  const layers = new Set<string>();
  let lowDecade = 0;
  for (const t of plan.trials) {
    assert.ok(typeof t.lr === 'number' && t.lr >= 0.25 && t.lr < 0.5);
    assert.ok(typeof t.seed === 'number' && t.seed >= 0.001 && t.seed <= 0.1);
    if ((t.seed as number) < 0.01) {
      lowDecade++;
    }
    assert.ok(Number.isInteger(t.epochs));
    ints.add(t.epochs);
    opts.add(t.opt);
    assert.equal(typeof t.bn, 'boolean');
    layers.add(JSON.stringify(t.layers));
  }
  assert.deepEqual([...ints].sort(), [1, 2, 3]);
  assert.deepEqual([...opts].sort(), ['adam', 's g d']);
  assert.deepEqual([...layers].sort(), ['[128]', '[64,32]']);
  // loguniform: each decade about equally likely.
  assert.ok(lowDecade > 140 && lowDecade < 260, `low decade ${lowDecade}`);
});

test("Guild's [LOW:HIGH] shorthand: int for integer bounds, else uniform", () => {
  const ints = expand(['epochs=[1:4]'], { maxTrials: 50, seed: 2 });
  assert.equal(ints.kind, 'random');
  assert.ok(ints.trials.every(t => Number.isInteger(t.epochs) && (t.epochs as number) <= 4));
  const floats = expand(['lr=[0.1:0.2]'], { maxTrials: 50, seed: 2 });
  assert.ok(floats.trials.some(t => !Number.isInteger((t.lr as number) * 100)));
  // Not for string flags: there it is a one-item list.
  assert.deepEqual(expand(['opt=[12:30]']).trials, [{ opt: '12:30' }]);
});

test('mixed lists and distributions: a random search sampling the lists as choices', () => {
  const plan = expand(['lr=uniform[0:1]', 'opt=[adam,sgd]', 'epochs=range[1:2]', 'bn=no'], {
    maxTrials: 60,
    seed: 3
  });
  assert.equal(plan.kind, 'random');
  assert.equal(plan.trials.length, 60);
  assert.deepEqual([...new Set(plan.trials.map(t => t.opt))].sort(), ['adam', 'sgd']);
  assert.deepEqual([...new Set(plan.trials.map(t => t.epochs))].sort(), [1, 2]);
  assert.ok(plan.trials.every(t => t.bn === false));
});

test('--max-trials on a grid samples that many distinct trials, reproducibly', () => {
  const args = ['lr=[1,2,3,4]', 'epochs=[1,2,3]', 'opt=[a,b]'];
  const full = expand(args).trials.map(t => JSON.stringify(t));
  const a = expand(args, { maxTrials: 5, seed: 10 });
  assert.equal(a.kind, 'grid');
  assert.equal(a.gridSize, 24);
  assert.equal(a.seed, 10);
  assert.equal(a.trials.length, 5);
  const keys = a.trials.map(t => JSON.stringify(t));
  assert.equal(new Set(keys).size, 5);
  // Kept in grid order.
  const positions = keys.map(k => full.indexOf(k));
  assert.ok(positions.every(p => p >= 0));
  assert.deepEqual(
    positions,
    [...positions].sort((x, y) => x - y)
  );
  assert.deepEqual(expand(args, { maxTrials: 5, seed: 10 }).trials, a.trials);
  assert.notDeepEqual(expand(args, { maxTrials: 5, seed: 11 }).trials, a.trials);
  // As many or more than the grid: the whole grid, nothing random.
  const all = expand(args, { maxTrials: 24 });
  assert.equal(all.trials.length, 24);
  assert.equal(all.seed, null);
});

test('a huge grid can be sampled but not run whole', () => {
  const args = ['lr=range[1:100]', 'epochs=range[1:100]', 'seed=range[1:100]'];
  const sampled = expand(args, { maxTrials: 3, seed: 1 });
  assert.equal(sampled.gridSize, 1000000);
  assert.equal(sampled.trials.length, 3);
  fails(
    args,
    `the grid has 1000000 trials, more than the limit of ${MAX_TRIALS}; use --max-trials N to sample some of them`
  );
});

test('--force-flags: unknown names are inferred, and may be swept', () => {
  const plan = expandTrials(DEFS, parseAssignments(['extra=[1,two]', 'lr=0.5']), { force: true });
  assert.deepEqual(plan.trials, [
    { extra: 1, lr: 0.5 },
    { extra: 'two', lr: 0.5 }
  ]);
  const random = expandTrials(DEFS, parseAssignments(['extra=uniform[1:2]']), {
    force: true,
    maxTrials: 2,
    seed: 1
  });
  assert.equal(random.kind, 'random');
});

test('a quoted value is one value, never a sweep', () => {
  assert.deepEqual(expand(["opt='[a,b]'"]).trials, [{ opt: '[a,b]' }]);
  assert.deepEqual(expand(['opt="uniform[0:1]"']).trials, [{ opt: 'uniform[0:1]' }]);
});

test('bad input: each a one-line UserError', () => {
  fails(
    ['lr=[]'],
    "invalid value for flag 'lr': '[]' is an empty list (a list makes one trial per item)"
  );
  fails(
    ['opt=[]'],
    "invalid value for flag 'opt': '[]' is an empty list (a list makes one trial per item)"
  );
  fails(
    ['lr=uniform[0.1:0.001]'],
    "invalid value for flag 'lr': 'uniform[0.1:0.001]' needs LOW < HIGH (got 0.1 and 0.001)",
    { maxTrials: 2 }
  );
  fails(
    ['lr=uniform[1:1]'],
    "invalid value for flag 'lr': 'uniform[1:1]' needs LOW < HIGH (got 1 and 1)",
    { maxTrials: 2 }
  );
  fails(
    ['lr=loguniform[0:1]'],
    "invalid value for flag 'lr': 'loguniform[0:1]' needs bounds above 0",
    { maxTrials: 2 }
  );
  fails(
    ['lr=loguniform[-1:1]'],
    "invalid value for flag 'lr': 'loguniform[-1:1]' needs bounds above 0",
    { maxTrials: 2 }
  );
  fails(
    ['epochs=int[1.5:3]'],
    "invalid value for flag 'epochs': 'int[1.5:3]' needs integer bounds",
    { maxTrials: 2 }
  );
  fails(
    ['lr=uniform[0.001:0.1]'],
    "a random search needs --max-trials N (flag 'lr' is uniform[0.001:0.1])"
  );
  fails(
    ['epochs=[1,2]', 'opt=choice[a,b]'],
    "a random search needs --max-trials N (flag 'opt' is choice[a,b])"
  );
  fails(['lr=[1,2]'], '--max-trials must be a positive integer, got 0', { maxTrials: 0 });
  fails(['lr=[1,2]'], '--max-trials must be a positive integer, got -2', { maxTrials: -2 });
  fails(['lr=[1,2]'], '--max-trials must be a positive integer, got 1.5', { maxTrials: 1.5 });
  fails(['lr=[1,2]'], `--max-trials 20000 is more than the limit of ${MAX_TRIALS}`, {
    maxTrials: 20000
  });
  fails(['lr=uniform[0:1]'], '--seed must be an integer from 0 to 4294967295, got -1', {
    maxTrials: 1,
    seed: -1
  });
  fails(
    ['lr=range[1]'],
    "invalid value for flag 'lr': 'range[1]' is malformed (use range[START:STOP] or range[START:STOP:STEP])"
  );
  fails(
    ['lr=range[]'],
    "invalid value for flag 'lr': 'range[]' is malformed (use range[START:STOP] or range[START:STOP:STEP])"
  );
  fails(
    ['lr=range[1:2:3:4]'],
    "invalid value for flag 'lr': 'range[1:2:3:4]' is malformed (use range[START:STOP] or range[START:STOP:STEP])"
  );
  fails(
    ['lr=range[a:5]'],
    "invalid value for flag 'lr': 'range[a:5]' has 'a' where a number belongs"
  );
  fails(['lr=range[1:5:0]'], "invalid value for flag 'lr': 'range[1:5:0]' has a step of 0");
  fails(
    ['lr=range[5:1:1]'],
    "invalid value for flag 'lr': 'range[5:1:1]' is empty (a step of 1 never reaches 1 from 5)"
  );
  fails(
    ['lr=range[0:1e6]'],
    "invalid value for flag 'lr': 'range[0:1e6]' makes 1000001 values (at most 10000)"
  );
  fails(
    ['lr=linspace[0:1:0]'],
    "invalid value for flag 'lr': 'linspace[0:1:0]' has a count of 0 (it must be a positive integer)"
  );
  fails(
    ['lr=logspace[0:1:3:1]'],
    "invalid value for flag 'lr': 'logspace[0:1:3:1]' has a base of 1 (it must be positive and not 1)"
  );
  fails(
    ['lr=uniform[1]'],
    "invalid value for flag 'lr': 'uniform[1]' is malformed (use uniform[LOW:HIGH])"
  );
  fails(['lr=choice[]'], "invalid value for flag 'lr': 'choice[]' is an empty choice");
  fails(['lr=choice[1,x]'], "invalid value for flag 'lr': 'x' is not a number", { maxTrials: 1 });
  fails(['lr=[1,,2]'], "invalid value for flag 'lr': '[1,,2]' is not a list (empty item)");
  fails(['lr=[0.1,abc]'], "invalid value for flag 'lr': 'abc' is not a number");
  fails(
    ['lr=unifrom[0:1]'],
    "invalid value for flag 'lr': 'unifrom[0:1]' uses an unknown function 'unifrom' (known: range, linspace, logspace, uniform, loguniform, int, choice)"
  );
  fails(
    ['opt=range[1:3]'],
    "invalid value for flag 'opt': 'range[1:3]' gives numbers, but flag 'opt' is a string flag"
  );
  fails(
    ['layers=uniform[1:3]'],
    "invalid value for flag 'layers': 'uniform[1:3]' gives numbers, but flag 'layers' is a list flag"
  );
  fails(
    ['lrr=[1,2]'],
    "unknown flag 'lrr' for train.ipynb; flags: bn, epochs, layers, lr, opt, pairs, seed (or use --force-flags); did you mean 'lr'?"
  );
});

test('previewTrials: a table of trial number × flags under a summary line', () => {
  assert.equal(
    previewTrials(expand(['lr=[0.001,0.01]', 'layers=[[64,32],[128]]', 'opt="a b"'])),
    [
      'grid: 4 trials',
      '#     lr  layers   opt',
      '1  0.001  [64,32]  "a b"',
      '2  0.001  [128]    "a b"',
      '3   0.01  [64,32]  "a b"',
      '4   0.01  [128]    "a b"'
    ].join('\n')
  );
  const random = previewTrials(expand(['lr=uniform[0:1]'], { maxTrials: 2, seed: 5 }));
  assert.match(random, /^random search: 2 trials \(seed 5\)\n# +lr\n1 +0\.\d{1,6}\n2 +0\.\d{1,6}$/);
  const sampled = previewTrials(expand(['lr=[1,2,3]'], { maxTrials: 2, seed: 5 }));
  assert.match(sampled, /^grid: 2 trials sampled from 3 \(seed 5\)\n/);
  assert.equal(previewTrials(expand([])), '1 trial (a single run, no batch)\n#\n1');
});
