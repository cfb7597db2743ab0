import assert from 'node:assert/strict';
import { code } from '../testing/fixtures';
import { test } from 'node:test';

import { UserError } from '../base/errors';
import { parseNotebook, serializeNotebook } from './io';
import type { Cell, INotebook } from './nbformat';
import type { JSONValue } from '../base/json';
import { sourceText } from './nbformat';
import { injectFlags, injectFlagsDetailed, parseFlags } from './flags';
import type { FlagLanguage } from './flags';

function notebook(cells: Cell[]): INotebook {
  return { nbformat: 4, nbformat_minor: 5, metadata: {}, cells };
}

/** The flags cell source after injecting `values` into a one-cell notebook. */
function inject(language: FlagLanguage, source: string, values: Record<string, JSONValue>): string {
  const out = injectFlags(notebook([code(source, ['parameters'])]), language, values);
  return sourceText(out.cells[0].source);
}

function lines(...text: string[]): string {
  return text.join('\n');
}

test('TypeScript: only the literal text changes', () => {
  const source = lines(
    "import * as tf from '@tensorflow/tfjs';",
    '// Learning rate.',
    'const lr: number = 1e-3; // keep this',
    'const epochs = 10, batch = -32;',
    'let optimizer = \'adam\', title = "run", tpl = `plain`;',
    'var debug = false, seed = null;',
    'const layers: number[] = [64, 32];',
    "const names = ['a', 'b'];",
    'const mode = "fast" as const;',
    'const x = Math.random();',
    'await tf.ready();'
  );
  const out = inject('typescript', source, {
    lr: 0.01,
    epochs: 20,
    batch: -1e-7,
    optimizer: "it's",
    title: 'say "hi"\n',
    tpl: 'a `b` ${c} $d',
    debug: true,
    seed: 7,
    layers: [128, 64, 32],
    names: ['c', "d'e"],
    mode: 'slow'
  });
  assert.equal(
    out,
    lines(
      "import * as tf from '@tensorflow/tfjs';",
      '// Learning rate.',
      'const lr: number = 0.01; // keep this',
      'const epochs = 20, batch = -1e-7;',
      'let optimizer = \'it\\\'s\', title = "say \\"hi\\"\\n", tpl = `a \\`b\\` \\${c} $d`;',
      'var debug = true, seed = 7;',
      'const layers: number[] = [128, 64, 32];',
      "const names = ['c', 'd\\'e'];",
      'const mode = "slow" as const;',
      'const x = Math.random();',
      'await tf.ready();'
    )
  );
});

test('TypeScript: a new string for a const is widened, so comparing it with the old one compiles', () => {
  assert.equal(
    inject('typescript', "const optimizer = 'adam'; // or 'sgd'", { optimizer: 'sgd' }),
    "const optimizer = 'sgd' as string; // or 'sgd'"
  );
  assert.equal(
    inject('typescript', "const optimizer = 'adam';", { optimizer: 'adam' }),
    "const optimizer = 'adam';",
    'the same value stays as written'
  );
  for (const kept of [
    "let optimizer = 'adam';",
    "const optimizer: string = 'adam';",
    "const optimizer = 'adam' as const;",
    "const optimizer = ('adam');"
  ]) {
    assert.equal(
      inject('typescript', kept, { optimizer: 'sgd' }),
      kept.replace('adam', 'sgd'),
      kept
    );
  }
  assert.equal(
    inject('javascript', "const optimizer = 'adam';", { optimizer: 'sgd' }),
    "const optimizer = 'sgd';"
  );
  assert.equal(inject('typescript', 'const epochs = 5;', { epochs: 3 }), 'const epochs = 3;');
});

test('TypeScript: numbers are written shortest, with NaN and Infinity', () => {
  const out = inject('typescript', 'const a = 1, b = 2, c = 3, d = 4, e = 5, f = 6;', {
    a: 0.1 + 0.2,
    b: NaN,
    c: Infinity,
    d: -Infinity,
    e: 1e21,
    f: -0
  });
  assert.equal(
    out,
    'const a = 0.30000000000000004, b = NaN, c = Infinity, d = -Infinity, e = 1e+21, f = -0;'
  );
  const nb = notebook([code(out)]);
  assert.deepEqual(
    parseFlags(nb, 'typescript').map(d => d.default),
    [0.30000000000000004, NaN, Infinity, -Infinity, 1e21, -0]
  );
});

test('a list of the same length is rewritten item by item, keeping layout and comments', () => {
  const ts = lines('const layers = [', '  64, // first', '  32, // second', '];');
  assert.equal(
    inject('typescript', ts, { layers: [128, 32] }),
    lines('const layers = [', '  128, // first', '  32, // second', '];')
  );
  assert.equal(inject('typescript', ts, { layers: [1] }), 'const layers = [1];');
  const py = lines('layers = [', '    64,  # first', '    32,', ']  # sizes');
  assert.equal(
    inject('python', py, { layers: [8, 4] }),
    lines('layers = [', '    8,  # first', '    4,', ']  # sizes')
  );
  assert.equal(inject('python', py, { layers: [] }), '[]  # sizes'.replace(/^/, 'layers = '));
});

test('an unchanged value keeps its original spelling', () => {
  assert.equal(inject('python', 'lr = 1e-3  # rate', { lr: 0.001 }), 'lr = 1e-3  # rate');
  assert.equal(inject('typescript', 'const n = 1_000;', { n: 1000 }), 'const n = 1_000;');
});

test('Python: literals are written as Python writes them, like the original', () => {
  const source = lines(
    'import numpy as np',
    '# Learning rate',
    'lr: float = 1e-3  # keep',
    'epochs = 10',
    "name = 'adam'",
    'title = "run"',
    "raw = r'C:\\data'",
    'doc = """',
    'text',
    '"""',
    'debug = False',
    'seed = None',
    'shape = (28, 28)',
    'bare = 1, 2',
    'layers = [64, 32]',
    "inf = float('inf')",
    'x = np.zeros(3)'
  );
  const out = inject('python', source, {
    lr: 1,
    epochs: 2.5,
    name: "it's",
    title: 'say "hi"\n',
    raw: 'D:\\other',
    doc: 'a """ b"',
    debug: true,
    seed: 'abc',
    shape: [1],
    bare: [3, 4, 5],
    layers: ['a', null, false, [1.5]],
    inf: NaN
  });
  assert.equal(
    out,
    lines(
      'import numpy as np',
      '# Learning rate',
      'lr: float = 1.0  # keep',
      'epochs = 2.5',
      "name = 'it\\'s'",
      'title = "say \\"hi\\"\\n"',
      "raw = r'D:\\other'",
      'doc = """a \\"\\"" b\\""""',
      'debug = True',
      'seed = "abc"',
      'shape = (1,)',
      'bare = 3, 4, 5',
      'layers = ["a", None, False, [1.5]]',
      "inf = float('nan')",
      'x = np.zeros(3)'
    )
  );
  const flags = parseFlags(notebook([code(out)]), 'python');
  assert.deepEqual(Object.fromEntries(flags.map(d => [d.name, d.default])), {
    lr: 1,
    epochs: 2.5,
    name: "it's",
    title: 'say "hi"\n',
    raw: 'D:\\other',
    doc: 'a """ b"',
    debug: true,
    seed: 'abc',
    shape: [1],
    bare: [3, 4, 5],
    layers: ['a', null, false, [1.5]],
    inf: NaN
  });
});

test('Python: a raw string falls back to escapes when raw cannot hold the value', () => {
  assert.equal(inject('python', "p = r'x'", { p: "a'b\\" }), "p = 'a\\'b\\\\'");
});

test('round trip: parsing the injected notebook gives the injected values', () => {
  const cases: [FlagLanguage, string, Record<string, JSONValue>][] = [
    [
      'typescript',
      "const a = 1, b = 'x', c = true, d = null, e = [1, [2]], f = `t`;",
      {
        a: -2.5e-8,
        b: 'q\'"`\\\n\t\u2028é',
        c: false,
        d: [1, 'x'],
        e: [[3], 4, 'z'],
        f: '`${x}`\n'
      }
    ],
    [
      'python',
      "a = 1\nb = 'x'\nc = True\nd = None\ne = [1, (2,)]\nf = '''t'''\ng = r\"\\d\"",
      {
        a: -2.5e-8,
        b: 'q\'"\\\n\t\x01é',
        c: false,
        d: [1, 'x'],
        e: [[3], 4, 'z'],
        f: "'''\n''",
        g: '\\w+"'
      }
    ]
  ];
  for (const [language, source, values] of cases) {
    const nb = notebook([code(source, ['flags'])]);
    const out = injectFlags(nb, language, values);
    const parsed = Object.fromEntries(parseFlags(out, language).map(d => [d.name, d.default]));
    assert.deepEqual(parsed, values, `${language}: ${sourceText(out.cells[0].source)}`);
  }
});

test('a forced flag is appended at the end of the flags cell', () => {
  assert.equal(
    inject('typescript', 'const lr = 0.1;\nconsole.log(lr);', {
      lr: 0.2,
      extra: [1, 'a'],
      flag: true
    }),
    'const lr = 0.2;\nconsole.log(lr);\nlet extra = [1, "a"];\nlet flag = true;'
  );
  assert.equal(
    inject('python', 'lr = 0.1\n', { extra: 'x', n: null }),
    'lr = 0.1\nextra = "x"\nn = None\n'
  );
  assert.equal(inject('python', '', { n: 1 }), 'n = 1');
  // In TypeScript a name the cell declares without a literal gets the value in place.
  assert.equal(
    inject('typescript', 'const device = pick();\nlet seed: number;\nlet other;', {
      device: 'cpu',
      seed: 3,
      other: null
    }),
    'const device = "cpu";\nlet seed: number = 3;\nlet other = null;'
  );
});

test('forced names the language cannot declare are UserErrors', () => {
  const cases: [FlagLanguage, string, Record<string, JSONValue>, string][] = [
    [
      'python',
      'a = 1',
      { class: 1 },
      "cannot add flag 'class': it is not a valid Python variable name"
    ],
    ['python', 'a = 1', { $x: 1 }, "cannot add flag '$x': it is not a valid Python variable name"],
    [
      'typescript',
      'const a = 1;',
      { const: 1 },
      "cannot add flag 'const': it is not a valid TypeScript/JavaScript variable name"
    ],
    [
      'typescript',
      "import fs from 'fs';\nfunction f() {}\nconst [p, q] = [1, 2];",
      { fs: 1 },
      "cannot set flag 'fs': flags cell (cell 1) declares it as an import, not with a literal"
    ],
    [
      'typescript',
      'function f() {}',
      { f: 1 },
      "cannot set flag 'f': flags cell (cell 1) declares it as a function, not with a literal"
    ],
    [
      'typescript',
      'const [p, q] = [1, 2];',
      { q: 1 },
      "cannot set flag 'q': flags cell (cell 1) declares it as a destructuring declaration, not with a literal"
    ]
  ];
  for (const [language, source, values, message] of cases) {
    assert.throws(
      () => inject(language, source, values),
      (err: unknown) => err instanceof UserError && err.message === message
    );
  }
});

test('without a code cell, forced flags go into a new injected-parameters cell at the top', () => {
  const nb: INotebook = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: [{ cell_type: 'markdown', metadata: {}, source: '# T', id: 'md' }]
  };
  const result = injectFlagsDetailed(nb, 'python', { lr: 0.1, name: 'x' });
  assert.equal(result.insertedCell, true);
  assert.equal(result.cellIndex, 0);
  assert.deepEqual(result.added, ['lr', 'name']);
  const cell = result.notebook.cells[0];
  assert.equal(cell.cell_type, 'code');
  assert.equal(sourceText(cell.source), 'lr = 0.1\nname = "x"');
  assert.deepEqual(cell.metadata, { tags: ['injected-parameters'] });
  assert.equal(cell.id, 'injected-parameters');
  assert.equal(result.notebook.cells.length, 2);
  assert.equal(nb.cells.length, 1);
  // Parsing it back finds the forced flags in the new (first code) cell.
  assert.deepEqual(
    parseFlags(result.notebook, 'python').map(d => [d.name, d.default]),
    [
      ['lr', 0.1],
      ['name', 'x']
    ]
  );
  const ts = injectFlags(nb, 'typescript', { lr: 0.1 });
  assert.equal(sourceText(ts.cells[0].source), 'let lr = 0.1;');
});

test('the result is a new notebook; the input, tags and other cells stay as they were', () => {
  const text = JSON.stringify({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
    cells: [
      {
        cell_type: 'code',
        id: 'a',
        metadata: { tags: ['parameters'] },
        source: ['lr = 0.1\n', 'n = 2'],
        outputs: [],
        execution_count: 1
      },
      {
        cell_type: 'code',
        id: 'b',
        metadata: {},
        source: 'print(lr)',
        outputs: [
          {
            output_type: 'execute_result',
            execution_count: 2,
            data: { 'text/plain': '2.0' },
            metadata: { x: 2.0 }
          }
        ],
        execution_count: 2
      }
    ]
  }).replace('"x":2', '"x":2.0');
  const nb = parseNotebook(text, 'nb.ipynb');
  const before = serializeNotebook(nb);
  const result = injectFlagsDetailed(nb, 'python', { lr: 0.5, n: 2 });
  assert.equal(serializeNotebook(nb), before);
  assert.notEqual(result.notebook, nb);
  assert.notEqual(result.notebook.cells[1], nb.cells[1]);
  assert.equal(result.cellIndex, 0);
  assert.deepEqual(result.rewritten, ['lr', 'n']);
  assert.deepEqual(result.notebook.cells[0].source, ['lr = 0.5\n', 'n = 2']);
  assert.deepEqual(result.notebook.cells[0].metadata, { tags: ['parameters'] });
  // Everything else serializes exactly as before, Python number spellings included.
  assert.equal(
    serializeNotebook(result.notebook),
    before.replace('"lr = 0.1\\n"', '"lr = 0.5\\n"')
  );
  assert.match(serializeNotebook(result.notebook), /"x": 2\.0/);
  // A string source stays a string.
  const single = injectFlags(notebook([code('lr = 0.1\nn = 2')]), 'python', { lr: 1 });
  assert.equal(single.cells[0].source, 'lr = 1.0\nn = 2');
});

test('nothing to inject leaves the copy unchanged; a tagged cell with errors is refused', () => {
  const nb = notebook([code('lr = 0.1', ['parameters'])]);
  const result = injectFlagsDetailed(nb, 'python', {});
  assert.equal(result.cellIndex, null);
  assert.deepEqual(result.notebook, nb);
  assert.equal(injectFlagsDetailed(nb, 'python', { lr: 0.1 }).cellIndex, null);
  assert.throws(
    () => injectFlags(notebook([code('lr = [0.1', ['parameters'])]), 'python', { lr: 1 }),
    (err: unknown) =>
      err instanceof UserError &&
      err.message === "flags cell (cell 1) has a syntax error at line 1: '[' was never closed"
  );
  assert.throws(
    () => injectFlags(nb, null, { lr: 1 }),
    (err: unknown) =>
      err instanceof UserError && /TypeScript, JavaScript and Python/.test(err.message)
  );
});

test('stale defs (a flag no longer in the cell) fail loudly', () => {
  const nb = notebook([code('lr = 0.1')]);
  const defs = parseFlags(notebook([code('lr = 0.1\nold = 1')]), 'python');
  assert.throws(() => injectFlags(nb, 'python', { old: 2 }, defs), /not in flags cell \(cell 1\)/);
});
