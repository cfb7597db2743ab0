import assert from 'node:assert/strict';
import { test } from 'node:test';

import { UserError } from '../base/errors';
import type { JSONValue } from '../base/json';
import {
  coerceFlagValue,
  flagDefaults,
  inferValue,
  parseAssignments,
  resolveFlagValues
} from './flags';
import type { FlagType, IFlagDef } from './flags';

function def(name: string, type: FlagType, value: JSONValue): IFlagDef {
  return { name, type, default: value, description: null, cellIndex: 0 };
}

function throwsUser(fn: () => unknown, message: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof UserError, `expected a UserError, got ${String(err)}`);
    assert.equal(err.message, message);
    return true;
  });
}

const DEFS = [
  def('lr', 'number', 0.01),
  def('epochs', 'number', 10),
  def('optimizer', 'string', 'adam'),
  def('layers', 'list', [64, 32]),
  def('debug', 'boolean', false),
  def('seed', 'null', null)
];

test('NAME=VALUE arguments split at the first =', () => {
  assert.deepEqual(
    parseAssignments(['lr=0.01', 'name=a=b', 'empty=', 'layers=[64, 32]', ' x =1']),
    [
      { name: 'lr', raw: '0.01' },
      { name: 'name', raw: 'a=b' },
      { name: 'empty', raw: '' },
      { name: 'layers', raw: '[64, 32]' },
      { name: 'x', raw: '1' }
    ]
  );
  throwsUser(() => parseAssignments(['lr']), "expected NAME=VALUE, got 'lr'");
  throwsUser(() => parseAssignments(['=1']), "expected NAME=VALUE, got '=1'");
  throwsUser(() => parseAssignments(['a-b=1']), "expected NAME=VALUE, got 'a-b=1'");
});

test('values coerce to the flag type', () => {
  const cases: [FlagType, JSONValue, string, JSONValue][] = [
    ['number', 1, '0.5', 0.5],
    ['number', 1, '-3', -3],
    ['number', 1, '1e-3', 0.001],
    ['number', 1, ' 2 ', 2],
    ['number', 1, '1_000', 1000],
    ['number', 1, '0x10', 16],
    ['boolean', false, 'true', true],
    ['boolean', false, 'YES', true],
    ['boolean', false, '1', true],
    ['boolean', true, 'False', false],
    ['boolean', true, 'no', false],
    ['boolean', true, '0', false],
    ['string', 'a', 'sgd', 'sgd'],
    ['string', 'a', '"quoted value"', 'quoted value'],
    ['string', 'a', "'single'", 'single'],
    ['string', 'a', '  spaced ', '  spaced '],
    ['string', 'a', "it's", "it's"],
    ['string', 'a', '', ''],
    ['string', 'a', '42', '42'],
    ['list', [64, 32], '[128,64]', [128, 64]],
    ['list', [64, 32], '[ 1 , 2 , 3 ]', [1, 2, 3]],
    ['list', [64, 32], '128,64', [128, 64]],
    ['list', [64, 32], '128', [128]],
    ['list', [64, 32], '[]', []],
    ['list', ['a'], '[b, c d]', ['b', 'c d']],
    ['list', ['a'], '[1, "2,3", \'x\']', ['1', '2,3', 'x']],
    ['list', [true], '[yes, 0]', [true, false]],
    ['list', [], '[1, a, true, null, "2"]', [1, 'a', true, null, '2']],
    ['list', [1, 'a'], '[1, a]', [1, 'a']],
    ['list', [[1, 2], [3]], '[[4, 5], []]', [[4, 5], []]],
    ['null', null, '3', 3],
    ['null', null, 'abc', 'abc'],
    ['null', null, 'None', null],
    ['null', null, '[1,2]', [1, 2]]
  ];
  for (const [type, value, raw, expected] of cases) {
    assert.deepEqual(coerceFlagValue(def('f', type, value), raw), expected, `${type} ${raw}`);
  }
});

test('values that cannot be coerced are one-line UserErrors', () => {
  const cases: [FlagType, JSONValue, string, string][] = [
    ['number', 1, 'abc', "invalid value for flag 'f': 'abc' is not a number"],
    ['number', 1, '', "invalid value for flag 'f': '' is not a number"],
    ['number', 1, '1.2.3', "invalid value for flag 'f': '1.2.3' is not a number"],
    [
      'boolean',
      true,
      'maybe',
      "invalid value for flag 'f': 'maybe' is not a boolean (use true/false, yes/no or 1/0)"
    ],
    ['list', [1], '[1, a]', "invalid value for flag 'f': 'a' is not a number"],
    ['list', [1], '[1, [2]]', "invalid value for flag 'f': '[2]' is not a number"],
    ['list', [[1]], '[1]', "invalid value for flag 'f': '1' is not a list"],
    ['list', [1], '[1, 2', "invalid value for flag 'f': '[1, 2' is not a list (missing ']')"],
    ['list', [1], '[1,,2]', "invalid value for flag 'f': '[1,,2]' is not a list (empty item)"],
    [
      'list',
      [1],
      '[1] x',
      "invalid value for flag 'f': '[1] x' is not a list (unexpected 'x' after ']')"
    ],
    ['list', ['a'], '["a]', `invalid value for flag 'f': '["a]' is not a list (missing closing ")`]
  ];
  for (const [type, value, raw, message] of cases) {
    throwsUser(() => coerceFlagValue(def('f', type, value), raw), message);
  }
  throwsUser(
    () => coerceFlagValue(def('lr', 'number', 0.1), 'abc'),
    "invalid value for flag 'lr': 'abc' is not a number"
  );
});

test('numbers nbx cannot record exactly as they run are refused in one line', () => {
  const finite = 'a finite number (run records are JSON, which has no inf or nan)';
  const exact = 'an integer nbx can record exactly (at most ±2^53 - 1)';
  const tiny = 'a number nbx can record (it is so small it becomes 0)';
  const cases: [IFlagDef, string, string][] = [
    [def('lr', 'number', 0.1), '1e999', finite],
    [def('lr', 'number', 0.1), '-1e999', finite],
    [def('lr', 'number', 0.1), 'NaN', finite],
    [def('lr', 'number', 0.1), 'inf', finite],
    [def('lr', 'number', 0.1), '-Infinity', finite],
    [def('lr', 'number', 0.1), '1e-400', tiny],
    [def('epochs', 'number', 3), '99999999999999999999999', exact],
    [def('epochs', 'number', 3), '-9007199254740993', exact],
    [def('epochs', 'number', 3), '0xffffffffffffffffff', exact],
    [def('layers', 'list', [64]), '[64, 1e999]', finite],
    [def('layers', 'list', [64]), '[64, 99999999999999999999]', exact],
    [def('seed', 'null', null), '1e999', finite],
    [def('seed', 'null', null), '[1, 1e999]', finite]
  ];
  for (const [flag, raw, what] of cases) {
    const item =
      flag.type === 'list' || raw.startsWith('[') ? raw.slice(1, -1).split(', ')[1] : raw;
    throwsUser(
      () => coerceFlagValue(flag, raw),
      `invalid value for flag '${flag.name}': '${item}' is not ${what}`
    );
  }
  throwsUser(
    () => resolveFlagValues([], parseAssignments(['forced=1e999']), { force: true }),
    `invalid value for flag 'forced': '1e999' is not ${finite}`
  );
  // What can be recorded exactly goes through: big floats, the largest exact integers, 0.
  const fine: [IFlagDef, string, JSONValue][] = [
    [def('lr', 'number', 0.1), '1e300', 1e300],
    [def('lr', 'number', 0.1), '1e23', 1e23],
    [def('epochs', 'number', 3), '9007199254740991', 9007199254740991],
    [def('epochs', 'number', 3), '-9007199254740991', -9007199254740991],
    [def('lr', 'number', 0.1), '0.0', 0],
    [def('lr', 'number', 0.1), '-0e5', -0],
    [def('lr', 'number', 0.1), '5e-324', 5e-324]
  ];
  for (const [flag, raw, expected] of fine) {
    assert.deepEqual(coerceFlagValue(flag, raw), expected, raw);
  }
});

test('a flag whose default is a Python int takes whole numbers only', () => {
  const epochs: IFlagDef = { ...def('epochs', 'number', 3), integer: true };
  assert.equal(coerceFlagValue(epochs, '5'), 5);
  assert.equal(coerceFlagValue(epochs, '1e3'), 1000);
  assert.equal(coerceFlagValue(epochs, '2.0'), 2);
  assert.equal(coerceFlagValue(epochs, '0x10'), 16);
  for (const raw of ['1.5', '1e-3']) {
    throwsUser(
      () => coerceFlagValue(epochs, raw),
      `invalid value for flag 'epochs': '${raw}' is not a whole number (the default is a Python int)`
    );
  }
  throwsUser(
    () => coerceFlagValue(epochs, '1e23'),
    "invalid value for flag 'epochs': '1e23' is not an integer nbx can record exactly (at most ±2^53 - 1)"
  );
  // A number default of another language is a number: 1.5 is fine.
  assert.equal(coerceFlagValue(def('epochs', 'number', 3), '1.5'), 1.5);
});

test('names of Object.prototype members are flag names like any other', () => {
  const defs = [def('__proto__', 'number', 1), def('constructor', 'string', 'a')];
  const values = resolveFlagValues(defs, parseAssignments(['__proto__=7', 'constructor=b']), {
    force: false
  });
  assert.deepEqual(Object.keys(values), ['__proto__', 'constructor']);
  assert.ok(Object.hasOwn(values, '__proto__'));
  assert.equal(values['__proto__'], 7);
  assert.equal(Object.getPrototypeOf(values), Object.prototype, 'the prototype is untouched');
  assert.equal(JSON.stringify(values), '{"__proto__":7,"constructor":"b"}');
  const defaults = flagDefaults(defs);
  assert.equal(JSON.stringify(defaults), '{"__proto__":1,"constructor":"a"}');
  const forced = resolveFlagValues([], parseAssignments(['__proto__=[1]', 'toString=x']), {
    force: true
  });
  assert.equal(JSON.stringify(forced), '{"__proto__":[1],"toString":"x"}');
  throwsUser(
    () => resolveFlagValues(DEFS, parseAssignments(['toString=1']), { force: false }),
    "unknown flag 'toString'; flags: debug, epochs, layers, lr, optimizer, seed (or use --force-flags)"
  );
});

test('inferValue guesses numbers, booleans, null and lists, else keeps the text', () => {
  const cases: [string, JSONValue][] = [
    ['3', 3],
    ['-1.5e3', -1500],
    ['true', true],
    ['False', false],
    ['null', null],
    ['None', null],
    ['[1, a, [true]]', [1, 'a', [true]]],
    ['[]', []],
    ['"3"', '3'],
    ["'x y'", 'x y'],
    ['adam', 'adam'],
    ['inf', 'inf'],
    ['[1, 2', '[1, 2'],
    ['', ''],
    [' spaced ', ' spaced ']
  ];
  for (const [raw, expected] of cases) {
    assert.deepEqual(inferValue(raw), expected, raw);
  }
});

test('resolveFlagValues coerces known flags and infers forced ones', () => {
  const assignments = parseAssignments([
    'lr=0.1',
    'layers=[8]',
    'debug=yes',
    'seed=7',
    'lr=0.2',
    'extra=[a, 1]'
  ]);
  assert.deepEqual(resolveFlagValues(DEFS, assignments, { force: true }), {
    lr: 0.2,
    layers: [8],
    debug: true,
    seed: 7,
    extra: ['a', 1]
  });
  assert.deepEqual(resolveFlagValues(DEFS, [], { force: false }), {});
});

test('an unknown flag names it, lists the known flags and suggests a close one', () => {
  throwsUser(
    () =>
      resolveFlagValues(DEFS, parseAssignments(['lrr=1']), {
        force: false,
        notebook: 'train.ipynb'
      }),
    "unknown flag 'lrr' for train.ipynb; flags: debug, epochs, layers, lr, optimizer, seed (or use --force-flags); did you mean 'lr'?"
  );
  throwsUser(
    () =>
      resolveFlagValues(DEFS, parseAssignments(['momentum=1']), {
        force: false,
        notebook: 'train.ipynb'
      }),
    "unknown flag 'momentum' for train.ipynb; flags: debug, epochs, layers, lr, optimizer, seed (or use --force-flags)"
  );
  throwsUser(
    () => resolveFlagValues(DEFS, parseAssignments(['Epochs=1']), { force: false }),
    "unknown flag 'Epochs'; flags: debug, epochs, layers, lr, optimizer, seed (or use --force-flags); did you mean 'epochs'?"
  );
  throwsUser(
    () => resolveFlagValues([], parseAssignments(['lr=1']), { force: false, notebook: 'a.ipynb' }),
    `unknown flag 'lr' for a.ipynb; it has no flags (tag a code cell "parameters" to declare some, or use --force-flags)`
  );
  // A bad value of a known flag is reported before anything is returned.
  throwsUser(
    () => resolveFlagValues(DEFS, parseAssignments(['lr=abc']), { force: true }),
    "invalid value for flag 'lr': 'abc' is not a number"
  );
});

test('flagDefaults maps each flag to its default', () => {
  assert.deepEqual(flagDefaults(DEFS.slice(0, 3)), { lr: 0.01, epochs: 10, optimizer: 'adam' });
});
