/**
 * Tokens of the `--where` language (see query-parse.ts for the grammar).
 *
 * Words are names (`lr`, `=lr`, `#loss:min`, `.duration`, `sys/cpu`) and bare values
 * (`completed`, `2025-11-01`); a word that reads entirely as a number is a number. `=`
 * right before a name, where a comparison starts (at the beginning, after `(`, `and`,
 * `or`, `not`), begins a flag name; anywhere else it is the equality operator.
 */

/** Kinds of token. */
export type TokenType = 'word' | 'number' | 'string' | 'op' | '(' | ')' | '[' | ']' | ',' | 'end';

/** One token; `pos` is its 0-based offset in the expression. */
export interface IToken {
  type: TokenType;
  /** The source text (for a quoted string: without the quotes, unescaped). */
  text: string;
  pos: number;
}

/**
 * An error at offset `pos` of an expression (syntax, unknown column, bad value). `expected`
 * says what would have been valid there, if that helps.
 */
export class QuerySyntaxError extends Error {
  readonly pos: number;
  readonly expected: string | null;

  constructor(message: string, pos: number, expected: string | null = null) {
    super(message);
    this.name = 'QuerySyntaxError';
    this.pos = pos;
    this.expected = expected;
  }

  /** `<message> at column <pos + 1>[ (expected <expected>)]`, for one-line reports. */
  describe(): string {
    const hint = this.expected ? ` (expected ${this.expected})` : '';
    return `${this.message} at column ${this.pos + 1}${hint}`;
  }
}

/** Keywords (matched case-insensitively, never as quoted strings). */
export const KEYWORDS = ['and', 'or', 'not', 'in', 'contains', 'is', 'null'] as const;

const WORD_START = /[A-Za-z_#.]/;
const WORD_CHAR = /[A-Za-z0-9_\-./:#@+*]/;
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const OPERATORS = ['<=', '>=', '!=', '<>', '==', '=', '<', '>'];

/** True when `token` is the keyword `keyword`. */
export function isKeyword(token: IToken, keyword: string): boolean {
  return token.type === 'word' && token.text.toLowerCase() === keyword;
}

function startsOperand(previous: IToken | undefined): boolean {
  return (
    previous === undefined ||
    previous.type === '(' ||
    ['and', 'or', 'not'].some(k => isKeyword(previous, k))
  );
}

function readString(text: string, start: number): { value: string; end: number } {
  const quote = text[start];
  let value = '';
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i];
    if (c === quote) {
      return { value, end: i + 1 };
    }
    if (c === '\\' && i + 1 < text.length) {
      const next = text[++i];
      value += next === 'n' ? '\n' : next === 't' ? '\t' : next;
    } else {
      value += c;
    }
  }
  throw new QuerySyntaxError('unterminated string', start);
}

/** The tokens of `text`, ending with an `end` token. Throws `QuerySyntaxError`. */
export function tokenize(text: string): IToken[] {
  const tokens: IToken[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "'" || c === '"') {
      const { value, end } = readString(text, i);
      tokens.push({ type: 'string', text: value, pos: i });
      i = end;
      continue;
    }
    if ('()[],'.includes(c)) {
      tokens.push({ type: c as TokenType, text: c, pos: i });
      i++;
      continue;
    }
    const flagName =
      c === '=' && WORD_START.test(text[i + 1] ?? '') && startsOperand(tokens[tokens.length - 1]);
    const numberStart = /[-+]/.test(c) && /[\d.]/.test(text[i + 1] ?? '');
    if (flagName || numberStart || WORD_START.test(c) || /\d/.test(c)) {
      let end = i + 1;
      while (end < text.length && WORD_CHAR.test(text[end])) {
        end++;
      }
      const word = text.slice(i, end);
      tokens.push({ type: NUMBER.test(word) ? 'number' : 'word', text: word, pos: i });
      i = end;
      continue;
    }
    const op = OPERATORS.find(o => text.startsWith(o, i));
    if (op) {
      tokens.push({ type: 'op', text: op, pos: i });
      i += op.length;
      continue;
    }
    throw new QuerySyntaxError(`unexpected '${c}'`, i);
  }
  tokens.push({ type: 'end', text: '', pos: text.length });
  return tokens;
}
