import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { JSONValue } from '../base/json';
import {
  dumpPythonJson,
  JsonSyntaxError,
  locateJsonError,
  parseJson,
  pythonFloatRepr,
  splitLinesPython
} from './pyjson';

test('pythonFloatRepr matches Python repr(float)', () => {
  const cases: Array<[number, string]> = [
    [0.1, '0.1'],
    [2, '2.0'],
    [-0, '-0.0'],
    [1e-5, '1e-05'],
    [1e-4, '0.0001'],
    [0.00012345, '0.00012345'],
    [1e16, '1e+16'],
    [9999999999999998, '9999999999999998.0'],
    [1.5e300, '1.5e+300'],
    [123456.789, '123456.789'],
    [3.14159e-10, '3.14159e-10'],
    [-2.5e-7, '-2.5e-07'],
    [1e22, '1e+22'],
    [5e-324, '5e-324']
  ];
  for (const [value, repr] of cases) {
    assert.equal(pythonFloatRepr(value), repr, String(value));
  }
});

test('dumpPythonJson lays out like json.dumps(indent=1, sort_keys=True)', () => {
  const value: JSONValue = { b: [1, 'x', { d: null, c: true }], a: {}, e: [], f: 0.5 };
  assert.equal(
    dumpPythonJson(value),
    '{\n "a": {},\n "b": [\n  1,\n  "x",\n  {\n   "c": true,\n   "d": null\n  }\n ],\n' +
      ' "e": [],\n "f": 0.5\n}'
  );
});

test('dumpPythonJson keeps non-ASCII and escapes control characters like Python', () => {
  assert.equal(dumpPythonJson('é ✓ 😀 \u2028'), '"é ✓ 😀 \u2028"');
  assert.equal(dumpPythonJson('\u0001\t"\\/'), '"\\u0001\\t\\"\\\\/"');
});

test('dumpPythonJson sorts keys by code point, as Python does', () => {
  const out = dumpPythonJson({ '\uff01': 1, '\u{1F600}': 2, a: 3, B: 4 });
  assert.deepEqual(
    out
      .split('\n')
      .slice(1, -1)
      .map(l => l.trim()),
    ['"B": 4,', '"a": 3,', '"！": 1,', '"😀": 2']
  );
});

test('parseJson remembers integral floats and big integers for dumping', () => {
  const text = '{"a": 2.0, "b": [1e16, 3, 12345678901234567890], "c": -0.0, "d": 1E2}';
  const value = parseJson(text);
  assert.equal(
    dumpPythonJson(value),
    '{\n "a": 2.0,\n "b": [\n  1e+16,\n  3,\n  12345678901234567890\n ],\n' +
      ' "c": -0.0,\n "d": 100.0\n}'
  );
  // A changed value is written as the new number, not the remembered spelling.
  (value as { a: number }).a = 3;
  assert.match(dumpPythonJson(value), /"a": 3,/);
});

test('parseJson keeps __proto__ as an own key', () => {
  const value = parseJson('{"__proto__": {"x": 1.0}}') as { [k: string]: JSONValue };
  assert.ok(Object.prototype.hasOwnProperty.call(value, '__proto__'));
  assert.equal(Object.getPrototypeOf(value), Object.prototype);
});

test('parseJson reports line and column of syntax errors', () => {
  for (const [text, where] of [
    ['{\n "a": }', 'line 2, column 7'],
    ['{"a": 1', 'line 1, column 8'],
    ['{"a": 2.0,}', 'line 1, column 11'],
    ['', 'line 1, column 1'],
    ['[1] x', 'line 1, column 5'],
    ['"a\tb"', 'line 1, column 3']
  ]) {
    assert.throws(
      () => parseJson(text),
      (err: unknown) => err instanceof JsonSyntaxError && err.message.endsWith(where),
      text
    );
  }
  assert.equal(locateJsonError('{"ok": [1, 2.5, "\\u00e9\\n"]}'), null);
});

test('parseJson agrees with JSON.parse on values', () => {
  const text =
    '{"s": "a\\"b\\\\c\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00", "n": [-1.5e-3, 0, 2.0, true]}';
  assert.deepEqual(parseJson(text), JSON.parse(text));
});

test('splitLinesPython matches str.splitlines(True)', () => {
  assert.deepEqual(splitLinesPython(''), []);
  assert.deepEqual(splitLinesPython('a\nb'), ['a\n', 'b']);
  assert.deepEqual(splitLinesPython('a\r\nb\rc\n'), ['a\r\n', 'b\r', 'c\n']);
  assert.deepEqual(splitLinesPython('a\vb\fc\x1cd\x85e\u2028f'), [
    'a\v',
    'b\f',
    'c\x1c',
    'd\x85',
    'e\u2028',
    'f'
  ]);
});
