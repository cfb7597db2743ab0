/**
 * Flags of Python cells: top-level `name = literal` and `name: type = literal`.
 *
 * The cell is read by the hand-written tokenizer of `flags-python-tokens.ts` (its header
 * says why no library does it). Literals made of numbers, strings, True/False/None, lists
 * and tuples are flags. Anything else on a line makes that line "not a flag", never an
 * error; only text that cannot be tokenized (unterminated strings, unbalanced brackets) is
 * a syntax error.
 */

import type { ICellScan, ILiteral, ILocatedFlag, LiteralStyle } from './flags-types';
import {
  CLOSERS,
  KEYWORDS,
  OPENERS,
  TokenError,
  Tokenizer,
  decodeString
} from './flags-python-tokens';
import type { ILogicalLine, IToken } from './flags-python-tokens';

export { isPythonName } from './flags-python-tokens';
export { renderPythonValue } from './flags-python-render';

/** Parses a literal from a statement's tokens (after `=`). */
class LiteralParser {
  private i: number;

  constructor(
    private readonly tokens: IToken[],
    start: number
  ) {
    this.i = start;
  }

  /** The whole rest of the statement as one literal (a bare tuple allowed), or null. */
  parseAll(): ILiteral | null {
    const first = this.element();
    if (first === null) {
      return null;
    }
    if (this.peek(',')) {
      const items = [first];
      let end = first.end;
      while (this.peek(',')) {
        end = this.tokens[this.i].end;
        this.i++;
        if (this.i >= this.tokens.length) {
          break;
        }
        const item = this.element();
        if (item === null) {
          return null;
        }
        items.push(item);
        end = item.end;
      }
      if (this.i < this.tokens.length) {
        return null;
      }
      return this.list(first.start, end, items, 'bare');
    }
    return this.i === this.tokens.length ? first : null;
  }

  private peek(op: string): boolean {
    const token = this.tokens[this.i];
    return token !== undefined && token.kind === 'op' && token.text === op;
  }

  private list(
    start: number,
    end: number,
    items: ILiteral[],
    bracket: 'list' | 'tuple' | 'bare'
  ): ILiteral {
    const value = items.map(item => item.value);
    return { start, end, value, style: { kind: 'list', bracket }, items };
  }

  /** Items up to the closing bracket (consumed); a trailing comma is allowed. */
  private items(close: string): { items: ILiteral[]; commas: number } | null {
    const items: ILiteral[] = [];
    let commas = 0;
    while (!this.peek(close)) {
      const item = this.element();
      if (item === null) {
        return null;
      }
      items.push(item);
      if (this.peek(',')) {
        this.i++;
        commas++;
      } else if (!this.peek(close)) {
        return null;
      }
    }
    this.i++;
    return { items, commas };
  }

  private element(): ILiteral | null {
    const token = this.tokens[this.i];
    if (token === undefined) {
      return null;
    }
    if (token.kind === 'op' && (token.text === '-' || token.text === '+')) {
      this.i++;
      const operand = this.element();
      if (
        operand === null ||
        operand.style.kind !== 'number' ||
        typeof operand.value !== 'number'
      ) {
        return null;
      }
      const value = token.text === '-' ? -operand.value : operand.value;
      return { ...operand, start: token.start, value };
    }
    if (token.kind === 'number') {
      this.i++;
      if (/[jJ]$/.test(token.text)) {
        return null;
      }
      const digits = token.text.replace(/_/g, '');
      const float = !/^0[xXoObB]/.test(digits) && /[.eE]/.test(digits);
      const style: LiteralStyle = { kind: 'number', float };
      return { start: token.start, end: token.end, value: Number(digits), style, items: null };
    }
    if (token.kind === 'string') {
      return this.strings();
    }
    if (token.kind === 'name') {
      return this.name(token);
    }
    if (token.kind === 'op' && token.text === '[') {
      this.i++;
      const parsed = this.items(']');
      return parsed === null
        ? null
        : this.list(token.start, this.tokens[this.i - 1].end, parsed.items, 'list');
    }
    if (token.kind === 'op' && token.text === '(') {
      this.i++;
      const parsed = this.items(')');
      if (parsed === null) {
        return null;
      }
      if (parsed.items.length === 1 && parsed.commas === 0) {
        return parsed.items[0];
      }
      return this.list(token.start, this.tokens[this.i - 1].end, parsed.items, 'tuple');
    }
    return null;
  }

  private name(token: IToken): ILiteral | null {
    this.i++;
    const at = { start: token.start, end: token.end, items: null };
    if (token.text === 'True' || token.text === 'False') {
      return { ...at, value: token.text === 'True', style: { kind: 'boolean' } };
    }
    if (token.text === 'None') {
      return { ...at, value: null, style: { kind: 'null' } };
    }
    // float('inf'), float('-inf'), float('nan'): how Python spells non-finite numbers.
    const [open, arg, close] = this.tokens.slice(this.i, this.i + 3);
    if (
      token.text === 'float' &&
      open?.text === '(' &&
      arg?.kind === 'string' &&
      close?.kind === 'op' &&
      close.text === ')'
    ) {
      this.i++;
      const literal = this.strings();
      const word = typeof literal?.value === 'string' ? literal.value.trim().toLowerCase() : '';
      const match = /^([+-]?)(inf|infinity|nan)$/.exec(word);
      if (match === null || !this.peek(')')) {
        return null;
      }
      this.i++;
      const value = match[2] === 'nan' ? NaN : match[1] === '-' ? -Infinity : Infinity;
      return { ...at, end: close.end, value, style: { kind: 'number', float: true } };
    }
    return null;
  }

  /** One string token or several adjacent ones (implicit concatenation). */
  private strings(): ILiteral | null {
    let value = '';
    let style: LiteralStyle | null = null;
    const start = this.tokens[this.i].start;
    let end = start;
    while (this.tokens[this.i]?.kind === 'string') {
      const token = this.tokens[this.i];
      this.i++;
      const quoteAt = token.text.search(/['"]/);
      const prefix = token.text.slice(0, quoteAt).toLowerCase();
      if (/[bft]/.test(prefix)) {
        return null;
      }
      const raw = prefix.includes('r');
      const q = token.text[quoteAt];
      const quote =
        token.text.startsWith(q + q + q, quoteAt) && token.text.length - quoteAt >= 6
          ? q + q + q
          : q;
      const decoded = decodeString(token.text.slice(quoteAt + quote.length, -quote.length), raw);
      if (decoded === null) {
        return null;
      }
      value += decoded;
      style ??= { kind: 'string', quote, raw };
      end = token.end;
    }
    return style === null ? null : { start, end, value, style, items: null };
  }
}

/** The text of a `#` comment, without the `#` (and Sphinx's `#:`); null when empty. */
function commentBody(comment: string): string | null {
  const body = comment.replace(/^#+:?/, '').trim();
  return body === '' ? null : body;
}

/** Splits a logical line's tokens into simple statements at top-level `;`. */
function statements(tokens: IToken[]): IToken[][] {
  const out: IToken[][] = [[]];
  let depth = 0;
  for (const token of tokens) {
    if (token.kind === 'op' && OPENERS[token.text] !== undefined) {
      depth++;
    } else if (token.kind === 'op' && CLOSERS.has(token.text)) {
      depth--;
    }
    if (depth === 0 && token.kind === 'op' && token.text === ';') {
      out.push([]);
    } else {
      out[out.length - 1].push(token);
    }
  }
  return out.filter(s => s.length > 0);
}

/** The index of the `=` of `name = ...` or `name: annotation = ...`, or -1. */
function assignmentIndex(tokens: IToken[]): number {
  const target = tokens[0];
  if (target.kind !== 'name' || KEYWORDS.has(target.text) || tokens.length < 3) {
    return -1;
  }
  const second = tokens[1];
  if (second.kind === 'op' && second.text === '=') {
    return 1;
  }
  if (second.kind !== 'op' || second.text !== ':') {
    return -1;
  }
  let depth = 0;
  for (let i = 2; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.kind === 'op' && OPENERS[t.text] !== undefined) {
      depth++;
    } else if (t.kind === 'op' && CLOSERS.has(t.text)) {
      depth--;
    } else if (depth === 0 && t.kind === 'op' && t.text === '=') {
      return i > 2 ? i : -1;
    }
  }
  return -1;
}

/**
 * Finds the literal assignments of a Python cell.
 *
 * Logical lines that cannot be tokenized are skipped (tokenizing restarts on the next
 * physical line); the first such error is reported in `error` for the caller to raise
 * (tagged flags cells) or ignore (a first cell). A cell magic (`%%bash` ...) has no flags.
 */
export function scanPythonCell(text: string): ICellScan {
  const flags: ILocatedFlag[] = [];
  const scan: ICellScan = { flags, declared: new Map(), error: null };
  if (/^\s*%%/.test(text)) {
    return scan;
  }
  const tokenizer = new Tokenizer(text);
  const commentLines = new Map<number, string | null>();
  let pos = 0;
  while (pos < text.length) {
    let line: ILogicalLine;
    try {
      const read = tokenizer.logicalLine(pos);
      line = read.line;
      pos = read.next;
    } catch (err) {
      if (!(err instanceof TokenError)) {
        throw err;
      }
      scan.error ??= { line: err.line + 1, message: err.message };
      // Skip the physical line where the bad logical line starts and carry on.
      pos = tokenizer.nextLineStart(tokenizer.lineOf(pos));
      continue;
    }
    if (line.tokens.length === 0) {
      for (const comment of line.comments) {
        commentLines.set(comment.line, commentBody(comment.text));
      }
      continue;
    }
    if (line.indent !== 0) {
      continue;
    }
    const simple = statements(line.tokens);
    simple.forEach((tokens, index) => {
      const eq = assignmentIndex(tokens);
      const literal = eq < 0 ? null : new LiteralParser(tokens, eq + 1).parseAll();
      if (literal === null) {
        return;
      }
      let description: string | null = null;
      if (index === simple.length - 1) {
        const last = tokens[tokens.length - 1];
        const trailing =
          line.comments.find(c => c.line === line.lastLine && c.start >= last.end) ??
          line.comments.find(c => c.line === line.firstLine);
        description = trailing === undefined ? null : commentBody(trailing.text);
      }
      if (description === null && index === 0) {
        description = commentLines.get(line.firstLine - 1) ?? null;
      }
      flags.push({ name: tokens[0].text, literal, description });
    });
  }
  return scan;
}
