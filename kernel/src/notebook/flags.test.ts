import assert from 'node:assert/strict';
import { code } from '../testing/fixtures';
import { test } from 'node:test';

import { UserError } from '../base/errors';
import type { Cell, INotebook } from './nbformat';
import type { JSONValue } from '../base/json';
import { findFlagsCell, notebookLanguage, parseFlags } from './flags';
import type { FlagLanguage, IFlagDef } from './flags';

function markdown(source: string): Cell {
  return { cell_type: 'markdown', metadata: {}, source };
}

function notebook(cells: Cell[], metadata: INotebook['metadata'] = {}): INotebook {
  return { nbformat: 4, nbformat_minor: 5, metadata, cells };
}

/** name -> [type, default, description] of the flags of a one-cell notebook. */
function flagsOf(
  language: FlagLanguage,
  source: string
): Record<string, [string, JSONValue, string | null]> {
  const out: Record<string, [string, JSONValue, string | null]> = {};
  for (const def of parseFlags(notebook([code(source, ['parameters'])]), language)) {
    out[def.name] = [def.type, def.default, def.description];
  }
  return out;
}

/** Asserts `fn` throws a one-line UserError with exactly `message`. */
function throwsUser(fn: () => unknown, message: string | RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof UserError, `expected a UserError, got ${String(err)}`);
    assert.ok(!err.message.includes('\n'), `not one line: ${err.message}`);
    if (typeof message === 'string') {
      assert.equal(err.message, message);
    } else {
      assert.match(err.message, message);
    }
    return true;
  });
}

test('the flags cell is the first code cell tagged parameters or flags', () => {
  const cells = [
    markdown('# Title'),
    code('import x'),
    code('a = 1', ['other']),
    code('b = 2', ['flags']),
    code('c = 3', ['parameters'])
  ];
  assert.deepEqual(findFlagsCell(notebook(cells)), { index: 3, tagged: true });
  // A tagged markdown cell does not count.
  const md: Cell = { cell_type: 'markdown', metadata: { tags: ['parameters'] }, source: 'x = 1' };
  assert.deepEqual(findFlagsCell(notebook([md, code('x = 2'), code('y = 3')])), {
    index: 1,
    tagged: false
  });
  assert.equal(findFlagsCell(notebook([markdown('only text')])), null);
  assert.equal(findFlagsCell(notebook([])), null);
});

test('flags come from the tagged cell, else from the first code cell', () => {
  const tagged = notebook([code('a = 1'), code('b = 2', ['parameters'])]);
  assert.deepEqual(parseFlags(tagged, 'python'), [
    { name: 'b', type: 'number', default: 2, description: null, cellIndex: 1, integer: true }
  ]);
  const untagged = notebook([markdown('# T'), code('a = 1'), code('b = 2')]);
  assert.deepEqual(
    parseFlags(untagged, 'python').map(d => [d.name, d.cellIndex]),
    [['a', 1]]
  );
  assert.deepEqual(parseFlags(notebook([markdown('x')]), 'python'), []);
  // Python ints are whole-number flags; floats and TypeScript numbers are plain numbers.
  const numbers = notebook([code('a = 1\nb = 1.0\nc = 1e3\nd = 0x1f\ne = 2\ne = 2.5')]);
  assert.deepEqual(
    parseFlags(numbers, 'python').map(d => [d.name, d.integer === true]),
    [
      ['a', true],
      ['b', false],
      ['c', false],
      ['d', true],
      ['e', false]
    ]
  );
  const ts = parseFlags(notebook([code('const a = 1;')]), 'typescript');
  assert.equal(ts[0].integer, undefined);
  assert.deepEqual(parseFlags(untagged, null), []);
});

test('the notebook language comes from the kernel, then kernelspec, then language_info', () => {
  const cases: [INotebook['metadata'], string | undefined, FlagLanguage | null][] = [
    [{}, 'typescript', 'typescript'],
    [{}, 'python', 'python'],
    [
      { kernelspec: { name: 'python3', display_name: 'P', language: 'python' } },
      'javascript',
      'javascript'
    ],
    [{ kernelspec: { name: 'ir', display_name: 'R', language: 'python' } }, 'R', null],
    [
      { kernelspec: { name: 'tslab', display_name: 'TypeScript', language: 'typescript' } },
      undefined,
      'typescript'
    ],
    [
      { kernelspec: { name: 'jslab', display_name: 'JS', language: 'javascript' } },
      undefined,
      'javascript'
    ],
    [
      { kernelspec: { name: 'x', display_name: 'x' }, language_info: { name: 'python' } },
      undefined,
      'python'
    ],
    [{ language_info: { name: 'Python 3' } }, undefined, 'python'],
    [{ language_info: { name: 'R' } }, undefined, null],
    [{}, undefined, null]
  ];
  for (const [metadata, kernel, expected] of cases) {
    assert.equal(
      notebookLanguage(notebook([], metadata), kernel),
      expected,
      JSON.stringify([metadata, kernel])
    );
  }
});

test('TypeScript: every literal kind, annotations, multi-declarators and comments', () => {
  const source = [
    "import * as tf from '@tensorflow/tfjs';",
    '// Learning rate.',
    'const lr: number = 1e-3;',
    'const epochs = 10, batch = -32; // per device',
    "let optimizer = 'adam', quote = \"it's\", tpl = `plain`;",
    'var debug = false, nothing = null, yes = true;',
    'const layers: number[] = [64, 32], grid = [[1, 2], [3]], empty = [];',
    "const names = ['a', \"b\"], mixed = [1, 'x', true, null];",
    '/** Random seed */',
    'const seed = 42 as const;',
    'const big = 1_000, hex = 0x10, pos = +5, neg = -0.5e-2, paren = (7);',
    'const inf = Infinity, ninf = -Infinity;',
    '',
    '// Not a flag: blank line between.',
    '',
    'const spaced = 1;',
    'const x = Math.random(), y = lr * 2, s = `${lr}`, o = { a: 1 }, b = 10n, u = undefined;',
    'const [d1, d2] = [1, 2];',
    'const sparse = [1, , 2], spread = [...layers];',
    'declare const ambient: number;',
    'await Promise.resolve(1);',
    'function f() { const inner = 1; return inner; }',
    'if (debug) { let nested = 2; }',
    'console.log(lr);'
  ].join('\n');
  assert.deepEqual(flagsOf('typescript', source), {
    lr: ['number', 0.001, 'Learning rate.'],
    epochs: ['number', 10, null],
    batch: ['number', -32, 'per device'],
    optimizer: ['string', 'adam', null],
    quote: ['string', "it's", null],
    tpl: ['string', 'plain', null],
    debug: ['boolean', false, null],
    nothing: ['null', null, null],
    yes: ['boolean', true, null],
    layers: ['list', [64, 32], null],
    grid: ['list', [[1, 2], [3]], null],
    empty: ['list', [], null],
    names: ['list', ['a', 'b'], null],
    mixed: ['list', [1, 'x', true, null], null],
    seed: ['number', 42, 'Random seed'],
    big: ['number', 1000, null],
    hex: ['number', 16, null],
    pos: ['number', 5, null],
    neg: ['number', -0.005, null],
    paren: ['number', 7, null],
    inf: ['number', Infinity, null],
    ninf: ['number', -Infinity, null],
    spaced: ['number', 1, null]
  });
});

test('TypeScript: comments above and trailing, in their many layouts', () => {
  const source = [
    'const a = 1; // A',
    'const b = 2;',
    '/* block */ const c = 3;',
    '/**',
    ' * Multi-line',
    ' * doc.',
    ' */',
    'const d = 4;',
    'const e = 5,',
    '  // F above',
    '  f = 6, // F trailing',
    '  g = 7; /* G */',
    '// lost',
    'const h = [',
    '  1, // one',
    '  2,',
    ']; // H',
    '//',
    'const i = 9;'
  ].join('\n');
  const flags = flagsOf('typescript', source);
  assert.deepEqual(Object.fromEntries(Object.entries(flags).map(([name, [, , d]]) => [name, d])), {
    a: 'A',
    b: null,
    c: null,
    d: 'Multi-line doc.',
    e: null,
    f: 'F trailing',
    g: 'G',
    h: 'H',
    i: null
  });
  assert.deepEqual(flags.h[1], [1, 2]);
});

test('JavaScript cells parse the same way (jslab)', () => {
  assert.deepEqual(flagsOf('javascript', "const lr = 0.1; // rate\nlet name = 'x';\nfoo();"), {
    lr: ['number', 0.1, 'rate'],
    name: ['string', 'x', null]
  });
});

test('a name assigned twice is one flag with the last literal as default', () => {
  assert.deepEqual(
    parseFlags(notebook([code('# first\nlr = 0.1\nlr = 0.2\nlr = lr * 2')]), 'python'),
    [{ name: 'lr', type: 'number', default: 0.2, description: 'first', cellIndex: 0 }]
  );
});

test('Python: literals, annotations, multi-line lists, strings, tuples and comments', () => {
  const source = [
    'import numpy as np',
    'from pathlib import Path',
    '',
    '# Learning rate',
    'lr: float = 1e-3',
    'epochs = 10  # passes over the data',
    'neg = -2',
    'big = 1_000',
    'ratio = .5',
    'hexa = 0x1F',
    "name = 'adam'",
    'quote = "it\'s"',
    "escaped = 'a\\tb\\n\\'c\\' \\x41\\u00e9'",
    "raw = r'C:\\new'",
    'doc = """first',
    "second 'quoted'",
    '"""',
    "single3 = '''x'''",
    "concat = 'a' 'b'",
    'debug = True',
    'verbose: bool = False',
    'seed = None',
    'layers = [',
    '    64,  # first layer',
    '    32,',
    ']  # layer sizes',
    'shape = (28, 28)',
    'one = (1,)',
    'bare = 3, 4',
    'nested = [[1, 2], (3,), []]',
    "mixed: list[str | int] = ['a', 1]",
    "inf = float('inf')",
    'paren = (5)',
    'a = 1; b = 2  # b',
    'x = np.zeros(3)',
    'y = f(1)',
    'z = 1 + 2',
    't = a',
    'c = d = 3',
    'cx = 1j',
    'by = b"bytes"',
    "fs = f'{lr}'",
    "dct = {'a': 1}",
    'print(lr)',
    'lr2 += 1',
    'obj.attr = 1',
    'item[0] = 1',
    'if debug:',
    '    inner = 1',
    'def f():',
    '    return 1',
    '%matplotlib inline',
    "!pip install 'x",
    'last = 0.5'
  ].join('\n');
  assert.deepEqual(flagsOf('python', source), {
    lr: ['number', 0.001, 'Learning rate'],
    epochs: ['number', 10, 'passes over the data'],
    neg: ['number', -2, null],
    big: ['number', 1000, null],
    ratio: ['number', 0.5, null],
    hexa: ['number', 31, null],
    name: ['string', 'adam', null],
    quote: ['string', "it's", null],
    escaped: ['string', "a\tb\n'c' Aé", null],
    raw: ['string', 'C:\\new', null],
    doc: ['string', "first\nsecond 'quoted'\n", null],
    single3: ['string', 'x', null],
    concat: ['string', 'ab', null],
    debug: ['boolean', true, null],
    verbose: ['boolean', false, null],
    seed: ['null', null, null],
    layers: ['list', [64, 32], 'layer sizes'],
    shape: ['list', [28, 28], null],
    one: ['list', [1], null],
    bare: ['list', [3, 4], null],
    nested: ['list', [[1, 2], [3], []], null],
    mixed: ['list', ['a', 1], null],
    inf: ['number', Infinity, null],
    paren: ['number', 5, null],
    a: ['number', 1, null],
    b: ['number', 2, 'b'],
    last: ['number', 0.5, null]
  });
});

test('Python: a comment on the first line of a multi-line literal describes it', () => {
  assert.deepEqual(flagsOf('python', 'layers = [  # sizes\n  1,\n  2,\n]'), {
    layers: ['list', [1, 2], 'sizes']
  });
  assert.deepEqual(flagsOf('python', '#: Sphinx style\nx = 1\n# \ny = 2'), {
    x: ['number', 1, 'Sphinx style'],
    y: ['number', 2, null]
  });
});

test('Python: backslash continuations, CRLF line ends and cell magics', () => {
  assert.deepEqual(flagsOf('python', 'a = \\\n  1\r\nb = 2  # two\r\n'), {
    a: ['number', 1, null],
    b: ['number', 2, 'two']
  });
  assert.deepEqual(flagsOf('python', '%%time\nx = 1'), {});
});

test('a tagged flags cell with a syntax error is a UserError naming the cell and line', () => {
  const cases: [FlagLanguage, string, string][] = [
    ['typescript', 'const a = 1;\nconst b = 2;\nconst c = [1 2];', "',' expected"],
    ['javascript', 'const a = 1;\n\nlet b = ;', 'Expression expected'],
    ['python', 'a = 1\nb = 2\nc = [1, 2', "'[' was never closed"],
    ['python', "a = 1\nb = 2\nc = 'abc", 'unterminated string literal'],
    ['python', 'a = 1\nb = 2\nc = """abc\n', 'unterminated triple-quoted string literal'],
    ['python', 'a = 1\n\nc = 1)', "unmatched ')'"],
    ['python', 'a = 1\n\nc = [1)', "closing parenthesis ')' does not match opening parenthesis '['"]
  ];
  for (const [language, source, message] of cases) {
    const nb = notebook([markdown('# T'), code(source, ['flags'])]);
    throwsUser(
      () => parseFlags(nb, language),
      `flags cell (cell 2) has a syntax error at line 3: ${message}`
    );
  }
});

test('an untagged first cell with bad code keeps the flags of its good statements', () => {
  const ts = notebook([code('const a = 1;\nconst b = [1 2];\nconst c = 3;')]);
  assert.deepEqual(
    parseFlags(ts, 'typescript').map(d => d.name),
    ['a', 'c']
  );
  const py = notebook([code("a = 1\nb = 'oops\nc = 3\nd = [1,\ne = 5")]);
  assert.deepEqual(
    parseFlags(py, 'python').map((d: IFlagDef) => d.name),
    ['a', 'c', 'e']
  );
});

test('tslab cells with top-level await and imports parse without errors', () => {
  const source = [
    "import * as fs from 'fs';",
    "import { join } from 'path';",
    'const data = await fs.promises.readFile(join(".", "x"));',
    'for await (const chunk of []) { console.log(chunk); }',
    'const lr = 0.1;'
  ].join('\n');
  assert.deepEqual(flagsOf('typescript', source), { lr: ['number', 0.1, null] });
});

test('sources stored as a list of lines parse like one string', () => {
  const nb = notebook([code(['lr = 0.1  # rate\n', 'layers = [\n', '  1,\n', ']'])]);
  assert.deepEqual(
    parseFlags(nb, 'python').map(d => [d.name, d.default, d.description]),
    [
      ['lr', 0.1, 'rate'],
      ['layers', [1], null]
    ]
  );
});

test('Python: # inside strings, nested f-string quotes and unicode names', () => {
  const source = [
    'url = "http://host/#anchor"  # the url',
    'print(f"{d["a"]} {x!r:>{w}}")',
    "αβ = 'ü'",
    'path = "C:\\\\dir"',
    'x = 1 if True else 2'
  ].join('\n');
  assert.deepEqual(flagsOf('python', source), {
    url: ['string', 'http://host/#anchor', 'the url'],
    αβ: ['string', 'ü', null],
    path: ['string', 'C:\\dir', null]
  });
});
