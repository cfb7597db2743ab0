/**
 * A tokenizer for the part of Python that flags cells need: names, numbers, strings
 * (prefixed, triple-quoted), comments, operators, brackets and backslash continuations,
 * grouped into logical lines as Python's tokenizer groups them.
 *
 * Hand-written, and kept so: no library tokenizes Python literals well from Node. The
 * tree-sitter bindings need native builds or a WASM runtime, the pure-JS parsers are
 * abandoned or lag the grammar, and shelling out to `python -c 'import ast'` would make
 * `nbx flags` depend on an interpreter and cost a process per call. The subset needed
 * is small.
 */

/** Python's hard keywords: never assignment targets. */
export const KEYWORDS = new Set(
  (
    'False None True and as assert async await break class continue def del elif else ' +
    'except finally for from global if import in is lambda nonlocal not or pass raise ' +
    'return try while with yield'
  ).split(' ')
);

/** Multi-character operators, longest first; any other character is a one-character op. */
const OPERATORS =
  '**= //= >>= <<= ... != %= &= ** *= += -= -> // /= := << <= == >= >> @= ^= |='.split(' ');

/** Opening brackets and their closing ones. */
export const OPENERS: Record<string, string> = { '(': ')', '[': ']', '{': '}' };
/** Closing brackets. */
export const CLOSERS = new Set([')', ']', '}']);

const NAME = /[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*/uy;
const NUMBER =
  /(?:0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?)[jJ]?/y;
const STRING_PREFIX = /^(?:[rRuUfFbBtT]|[bB][rR]|[rR][bB]|[fF][rR]|[rR][fF]|[tT][rR]|[rR][tT])$/;

/** A token with its range in the cell text (comments and newlines are not tokens). */
export interface IToken {
  kind: 'name' | 'number' | 'string' | 'op';
  text: string;
  start: number;
  end: number;
}

/** A logical line: tokens up to a newline outside brackets, with its comments. */
export interface ILogicalLine {
  tokens: IToken[];
  comments: { text: string; start: number; line: number }[];
  /** 0-based physical line of its first token. */
  firstLine: number;
  /** 0-based physical line of its last token. */
  lastLine: number;
  /** Column of the first token: 0 for top-level statements. */
  indent: number;
}

/** Text that cannot be tokenized, at a 0-based line. */
export class TokenError extends Error {
  constructor(
    message: string,
    readonly line: number
  ) {
    super(message);
  }
}

/** Splits Python source into logical lines, the way Python's tokenizer groups tokens. */
export class Tokenizer {
  private readonly lineStarts: number[] = [0];

  constructor(private readonly text: string) {
    for (let i = 0; i < text.length; i++) {
      if (text[i] === '\n') {
        this.lineStarts.push(i + 1);
      }
    }
  }

  /** 0-based line of an offset. */
  lineOf(offset: number): number {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= offset) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return lo;
  }

  /** End of a physical line, after its newline (or the end of the text). */
  nextLineStart(line: number): number {
    return line + 1 < this.lineStarts.length ? this.lineStarts[line + 1] : this.text.length;
  }

  /**
   * Reads the logical line starting at `pos` (the start of a physical line). Returns it
   * and the offset after it. IPython magics and shell escapes (`%...`, `!...`) are
   * skipped as a whole physical line.
   */
  logicalLine(pos: number): { line: ILogicalLine; next: number } {
    const text = this.text;
    const tokens: IToken[] = [];
    const comments: ILogicalLine['comments'] = [];
    const stack: { ch: string; at: number }[] = [];
    let p = pos;
    let first = true;
    for (;;) {
      while (p < text.length && (text[p] === ' ' || text[p] === '\t' || text[p] === '\f')) {
        p++;
      }
      if (first && (text[p] === '%' || text[p] === '!')) {
        const line = this.lineOf(p);
        const next = this.nextLineStart(line);
        return { line: this.make(tokens, comments, line), next };
      }
      first = false;
      if (p >= text.length) {
        const open = stack[stack.length - 1];
        if (open !== undefined) {
          throw new TokenError(`'${open.ch}' was never closed`, this.lineOf(open.at));
        }
        return { line: this.make(tokens, comments, this.lineOf(pos)), next: p };
      }
      const ch = text[p];
      if (ch === '#') {
        let end = text.indexOf('\n', p);
        end = end < 0 ? text.length : end;
        comments.push({
          text: text.slice(p, end).replace(/\r$/, ''),
          start: p,
          line: this.lineOf(p)
        });
        p = end;
        continue;
      }
      if (ch === '\\' && (text[p + 1] === '\n' || (text[p + 1] === '\r' && text[p + 2] === '\n'))) {
        p += text[p + 1] === '\n' ? 2 : 3;
        continue;
      }
      if (ch === '\n' || ch === '\r') {
        p += ch === '\r' && text[p + 1] === '\n' ? 2 : 1;
        if (stack.length > 0) {
          continue;
        }
        return { line: this.make(tokens, comments, this.lineOf(pos)), next: p };
      }
      const token = this.token(p);
      if (token.kind === 'op') {
        if (OPENERS[token.text] !== undefined) {
          stack.push({ ch: token.text, at: p });
        } else if (CLOSERS.has(token.text)) {
          const open = stack.pop();
          if (open === undefined) {
            throw new TokenError(`unmatched '${token.text}'`, this.lineOf(p));
          }
          if (OPENERS[open.ch] !== token.text) {
            throw new TokenError(
              `closing parenthesis '${token.text}' does not match opening parenthesis '${open.ch}'`,
              this.lineOf(p)
            );
          }
        }
      }
      tokens.push(token);
      p = token.end;
    }
  }

  private make(
    tokens: IToken[],
    comments: ILogicalLine['comments'],
    fallbackLine: number
  ): ILogicalLine {
    const firstToken = tokens[0];
    const lastToken = tokens[tokens.length - 1];
    const firstLine = firstToken === undefined ? fallbackLine : this.lineOf(firstToken.start);
    return {
      tokens,
      comments,
      firstLine,
      lastLine: lastToken === undefined ? firstLine : this.lineOf(lastToken.end - 1),
      indent: firstToken === undefined ? 0 : firstToken.start - this.lineStarts[firstLine]
    };
  }

  private token(p: number): IToken {
    const text = this.text;
    NAME.lastIndex = p;
    const name = NAME.exec(text);
    if (name !== null) {
      const after = p + name[0].length;
      if ((text[after] === '"' || text[after] === "'") && STRING_PREFIX.test(name[0])) {
        return this.string(p, after);
      }
      return { kind: 'name', text: name[0], start: p, end: after };
    }
    if (text[p] === '"' || text[p] === "'") {
      return this.string(p, p);
    }
    NUMBER.lastIndex = p;
    const number =
      /[0-9]/.test(text[p]) || /[0-9]/.test(text[p + 1] ?? '') ? NUMBER.exec(text) : null;
    if (number !== null) {
      return { kind: 'number', text: number[0], start: p, end: p + number[0].length };
    }
    const op =
      OPERATORS.find(o => text.startsWith(o, p)) ?? String.fromCodePoint(text.codePointAt(p) ?? 0);
    return { kind: 'op', text: op, start: p, end: p + op.length };
  }

  /** A string token starting at `start` (its prefix) whose quote is at `quoteAt`. */
  private string(start: number, quoteAt: number): IToken {
    const text = this.text;
    const q = text[quoteAt];
    const triple = text.startsWith(q + q + q, quoteAt);
    let p = quoteAt + (triple ? 3 : 1);
    for (;;) {
      if (p >= text.length) {
        const what = triple
          ? 'unterminated triple-quoted string literal'
          : 'unterminated string literal';
        throw new TokenError(what, this.lineOf(start));
      }
      const ch = text[p];
      if (ch === '\\') {
        p += text[p + 1] === '\r' && text[p + 2] === '\n' ? 3 : 2;
        continue;
      }
      if (!triple && (ch === '\n' || ch === '\r')) {
        throw new TokenError('unterminated string literal', this.lineOf(start));
      }
      if (triple ? text.startsWith(q + q + q, p) : ch === q) {
        const end = p + (triple ? 3 : 1);
        return { kind: 'string', text: text.slice(start, end), start, end };
      }
      p++;
    }
  }
}

const SIMPLE_ESCAPES: Record<string, string> = {
  '\\': '\\',
  "'": "'",
  '"': '"',
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v'
};

/** The value of a string token's body, or null for escapes we cannot decode (`\N{...}`). */
export function decodeString(body: string, raw: boolean): string | null {
  const text = body.replace(/\r\n?/g, '\n');
  if (raw) {
    return text;
  }
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch !== '\\') {
      out += ch;
      continue;
    }
    const next = text[i + 1];
    i++;
    if (next === '\n') {
      continue;
    }
    if (SIMPLE_ESCAPES[next] !== undefined) {
      out += SIMPLE_ESCAPES[next];
      continue;
    }
    const octal = /^[0-7]{1,3}/.exec(text.slice(i, i + 3));
    if (octal !== null) {
      out += String.fromCodePoint(parseInt(octal[0], 8));
      i += octal[0].length - 1;
      continue;
    }
    const width = next === 'x' ? 2 : next === 'u' ? 4 : next === 'U' ? 8 : 0;
    const hex = text.slice(i + 1, i + 1 + width);
    if (width > 0 && hex.length === width && /^[0-9a-fA-F]+$/.test(hex)) {
      const code = parseInt(hex, 16);
      if (code > 0x10ffff) {
        return null;
      }
      out += String.fromCodePoint(code);
      i += width;
      continue;
    }
    if (next === 'N' || width > 0) {
      return null;
    }
    // Unknown escapes keep their backslash.
    out += '\\' + next;
  }
  return out;
}

/** Whether `name` can be assigned to in Python. */
export function isPythonName(name: string): boolean {
  NAME.lastIndex = 0;
  const match = NAME.exec(name);
  return match !== null && match[0] === name && !KEYWORDS.has(name);
}
