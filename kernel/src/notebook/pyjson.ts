/**
 * JSON the way Python writes it, so notebooks round-trip byte-for-byte with Jupyter.
 *
 * Jupyter saves with `json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False)`.
 * Strings escape exactly as `JSON.stringify` does (for well-formed text); the
 * differences are layout, key order and numbers:
 * - floats use Python's `repr` (`1e-05`, `1e+16`, `2.0`), not JavaScript's;
 * - a float with an integral value (`2.0`) and an integer beyond 2^53 cannot be told
 *   apart from an ordinary number after `JSON.parse`, so `parseJson` remembers how such
 *   numbers were written (in a side table keyed by their containing object), and
 *   `dumpPythonJson` writes them back the same way as long as the value is unchanged.
 *   Copies of the parsed objects (e.g. `structuredClone`) lose that memory.
 */

import type { JSONObject, JSONValue } from '../base/json';

/** A JSON object or array: what holds a member while dumping. */
export type Container = JSONObject | JSONValue[];

/**
 * Python spellings of numbers JavaScript would write differently, per containing
 * object or array and key (array indices as strings).
 */
const numberSpellings = new WeakMap<object, Map<string, string>>();

/** A JSON syntax error with the position it was found at (1-based line and column). */
export class JsonSyntaxError extends SyntaxError {
  readonly position: number;
  readonly line: number;
  readonly column: number;
  /** What was wrong, without the position: `unexpected '}'`. */
  readonly detail: string;

  constructor(text: string, position: number, detail: string) {
    const before = text.slice(0, position);
    const line = before.split('\n').length;
    const column = position - before.lastIndexOf('\n');
    super(`${detail} at line ${line}, column ${column}`);
    this.name = 'JsonSyntaxError';
    this.position = position;
    this.line = line;
    this.column = column;
    this.detail = detail;
  }
}

/** Python's `repr(float)` for a finite number: shortest round-trip digits, Python layout. */
export function pythonFloatRepr(value: number): string {
  if (!Number.isFinite(value)) {
    return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
  }
  const sign = value < 0 || Object.is(value, -0) ? '-' : '';
  const [mantissa, expText] = Math.abs(value).toExponential().split('e');
  const exp = Number(expText);
  if (exp < -4 || exp >= 16) {
    const expDigits = String(Math.abs(exp)).padStart(2, '0');
    return `${sign}${mantissa}e${exp < 0 ? '-' : '+'}${expDigits}`;
  }
  const digits = mantissa.replace('.', '');
  if (exp < 0) {
    return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  }
  const whole = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
  const fraction = digits.slice(exp + 1);
  return `${sign}${whole}.${fraction === '' ? '0' : fraction}`;
}

/** How Python would write back a number read from JSON `literal`, if JavaScript would not. */
function pythonSpelling(literal: string, value: number): string | undefined {
  if (/[.eE]/.test(literal)) {
    return Number.isInteger(value) || Object.is(value, -0) ? pythonFloatRepr(value) : undefined;
  }
  return Number.isSafeInteger(value) ? undefined : literal;
}

/** Finds number literals that need a spelling remembered; false positives are harmless. */
const NUMBER_IN_CONTEXT = /[[:,]\s*(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g;

function hasSpecialNumbers(text: string): boolean {
  NUMBER_IN_CONTEXT.lastIndex = 0;
  for (let m = NUMBER_IN_CONTEXT.exec(text); m !== null; m = NUMBER_IN_CONTEXT.exec(text)) {
    if (pythonSpelling(m[1], Number(m[1])) !== undefined) {
      return true;
    }
  }
  return false;
}

const WHITESPACE = /[ \t\n\r]*/y;
// Raw control characters are not allowed in JSON strings, so they end a run of plain text.
// eslint-disable-next-line no-control-regex
const PLAIN_CHARS = /[^"\\\u0000-\u001f]*/y;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPES: { [ch: string]: string } = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t'
};

/** A strict JSON parser that records number spellings; used when JSON.parse is not enough. */
class Parser {
  private pos = 0;

  constructor(private readonly text: string) {}

  parseDocument(): JSONValue {
    const value = this.parseValue(undefined, '');
    this.skipWhitespace();
    if (this.pos < this.text.length) {
      this.fail('unexpected text after the end of the JSON value');
    }
    return value;
  }

  private fail(detail: string): never {
    throw new JsonSyntaxError(this.text, this.pos, detail);
  }

  private unexpected(): never {
    if (this.pos >= this.text.length) {
      this.fail('unexpected end of file');
    }
    this.fail(`unexpected ${JSON.stringify(this.text[this.pos])}`);
  }

  private skipWhitespace(): void {
    WHITESPACE.lastIndex = this.pos;
    WHITESPACE.test(this.text);
    this.pos = WHITESPACE.lastIndex;
  }

  private expect(ch: string): void {
    this.skipWhitespace();
    if (this.text[this.pos] !== ch) {
      this.unexpected();
    }
    this.pos++;
  }

  private parseValue(holder: Container | undefined, key: string): JSONValue {
    this.skipWhitespace();
    const ch = this.text[this.pos];
    if (ch === '{') {
      return this.parseObject();
    }
    if (ch === '[') {
      return this.parseArray();
    }
    if (ch === '"') {
      return this.parseString();
    }
    if (ch === 't' || ch === 'f' || ch === 'n') {
      const word = ch === 't' ? 'true' : ch === 'f' ? 'false' : 'null';
      if (!this.text.startsWith(word, this.pos)) {
        this.unexpected();
      }
      this.pos += word.length;
      return ch === 't' ? true : ch === 'f' ? false : null;
    }
    NUMBER.lastIndex = this.pos;
    const match = NUMBER.exec(this.text);
    if (match === null) {
      this.unexpected();
    }
    this.pos = NUMBER.lastIndex;
    const value = Number(match[0]);
    const spelling = pythonSpelling(match[0], value);
    if (spelling !== undefined && holder !== undefined) {
      let spellings = numberSpellings.get(holder);
      if (spellings === undefined) {
        numberSpellings.set(holder, (spellings = new Map()));
      }
      spellings.set(key, spelling);
    }
    return value;
  }

  private parseObject(): JSONObject {
    const object: JSONObject = {};
    this.pos++;
    this.skipWhitespace();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return object;
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text[this.pos] !== '"') {
        this.unexpected();
      }
      const key = this.parseString();
      this.expect(':');
      const value = this.parseValue(object, key);
      // `__proto__` must become an own property, as with JSON.parse.
      Object.defineProperty(object, key, {
        value,
        writable: true,
        enumerable: true,
        configurable: true
      });
      this.skipWhitespace();
      const next = this.text[this.pos++];
      if (next === '}') {
        return object;
      }
      if (next !== ',') {
        this.pos--;
        this.unexpected();
      }
    }
  }

  private parseArray(): JSONValue[] {
    const array: JSONValue[] = [];
    this.pos++;
    this.skipWhitespace();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return array;
    }
    for (;;) {
      array.push(this.parseValue(array, String(array.length)));
      this.skipWhitespace();
      const next = this.text[this.pos++];
      if (next === ']') {
        return array;
      }
      if (next !== ',') {
        this.pos--;
        this.unexpected();
      }
    }
  }

  private parseString(): string {
    const text = this.text;
    let result = '';
    this.pos++;
    for (;;) {
      PLAIN_CHARS.lastIndex = this.pos;
      PLAIN_CHARS.test(text);
      result += text.slice(this.pos, PLAIN_CHARS.lastIndex);
      this.pos = PLAIN_CHARS.lastIndex;
      const ch = text[this.pos];
      if (ch === '"') {
        this.pos++;
        return result;
      }
      if (ch === undefined) {
        this.fail('unterminated string');
      }
      if (ch !== '\\') {
        this.fail('control character in a string (it must be escaped)');
      }
      const code = text[this.pos + 1];
      if (code === 'u') {
        const hex = text.slice(this.pos + 2, this.pos + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
          this.fail('invalid \\u escape in a string');
        }
        result += String.fromCharCode(parseInt(hex, 16));
        this.pos += 6;
      } else if (code !== undefined && code in ESCAPES) {
        result += ESCAPES[code];
        this.pos += 2;
      } else {
        this.fail('invalid escape in a string');
      }
    }
  }
}

/**
 * Parses JSON text (strict, like JSON.parse), remembering the Python spelling of numbers
 * JavaScript cannot represent faithfully (see the module comment).
 *
 * Throws a `JsonSyntaxError` with line and column on bad input.
 */
export function parseJson(text: string): JSONValue {
  if (!hasSpecialNumbers(text)) {
    try {
      return JSON.parse(text) as JSONValue;
    } catch (err) {
      // Locate the error with our parser, which reports line and column.
      throw locateJsonError(text) ?? err;
    }
  }
  try {
    return new Parser(text).parseDocument();
  } catch (err) {
    // JSON.parse is the reference: if it accepts the text after all (or the text was too
    // deeply nested for the recursive parser), use its result without the spellings.
    let value: JSONValue;
    try {
      value = JSON.parse(text) as JSONValue;
    } catch (nativeErr) {
      throw err instanceof JsonSyntaxError ? err : nativeErr;
    }
    return value;
  }
}

/** The syntax error in `text` with its position, or null when `text` is valid JSON. */
export function locateJsonError(text: string): JsonSyntaxError | null {
  try {
    new Parser(text).parseDocument();
    return null;
  } catch (err) {
    return err instanceof JsonSyntaxError ? err : null;
  }
}

/**
 * A string to be written as the list of its lines (Python's `splitlines(True)`), without
 * building that list: what a `DumpHook` returns for text nbformat stores split.
 */
export class SplitLines {
  constructor(readonly text: string) {}
}

/**
 * Rewrites or drops a member while dumping: return the value to write, or `undefined`
 * to leave the member out (object members only; array items are never dropped).
 */
export type DumpHook = (
  holder: Container,
  key: string,
  value: JSONValue
) => JSONValue | SplitLines | undefined;

/**
 * A shallow copy of an object or array that keeps the Python spellings of its numbers
 * (see `parseJson`), so that dumping the copy writes the same bytes as the original.
 */
export function shallowCopy<T extends Container>(value: T): T {
  const copy = (Array.isArray(value) ? [...value] : { ...value }) as T;
  const spellings = numberSpellings.get(value);
  if (spellings !== undefined) {
    numberSpellings.set(copy, spellings);
  }
  return copy;
}

/** Python's sort order for keys: by code point (JavaScript's `<` compares UTF-16 units). */
function compareKeys(a: string, b: string): number {
  if (/[\ud800-\udfff]/.test(a) || /[\ud800-\udfff]/.test(b)) {
    const ca = Array.from(a, c => c.codePointAt(0) ?? 0);
    const cb = Array.from(b, c => c.codePointAt(0) ?? 0);
    for (let i = 0; i < Math.min(ca.length, cb.length); i++) {
      if (ca[i] !== cb[i]) {
        return ca[i] - cb[i];
      }
    }
    return ca.length - cb.length;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

function formatNumber(value: number, holder: Container | undefined, key: string): string {
  const spelling = holder === undefined ? undefined : numberSpellings.get(holder)?.get(key);
  if (spelling !== undefined && Object.is(Number(spelling), value)) {
    return spelling;
  }
  if (!Number.isFinite(value)) {
    return 'null';
  }
  if (Number.isInteger(value)) {
    return Number.isSafeInteger(value) ? String(value) : BigInt(value).toString();
  }
  return pythonFloatRepr(value);
}

/**
 * `json.dumps(value, sort_keys=True, indent=1, ensure_ascii=False)` exactly, for JSON
 * values (no trailing newline). `undefined` members are left out, as with JSON.stringify;
 * non-finite numbers are written as `null`.
 */
export function dumpPythonJson(value: JSONValue, hook?: DumpHook): string {
  return [...dumpPythonJsonChunks(value, hook, Infinity)].join('');
}

/**
 * The text of `dumpPythonJson(value, hook)` in pieces of about `chunkSize` characters
 * (a piece ends after the first value that takes it past that size), so that a large
 * document can be written out without holding all of it, and with pauses in between.
 */
export function* dumpPythonJsonChunks(
  value: JSONValue,
  hook?: DumpHook,
  chunkSize = 64 * 1024
): Generator<string, void, undefined> {
  let out: string[] = [];
  let size = 0;
  const indents: string[] = ['\n'];
  const indent = (level: number): string => (indents[level] ??= '\n' + ' '.repeat(level));
  const push = (piece: string): void => {
    out.push(piece);
    size += piece.length;
  };
  const take = (): string => {
    const piece = out.join('');
    out = [];
    size = 0;
    return piece;
  };

  /** Writes a scalar; false for an object or array, which the caller writes itself. */
  const writeScalar = (v: JSONValue, holder: Container | undefined, key: string): boolean => {
    if (v === null) {
      push('null');
    } else if (typeof v === 'string') {
      push(JSON.stringify(v));
    } else if (typeof v === 'number') {
      push(formatNumber(v, holder, key));
    } else if (typeof v === 'boolean') {
      push(v ? 'true' : 'false');
    } else {
      return false;
    }
    return true;
  };

  function* writeLines(text: string, level: number): Generator<string, void, undefined> {
    let start = 0;
    for (const end of lineEnds(text)) {
      push(start === 0 ? '[' + indent(level + 1) : ',' + indent(level + 1));
      push(JSON.stringify(text.slice(start, end)));
      start = end;
      if (size >= chunkSize) {
        yield take();
      }
    }
    push(start === 0 ? '[]' : indent(level) + ']');
  }

  function* write(
    v: JSONValue | SplitLines,
    holder: Container | undefined,
    key: string,
    level: number
  ): Generator<string, void, undefined> {
    if (v instanceof SplitLines) {
      yield* writeLines(v.text, level);
    } else if (writeScalar(v, holder, key)) {
      return;
    } else if (Array.isArray(v)) {
      if (v.length === 0) {
        push('[]');
        return;
      }
      push('[');
      for (let i = 0; i < v.length; i++) {
        const k = String(i);
        let item: JSONValue | SplitLines | undefined = v[i];
        if (hook !== undefined) {
          item = hook(v, k, item);
        }
        push(i === 0 ? indent(level + 1) : ',' + indent(level + 1));
        const itemValue = item === undefined ? null : item;
        if (itemValue instanceof SplitLines || !writeScalar(itemValue, v, k)) {
          yield* write(itemValue, v, k, level + 1);
        }
        if (size >= chunkSize) {
          yield take();
        }
      }
      push(indent(level));
      push(']');
    } else if (v !== null && typeof v === 'object') {
      let first = true;
      for (const k of Object.keys(v).sort(compareKeys)) {
        let member: JSONValue | SplitLines | undefined = v[k];
        if (hook !== undefined && member !== undefined) {
          member = hook(v, k, member);
        }
        if (member === undefined) {
          continue;
        }
        push(first ? '{' + indent(level + 1) : ',' + indent(level + 1));
        push(JSON.stringify(k));
        push(': ');
        yield* write(member, v, k, level + 1);
        first = false;
        if (size >= chunkSize) {
          yield take();
        }
      }
      push(first ? '{}' : indent(level) + '}');
    }
  }

  yield* write(value, undefined, '', 0);
  if (out.length > 0) {
    yield take();
  }
}

/** Python's `str.splitlines(True)`: split after every line boundary Python knows. */
export function splitLinesPython(text: string): string[] {
  const lines: string[] = [];
  let start = 0;
  for (const end of lineEnds(text)) {
    lines.push(text.slice(start, end));
    start = end;
  }
  return lines;
}

/** Where each line of `text` ends (after its line break), as `splitLinesPython` splits it. */
function* lineEnds(text: string): Generator<number, void, undefined> {
  // Python also breaks lines at these control characters (\x1c-\x1e: file/group/record sep).
  // eslint-disable-next-line no-control-regex
  const boundary = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/g;
  let last = 0;
  for (let m = boundary.exec(text); m !== null; m = boundary.exec(text)) {
    last = boundary.lastIndex;
    yield last;
  }
  if (last < text.length) {
    yield text.length;
  }
}
