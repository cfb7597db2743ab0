/**
 * `nbx.sweep` arguments as a launch request, checked against what the launch makes of
 * them (what the trials would get).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import type { IFlagDef } from '../notebook/flags';
import type { JSONValue } from '../base/json';
import type { FlagDomain } from '../scheduler/batch-syntax';
import { assignmentDomain } from '../scheduler/flag-input';
import {
  flagAssignment,
  flagAssignments,
  sweepRequestOptions,
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

/** What the launch makes of the assignment for a flag with default `defaultValue`. */
function cliReads(name: string, value: SweepFlagValue, defaultValue: JSONValue): FlagDomain {
  return assignmentDomain(def(name, defaultValue), flagAssignment(name, value));
}

function values(domain: FlagDomain): JSONValue[] {
  assert.equal(domain.kind, 'values', JSON.stringify(domain));
  return domain.kind === 'values' ? domain.values : [];
}

describe('flag assignments', () => {
  it('an array is a sweep over its values', () => {
    assert.deepEqual(flagAssignment('lr', [0.001, 0.01]), { name: 'lr', values: [0.001, 0.01] });
    assert.deepEqual(values(cliReads('lr', [0.001, 0.01], 0.1)), [0.001, 0.01]);
    assert.deepEqual(values(cliReads('lr', [1e-7, 2.5e21], 0.1)), [1e-7, 2.5e21]);
    assert.deepEqual(values(cliReads('deep', [true, false], true)), [true, false]);
    assert.deepEqual(values(cliReads('n', [5], 1)), [5], 'one value is a sweep of one');
  });

  it('single values are one value', () => {
    assert.deepEqual(flagAssignment('lr', 0.5), { name: 'lr', value: 0.5 });
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

  it('a string with both kinds of quote is a swept value like any other (no quoting)', () => {
    assert.deepEqual(values(cliReads('opt', ['a"b\'c', 'd'], 'sgd')), ['a"b\'c', 'd']);
  });

  it('a sweep expression in a string is passed as the expression', () => {
    assert.deepEqual(flagAssignment('lr', ' loguniform[1e-4:1e-1]'), {
      name: 'lr',
      raw: 'loguniform[1e-4:1e-1]'
    });
    assert.equal(cliReads('lr', 'loguniform[1e-4:1e-1]', 0.1).kind, 'distribution');
    assert.deepEqual(values(cliReads('n', 'range[1:3]', 1)), [1, 2, 3]);
    assert.equal(cliReads('opt', 'choice[adam,sgd]', 'x').kind, 'distribution');
  });

  it('a list flag is swept with an array of lists, strings and nesting kept', () => {
    assert.deepEqual(flagAssignment('layers', [[64, 32], [128]]), {
      name: 'layers',
      values: [[64, 32], [128]]
    });
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
      () => cliReads('layers', [64, 32], [1, 2]),
      (err: Error) =>
        err.message.startsWith("flag 'layers' is a list flag") &&
        err.message.includes('layers: [[64,32]]')
    );
    // A flag the notebook does not declare (forced): the values are swept as given.
    assert.deepEqual(values(assignmentDomain(null, flagAssignment('layers', [64, 32]))), [64, 32]);
  });

  it('refuses an empty array and values that are not flag values', () => {
    assert.throws(() => flagAssignment('lr', []), /flag 'lr' has an empty array/);
    assert.throws(
      () => flagAssignment('cfg', { a: 1 } as unknown as JSONValue),
      /^SweepArgumentError: nbx\.sweep: flag 'cfg' has an object value; flag values are/
    );
    assert.throws(
      () => flagAssignment('f', [1, (() => 1) as unknown as JSONValue]),
      /flag 'f' has a function value/
    );
    assert.throws(
      () => flagAssignments([1, 2] as unknown as Record<string, JSONValue>),
      /flags must be an object such as \{ lr: \[0\.001, 0\.01\] \}, got an array/
    );
  });

  it('non-finite numbers are refused by name', () => {
    assert.throws(
      () => cliReads('x', [1, Infinity], 1),
      /^UserError: invalid value for flag 'x': 'Infinity' is not a finite number/
    );
  });

  it('keeps the order of the flags', () => {
    assert.deepEqual(flagAssignments({ lr: [1, 2], layers: [2, 4], opt: 'adam' }), [
      { name: 'lr', values: [1, 2] },
      { name: 'layers', values: [2, 4] },
      { name: 'opt', value: 'adam' }
    ]);
  });
});

describe('sweep options', () => {
  it('map to the launch options of the same name', () => {
    assert.deepEqual(
      sweepRequestOptions({
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
      {
        parallel: 2,
        gpus: '0,1',
        gpusPerTrial: 1,
        maxTrials: 10,
        seed: 7,
        label: 'lr=${lr}',
        kernel: 'tslab',
        objective: '#loss',
        tags: ['a', 'b']
      }
    );
    assert.deepEqual(sweepRequestOptions({}), {});
    assert.deepEqual(sweepRequestOptions({ gpus: '0,2' }), { gpus: '0,2' });
  });

  it('asks for replicates and Slurm as nbx run --repeat and --on slurm do', () => {
    assert.deepEqual(sweepRequestOptions({ repeat: 3, slurm: { time: '60', gpus: 1 } }), {
      repeat: 3,
      placement: { on: 'slurm', time: '60', gpus: 1 }
    });
    assert.deepEqual(sweepRequestOptions({ slurm: true }), { placement: { on: 'slurm' } });
    assert.throws(() => sweepRequestOptions({ repeat: 0 }), /repeat must be a whole number/);
  });

  it('refuse bad values with one line', () => {
    assert.throws(
      () => sweepRequestOptions({ parallel: 0 }),
      /^SweepArgumentError: nbx\.sweep: parallel must be a whole number above 0, got 0$/
    );
    assert.throws(() => sweepRequestOptions({ parallel: 1.5 }), /parallel must be a whole number/);
    assert.throws(() => sweepRequestOptions({ gpus: [] }), /gpus must be GPU indices/);
    assert.throws(() => sweepRequestOptions({ gpus: [-1] }), /gpus must be GPU indices/);
    assert.throws(() => sweepRequestOptions({ seed: -1 }), /seed must be a whole number/);
  });
});
