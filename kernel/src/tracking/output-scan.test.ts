/**
 * The output scanner: Guild's documented output-scalar examples, nbx's `key=value` pairs,
 * chunking, configuration, and the hand-coded default patterns against their regexes.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../base/errors';
import {
  DEFAULT_PATTERNS,
  OutputScanner,
  outputScalarsConfig,
  parseOutputScalarsConfig,
  parseScalarNumber,
  type IOutputScannerOptions
} from './output-scan';

type Found = [string, number, number];

/** Scans `text` (all at once, or in the given chunk sizes) and returns what was found. */
function scan(text: string, options: IOutputScannerOptions = {}, chunkSize?: number): Found[] {
  const found: Found[] = [];
  const scanner = new OutputScanner((k, v, s) => found.push([k, v, s]), options);
  if (chunkSize === undefined) {
    scanner.write(text);
  } else {
    for (let i = 0; i < text.length; i += chunkSize) {
      scanner.write(text.slice(i, i + chunkSize));
    }
  }
  scanner.end();
  return found;
}

describe('OutputScanner with the default patterns (Guild)', () => {
  it('finds `key: value` with implied step 0 for keys that do not repeat', () => {
    assert.deepEqual(scan('x: 1.1\ny: 1.2\nz: 1.3\n'), [
      ['x', 1.1, 0],
      ['y', 1.2, 0],
      ['z', 1.3, 0]
    ]);
    assert.deepEqual(scan('loss: 0.1\n'), [['loss', 0.1, 0]]);
  });

  it('takes the step from `(N)` and `(step N)` suffixes', () => {
    assert.deepEqual(scan('x: 1.1 (10)\ny: 1.2 (10)\nz: 1.3 (10)\n'), [
      ['x', 1.1, 10],
      ['y', 1.2, 10],
      ['z', 1.3, 10]
    ]);
    assert.deepEqual(scan('loss: 0.25 (step 3)\n'), [['loss', 0.25, 3]]);
    assert.deepEqual(scan('acc: 0.9 (best so far)\n'), [['acc', 0.9, 0]]);
  });

  it('increments the implied step whenever a key repeats', () => {
    assert.deepEqual(scan('x: 1.1\nx: 1.2\nx: 1.3\n'), [
      ['x', 1.1, 0],
      ['x', 1.2, 1],
      ['x', 1.3, 2]
    ]);
    assert.deepEqual(scan('x: 1.1\ny: 2.2\nx: 3.3\ny: 4.4\nx: 5.5\ny: 6.6\n'), [
      ['x', 1.1, 0],
      ['y', 2.2, 0],
      ['x', 3.3, 1],
      ['y', 4.4, 1],
      ['x', 5.5, 2],
      ['y', 6.6, 2]
    ]);
    assert.deepEqual(scan('x: 1.1\ny: 2.2\ny: 3.3\ny: 4.4\nx: 5.5\ny: 6.6\n'), [
      ['x', 1.1, 0],
      ['y', 2.2, 0],
      ['y', 3.3, 1],
      ['y', 4.4, 2],
      ['x', 5.5, 2],
      ['y', 6.6, 3]
    ]);
  });

  it('keeps an explicit step once one is seen', () => {
    assert.deepEqual(scan('x: 1.1\ny: 2.2\nx: 3.3\ny: 4.4 (10)\nx: 5.5\ny: 6.6\n'), [
      ['x', 1.1, 0],
      ['y', 2.2, 0],
      ['x', 3.3, 1],
      ['y', 4.4, 10],
      ['x', 5.5, 10],
      ['y', 6.6, 10]
    ]);
    assert.deepEqual(scan('step: 2\nloss: 0.5\nacc: 0.7\nstep: 3\nloss: 0.4\nloss: 0.3\n'), [
      ['loss', 0.5, 2],
      ['acc', 0.7, 2],
      ['loss', 0.4, 3],
      ['loss', 0.3, 3]
    ]);
  });

  it('reads nan and inf in any case, and signs and exponents', () => {
    const found = scan(
      'a: nan\nb: -inf\nc: INF\nd: NaN\ne: 1e-3\nf: -2.5E+2\ng: .5\nh: 7.\ni: Infinity\n'
    );
    assert.deepEqual(
      found.map(([k, v]) => [k, v]),
      [
        ['a', NaN],
        ['b', -Infinity],
        ['c', Infinity],
        ['d', NaN],
        ['e', 0.001],
        ['f', -250],
        ['g', 0.5],
        ['h', 7],
        ['i', Infinity]
      ]
    );
  });

  it('matches A and B on whole lines only, ignoring trailing whitespace', () => {
    assert.deepEqual(scan('loss: 0.5   \n'), [['loss', 0.5, 0]]);
    for (const line of [
      'loss:0.5',
      'loss: abc',
      'loss: 1.2.3',
      '1loss: 0.5',
      'loss: .',
      'loss: ',
      'time: 12:30',
      'x: (4)'
    ]) {
      assert.deepEqual(scan(`${line}\n`), [], line);
    }
    assert.deepEqual(scan('a:b: 3\n'), [['a:b', 3, 0]], 'keys are \\S*, colons included');
  });

  it('ignores keys equal to flag names', () => {
    const flags = ['lr', 'epochs'];
    assert.deepEqual(scan('lr: 0.01\nepochs: 5\nloss: 0.3\n', { flags }), [['loss', 0.3, 0]]);
    assert.deepEqual(scan('step=1 lr=0.01 loss=0.3\n', { flags }), [['loss', 0.3, 1]]);
  });
});

describe('OutputScanner with several `key: value` pairs on a line', () => {
  it('records every pair, in line order, mixed with key=value pairs', () => {
    assert.deepEqual(scan('loss: 0.5 acc: 0.9\n'), [
      ['loss', 0.5, 0],
      ['acc', 0.9, 0]
    ]);
    assert.deepEqual(scan('tick=0 loss: 1\n'), [
      ['tick', 0, 0],
      ['loss', 1, 0]
    ]);
    assert.deepEqual(scan('  loss: 0.5\nEpoch 1/10: loss: 0.4 extra\n'), [
      ['loss', 0.5, 0],
      ['loss', 0.4, 1]
    ]);
    assert.deepEqual(scan('10/10 [==========] - 0s 2ms/step - loss: 0.2345 - accuracy: 0.9000\n'), [
      ['loss', 0.2345, 0],
      ['accuracy', 0.9, 0]
    ]);
  });

  it('takes the step pair of the line first, and skips what is not a pair', () => {
    assert.deepEqual(scan('loss: 0.5 step: 7 acc: 0.9\n'), [
      ['loss', 0.5, 7],
      ['acc', 0.9, 7]
    ]);
    assert.deepEqual(scan('at 12:30:01 x:1 y: 2s z: (3) w: 4\n'), [['w', 4, 0]]);
    assert.deepEqual(scan('lr: 0.1 loss: 0.3\n', { flags: ['lr'] }), [['loss', 0.3, 0]]);
  });

  it('leaves whole-line A and B matches alone', () => {
    assert.deepEqual(scan('loss: 0.5 (val: 0.3)\n'), [['loss', 0.5, 0]]);
    assert.deepEqual(scan('loss: 0.25 (step 3)\n'), [['loss', 0.25, 3]]);
  });
});

describe('OutputScanner with key=value pairs', () => {
  it('finds several pairs per line, the step pair setting the step of the line', () => {
    assert.deepEqual(scan('step=3 loss=0.25 acc=0.9\n'), [
      ['loss', 0.25, 3],
      ['acc', 0.9, 3]
    ]);
    assert.deepEqual(scan('loss=0.25 acc=0.9 step=4\n'), [
      ['loss', 0.25, 4],
      ['acc', 0.9, 4]
    ]);
    assert.deepEqual(scan('epoch=1, loss=0.3; val/acc=0.8 | lr-scale=2\n'), [
      ['epoch', 1, 0],
      ['loss', 0.3, 0],
      ['val/acc', 0.8, 0],
      ['lr-scale', 2, 0]
    ]);
  });

  it('uses implied steps without a step pair, and the step sticks once seen', () => {
    assert.deepEqual(scan('loss=1 acc=0.1\nloss=2 acc=0.2\nstep=10 loss=3\nloss=4\n'), [
      ['loss', 1, 0],
      ['acc', 0.1, 0],
      ['loss', 2, 1],
      ['acc', 0.2, 1],
      ['loss', 3, 10],
      ['loss', 4, 10]
    ]);
  });

  it('finds pairs inside other text, such as a tqdm postfix', () => {
    assert.deepEqual(
      scan('Epoch 3/10:  45%|████▌     | 450/1000 [00:12<00:15, 36.52it/s, loss=0.251]\n'),
      [['loss', 0.251, 0]]
    );
    assert.deepEqual(scan('done (loss=0.5)\n'), [['loss', 0.5, 0]]);
  });

  it('skips what is not a pair of a key and a number', () => {
    for (const line of [
      'a==1',
      'x=abc',
      'url?a=1&b=2',
      '9a=1',
      'a+b=3',
      'loss=0.25.',
      'loss=',
      '=5',
      'cmd --lr=0.1'
    ]) {
      assert.deepEqual(scan(`${line}\n`), [], line);
    }
    assert.deepEqual(scan('a=1=2 b=3\n'), [['b', 3, 0]]);
    assert.deepEqual(scan('loss=nan acc=-inf\n'), [
      ['loss', NaN, 0],
      ['acc', -Infinity, 0]
    ]);
  });
});

describe('OutputScanner streaming', () => {
  const text =
    'x: 1.1\ny: 2.2\nx: 3.3\nstep=7 loss=0.25 acc=0.9\nsome log line\nval_loss: 0.5 (step 8)\nloss=0.125\n';
  const whole = scan(text);

  it('finds the same scalars whatever the chunk boundaries', () => {
    assert.equal(whole.length, 7);
    for (const size of [1, 2, 3, 5, 7, 11, 64]) {
      assert.deepEqual(scan(text, {}, size), whole, `chunks of ${size}`);
    }
  });

  it('scans a last line without a newline at end(), and treats \\r as a line end', () => {
    assert.deepEqual(scan('loss: 0.5'), [['loss', 0.5, 0]]);
    assert.deepEqual(scan('p=1\rp=2\r\np=3\r'), [
      ['p', 1, 0],
      ['p', 2, 1],
      ['p', 3, 2]
    ]);
  });

  it('keeps stdout and stderr lines apart', () => {
    const found: Found[] = [];
    const scanner = new OutputScanner((k, v, s) => found.push([k, v, s]));
    scanner.write('lo', 'stdout');
    scanner.write('acc: 0.5\n', 'stderr');
    scanner.write('ss: 0.25\n', 'stdout');
    assert.deepEqual(found, [
      ['acc', 0.5, 0],
      ['loss', 0.25, 0]
    ]);
  });

  it('does not scan lines longer than the limit', () => {
    const long = `loss=1 ${'x'.repeat(200)}`;
    assert.deepEqual(scan(`${long}\nacc=2\n`, { maxLineLength: 100 }, 50), [['acc', 2, 0]]);
  });
});

describe('output scalars configuration', () => {
  it('reads metadata.nbx.output_scalars', () => {
    assert.deepEqual(parseOutputScalarsConfig({}), { mode: 'default' });
    assert.deepEqual(parseOutputScalarsConfig({ nbx: {} }), { mode: 'default' });
    assert.deepEqual(parseOutputScalarsConfig({ nbx: { output_scalars: true } }), {
      mode: 'default'
    });
    assert.deepEqual(parseOutputScalarsConfig({ nbx: { output_scalars: false } }), {
      mode: 'off'
    });
  });

  it('disabled: finds nothing', () => {
    const config = parseOutputScalarsConfig({ nbx: { output_scalars: false } });
    assert.deepEqual(scan('loss: 0.5\nstep=1 acc=2\n', { config }), []);
  });

  it('custom patterns replace the defaults, with named groups, plain groups and macros', () => {
    const config = outputScalarsConfig([
      "'(?<key>\\w+)': (?<value>\\value)",
      'iteration (?<step>\\d+)',
      '^(\\w+) is (\\S+)$'
    ]);
    assert.deepEqual(
      scan("iteration 5\n{'loss': 0.69, 'learning_rate': 5e-05}\nacc is 0.75\nloss: 0.5\nx=1\n", {
        config
      }),
      [
        ['loss', 0.69, 5],
        ['learning_rate', 5e-5, 5],
        ['acc', 0.75, 5]
      ]
    );
  });

  it('"default" keeps the defaults among custom patterns; custom patterns keep flag keys', () => {
    const config = outputScalarsConfig(['default', 'val (?<key>\\w+) = (?<value>\\value)']);
    assert.deepEqual(scan('lr: 0.5\nval acc = 0.9\n', { config, flags: ['lr'] }), [
      ['lr', 0.5, 0],
      ['acc', 0.9, 0]
    ]);
  });

  it('the mapping form gives the key, `step` sets the step', () => {
    const config = outputScalarsConfig({ loss: 'L=(\\S+)', step: 'it (\\d+)' });
    assert.deepEqual(scan('it 4 L=0.5\nL=nan\n', { config }), [
      ['loss', 0.5, 4],
      ['loss', NaN, 4]
    ]);
  });

  it('rejects malformed settings with an error naming the setting', () => {
    const bad: unknown[] = [
      42,
      'sometimes',
      ['(unclosed'],
      ['no groups'],
      ['(?<value>\\d+) only a value'],
      [7],
      { loss: 'no group' },
      { loss: 3 }
    ];
    for (const value of bad) {
      assert.throws(
        () => outputScalarsConfig(value as never),
        (err: Error) =>
          err instanceof UserError && /metadata\.nbx\.output_scalars/.test(err.message),
        JSON.stringify(value)
      );
    }
    assert.throws(() => parseOutputScalarsConfig({ nbx: 'x' }), UserError);
  });
});

describe('parseScalarNumber', () => {
  it('parses like float() for the number syntax and rounds correctly', () => {
    const cases: [string, number | null][] = [
      ['0.1', 0.1],
      ['-0', -0],
      ['+3', 3],
      ['1e5', 1e5],
      ['1.5e-7', 1.5e-7],
      ['123456789012345678901234567890', Number('123456789012345678901234567890')],
      ['0.30000000000000004', 0.30000000000000004],
      ['1e400', Infinity],
      ['nan', NaN],
      ['-Inf', -Infinity],
      ['', null],
      ['.', null],
      ['1e', null],
      ['0x10', null],
      ['1_000', null],
      ['--1', null]
    ];
    for (const [text, want] of cases) {
      assert.equal(parseScalarNumber(text), want, text);
    }
    for (let i = 0; i < 2000; i++) {
      const x = (Math.random() - 0.5) * 10 ** Math.floor(Math.random() * 20 - 10);
      for (const text of [String(x), x.toFixed(4), x.toExponential(6), x.toPrecision(15)]) {
        assert.equal(parseScalarNumber(text), Number(text), text);
      }
    }
  });
});

describe('hand-coded default patterns', () => {
  /** A reference scanner for one line, with a fresh step state, from the regexes. */
  function byRegex(line: string): Found[] {
    const found: Found[] = [];
    let step = 0;
    let explicit = false;
    const seenAt = new Map<string, number>();
    const setStep = (n: number): void => {
      if (Number.isFinite(n)) {
        step = Math.trunc(n);
        explicit = true;
      }
    };
    const emit = (key: string, value: number): void => {
      if (key === 'step') {
        setStep(value);
        return;
      }
      if (!explicit) {
        if (seenAt.get(key) === step) {
          step++;
        }
        seenAt.set(key, step);
      }
      found.push([key, value, step]);
    };
    const a = DEFAULT_PATTERNS.stepSuffix.exec(line);
    if (a?.groups?.step !== undefined) {
      setStep(Number(a.groups.step));
    }
    const b = DEFAULT_PATTERNS.colon.exec(line);
    const bValue = b?.groups ? parseScalarNumber(b.groups.value) : null;
    if (b?.groups && bValue !== null) {
      emit(b.groups.key, bValue);
    }
    const hits: [number, string, number][] = [];
    const collect = (pattern: RegExp): void => {
      for (const m of line.matchAll(pattern)) {
        const v = parseScalarNumber(m.groups?.value ?? '');
        if (v !== null) {
          hits.push([m.index ?? 0, m.groups?.key ?? '', v]);
        }
      }
    };
    collect(DEFAULT_PATTERNS.pairs);
    if (b === null) {
      collect(DEFAULT_PATTERNS.colonPairs);
    }
    const pairs = hits.sort((x, y) => x[0] - y[0]).map(([, k, v]): [string, number] => [k, v]);
    const first = pairs.findIndex(([k]) => k === 'step');
    if (first >= 0) {
      setStep(pairs[first][1]);
    }
    pairs.forEach(([k, v], i) => {
      if (i !== first) {
        emit(k, v);
      }
    });
    return found;
  }

  it('find what the regexes find, on generated lines', () => {
    const atoms = [
      'loss',
      'a:b',
      'x',
      '_k',
      '9',
      ':',
      ': ',
      ' ',
      '  ',
      '=',
      '0.5',
      '-1e3',
      'nan',
      'inf',
      '.',
      '(',
      ')',
      '(step 3)',
      '(4)',
      'step=2',
      'step',
      'step: 4',
      'acc: 0.7',
      ',',
      '[',
      'val/acc=0.1',
      'é',
      '\t',
      '\u00a0'
    ];
    let seed = 7;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    let matched = 0;
    for (let i = 0; i < 30000; i++) {
      let line = '';
      const n = 1 + rand(7);
      for (let j = 0; j < n; j++) {
        line += atoms[rand(atoms.length)];
      }
      line = line.trimEnd();
      const want = byRegex(line);
      const found = scan(`${line}\n`);
      assert.deepEqual(found, want, JSON.stringify(line));
      matched += want.length > 0 ? 1 : 0;
    }
    assert.ok(matched > 1500, `enough generated lines hold scalars (${matched})`);
  });
});
