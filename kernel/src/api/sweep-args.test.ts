/**
 * `nbx.sweep` arguments as an `nbx run` command line, checked against the CLI's own
 * value parser (what the trials would get).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import type { IFlagDef } from '../notebook/flags';
import type { JSONValue } from '../base/json';
import { parseAssignments } from '../notebook/flags-values';
import { parseFlagDomain, type FlagDomain } from '../scheduler/batch-syntax';
import {
  flagAssignment,
  flagAssignments,
  needsFlagTypes,
  optionArgs,
  SweepArgumentError,
  type SweepFlagValue
} from './sweep-args';

function def(name: string, value: JSONValue): IFlagDef {
  const type = Array.isArray(value) ? 'list' : value === null ? 'null' : typeof value;
  return {
    name,
    type: type as IFlagDef['type'],
    default: value,
    description: null,
    cellIndex: 0
  };
}

/** What the CLI makes of the assignment for a flag with default `defaultValue`. */
function cliReads(name: string, value: SweepFlagValue, defaultValue: JSONValue): FlagDomain {
  const flag = def(name, defaultValue);
  const arg = flagAssignment(name, value, flag.type === 'list');
  const [{ raw }] = parseAssignments([arg]);
  return parseFlagDomain(flag, name, raw);
}

function values(domain: FlagDomain): JSONValue[] {
  assert.equal(domain.kind, 'values', JSON.stringify(domain));
  return domain.kind === 'values' ? domain.values : [];
}

describe('flag assignments', () => {
  it('an array is a sweep over its values', () => {
    assert.equal(flagAssignment('lr', [0.001, 0.01], false), 'lr=[0.001,0.01]');
    assert.deepEqual(values(cliReads('lr', [0.001, 0.01], 0.1)), [0.001, 0.01]);
    assert.deepEqual(values(cliReads('lr', [1e-7, 2.5e21], 0.1)), [1e-7, 2.5e21]);
    assert.deepEqual(values(cliReads('deep', [true, false], true)), [true, false]);
    assert.deepEqual(values(cliReads('n', [5], 1)), [5], 'one value is a sweep of one');
  });

  it('single values are one value', () => {
    assert.equal(flagAssignment('lr', 0.5, false), 'lr=0.5');
    assert.deepEqual(cliReads('lr', 0.5, 0.1), { kind: 'value', value: 0.5 });
    assert.deepEqual(cliReads('on', false, true), { kind: 'value', value: false });
    assert.deepEqual(cliReads('x', null, null), { kind: 'value', value: null });
  });

  it('strings are literal, even when they look like lists or hold quotes and commas', () => {
    for (const s of ['adam', '[a,b]', 'a, b', '"quoted"', "it's", '  spaced ', 'x=1', '']) {
      assert.deepEqual(cliReads('opt', s, 'sgd'), { kind: 'value', value: s }, s);
    }
    const sweep = ['adam', 'a,b', '[x]', 'say "hi"', "it's"];
    assert.deepEqual(values(cliReads('opt', sweep, 'sgd')), sweep);
  });

  it('a string with both kinds of quote cannot be a swept value', () => {
    assert.throws(
      () => flagAssignment('opt', ['a"b\'c', 'd'], false),
      (err: Error) =>
        err instanceof SweepArgumentError && /flag 'opt'.*both kinds of quote/.test(err.message)
    );
  });

  it('a sweep expression in a string is passed as the expression', () => {
    assert.equal(flagAssignment('lr', 'loguniform[1e-4:1e-1]', false), 'lr=loguniform[1e-4:1e-1]');
    assert.equal(cliReads('lr', 'loguniform[1e-4:1e-1]', 0.1).kind, 'distribution');
    assert.deepEqual(values(cliReads('n', 'range[1:3]', 1)), [1, 2, 3]);
    assert.equal(cliReads('opt', 'choice[adam,sgd]', 'x').kind, 'distribution');
  });

  it('a list flag is swept with an array of lists, strings and nesting kept', () => {
    assert.equal(flagAssignment('layers', [[64, 32], [128]], true), 'layers=[[64,32],[128]]');
    assert.deepEqual(values(cliReads('layers', [[64, 32], [128]], [1, 2])), [[64, 32], [128]]);
    assert.deepEqual(values(cliReads('layers', [[64, 32]], [1, 2])), [[64, 32]]);
    const names = [
      ['a', 'b "c"'],
      ['d,e', 'back\\slash']
    ];
    assert.deepEqual(values(cliReads('names', names, ['x'])), names);
  });

  it('a list flag given an array of non-lists is refused, naming the flag and the fix', () => {
    assert.throws(
      () => flagAssignment('layers', [64, 32], true),
      (err: Error) =>
        err instanceof SweepArgumentError &&
        err.message.startsWith("nbx.sweep: flag 'layers' is a list flag") &&
        err.message.includes('layers: [[64,32]]')
    );
    // Unknown type (the notebook could not be read here): the CLI decides.
    assert.equal(flagAssignment('layers', [64, 32], null), 'layers=[64,32]');
  });

  it('refuses an empty array and values that are not flag values', () => {
    assert.throws(() => flagAssignment('lr', [], false), /flag 'lr' has an empty array/);
    assert.throws(
      () => flagAssignment('cfg', { a: 1 } as unknown as JSONValue, false),
      /^SweepArgumentError: nbx\.sweep: flag 'cfg' has an object value; flag values are/
    );
    assert.throws(
      () => flagAssignment('f', [1, (() => 1) as unknown as JSONValue], null),
      /flag 'f' has a function value/
    );
    assert.throws(
      () => flagAssignments([1, 2] as unknown as Record<string, JSONValue>, null),
      /flags must be an object such as \{ lr: \[0\.001, 0\.01\] \}, got an array/
    );
  });

  it('non-finite numbers are written as the CLI spells them, which refuses them by name', () => {
    assert.equal(flagAssignment('x', [NaN, Infinity, -Infinity], false), 'x=[nan,inf,-inf]');
    assert.throws(
      () => cliReads('x', [1, Infinity], 1),
      /^UserError: invalid value for flag 'x': 'inf' is not a finite number/
    );
  });

  it('flag types are needed only for arrays of non-arrays', () => {
    assert.equal(needsFlagTypes({ lr: 0.1, layers: [[1], [2]] }), false);
    assert.equal(needsFlagTypes({ lr: [0.1, 0.2] }), true);
  });

  it('keeps the order of the flags', () => {
    assert.deepEqual(flagAssignments({ lr: [1, 2], layers: [2, 4], opt: 'adam' }, new Set()), [
      'lr=[1,2]',
      'layers=[2,4]',
      'opt="adam"'
    ]);
  });
});

describe('sweep options', () => {
  it('map to nbx run options', () => {
    assert.deepEqual(
      optionArgs({
        parallel: 2,
        gpus: [0, 1],
        gpusPerTrial: 1,
        label: 'lr=${lr}',
        tags: ['a', 'b'],
        maxTrials: 10,
        seed: 7,
        kernel: 'tslab',
        objective: '#loss'
      }),
      [
        '--parallel',
        '2',
        '--gpus',
        '0,1',
        '--gpus-per-trial',
        '1',
        '--max-trials',
        '10',
        '--seed',
        '7',
        '--label=lr=${lr}',
        '--kernel=tslab',
        '--objective=#loss',
        '--tag=a',
        '--tag=b'
      ]
    );
    assert.deepEqual(optionArgs({}), []);
    assert.deepEqual(optionArgs({ gpus: '0,2' }), ['--gpus', '0,2']);
  });

  it('refuse bad values with one line', () => {
    assert.throws(
      () => optionArgs({ parallel: 0 }),
      /^SweepArgumentError: nbx\.sweep: parallel must be a whole number above 0, got 0$/
    );
    assert.throws(() => optionArgs({ parallel: 1.5 }), /parallel must be a whole number/);
    assert.throws(() => optionArgs({ gpus: [] }), /gpus must be GPU indices/);
    assert.throws(() => optionArgs({ gpus: [-1] }), /gpus must be GPU indices/);
    assert.throws(() => optionArgs({ seed: -1 }), /seed must be a whole number/);
  });
});
