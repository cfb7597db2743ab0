import assert from 'node:assert/strict';
import { test } from 'node:test';

import { UserError } from '../base/errors';
import { defaultLabel, expandLabel } from './label';

test('a label template expands flags and the default label', () => {
  const flags = { lr: 0.1, layers: [64, 32], name: 'a' };
  const defaults = { lr: 0.01, layers: [64, 32], name: 'a' };
  assert.equal(expandLabel('lr ${lr} / ${ layers }', flags, defaults), 'lr 0.1 / [64,32]');
  assert.equal(expandLabel('run (${default_label})', flags, defaults), 'run (lr=0.1)');
});

test('names of Object.prototype members are flags only when the run has them', () => {
  const flags: Record<string, number | string> = { lr: 0.1 };
  for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
    assert.throws(
      () => expandLabel(`\${${name}}`, flags, {}),
      (err: unknown) =>
        err instanceof UserError &&
        err.message === `--label refers to unknown flag '${name}'; flags: lr`
    );
  }
  const own: Record<string, number | string> = JSON.parse(
    '{"__proto__": 7, "constructor": "c", "toString": "t"}'
  ) as Record<string, number | string>;
  assert.equal(expandLabel('${__proto__} ${constructor} ${toString}', own, {}), '7 c t');
  // A flag named like a member differs from a default the defaults do not have.
  assert.equal(defaultLabel(own, {}), '__proto__=7 constructor=c toString=t');
  assert.equal(defaultLabel({ constructor: 'c' }, JSON.parse('{"constructor": "c"}')), '');
});
