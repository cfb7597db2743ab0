/**
 * Parser of the `--where` language:
 *
 *   expr      := or
 *   or        := and ('or' and)*
 *   and       := unary ('and' unary)*
 *   unary     := 'not' unary | '(' or ')' | predicate
 *   predicate := NAME OP value                      OP: = == != <> < <= > >=
 *              | NAME ['not'] 'contains' value
 *              | NAME ['not'] 'in' '[' value (',' value)* ']'
 *              | NAME 'is' ['not'] 'null'
 *   value     := NUMBER | 'quoted' | "quoted" | bare-word
 *
 * Keywords are case-insensitive; `not` binds tighter than `and`, `and` tighter than `or`.
 *
 * Hand-written (recursive descent, ~150 lines) on purpose: the grammar is tiny, and the
 * npm parser generators (nearley, chevrotain, peggy, ohm) would add a build step or a
 * sizeable runtime dependency for it, while none is maintained for this exact language.
 * Writing it by hand also gives the error messages we want: one line, naming the bad
 * token and its column.
 */
import { isKeyword, QuerySyntaxError, tokenize, type IToken } from './query-lex';

/** Comparison operators, normalised (`==` is `=`, `<>` is `!=`). */
export type CompareOp = '=' | '!=' | '<' | '<=' | '>' | '>=';

/** A column reference as written. */
export interface INameRef {
  text: string;
  pos: number;
}

/** A literal as written: `text` is its value (unquoted); `quoted` for '...' strings. */
export interface ILiteral {
  type: 'number' | 'string' | 'word';
  text: string;
  pos: number;
}

/** The parsed expression. */
export type WhereExpr =
  | { type: 'and' | 'or'; left: WhereExpr; right: WhereExpr }
  | { type: 'not'; expr: WhereExpr }
  | { type: 'compare'; name: INameRef; op: CompareOp; value: ILiteral }
  | { type: 'contains'; name: INameRef; value: ILiteral; negate: boolean }
  | { type: 'in'; name: INameRef; values: ILiteral[]; negate: boolean }
  | { type: 'null'; name: INameRef; negate: boolean };

const RESERVED = ['and', 'or', 'not', 'in', 'contains', 'is', 'null'];

function describe(token: IToken): string {
  if (token.type === 'end') {
    return 'end of expression';
  }
  return token.type === 'string' ? `string '${token.text}'` : `'${token.text}'`;
}

class Parser {
  private i = 0;

  constructor(private readonly tokens: IToken[]) {}

  private peek(): IToken {
    return this.tokens[this.i];
  }

  private next(): IToken {
    const token = this.tokens[this.i];
    if (token.type !== 'end') {
      this.i++;
    }
    return token;
  }

  private fail(token: IToken, expected: string): never {
    throw new QuerySyntaxError(`unexpected ${describe(token)}`, token.pos, expected);
  }

  private keyword(word: string): boolean {
    if (isKeyword(this.peek(), word)) {
      this.i++;
      return true;
    }
    return false;
  }

  parse(): WhereExpr {
    const expr = this.or();
    const rest = this.peek();
    if (rest.type !== 'end') {
      this.fail(rest, "'and', 'or' or the end");
    }
    return expr;
  }

  private or(): WhereExpr {
    let left = this.and();
    while (this.keyword('or')) {
      left = { type: 'or', left, right: this.and() };
    }
    return left;
  }

  private and(): WhereExpr {
    let left = this.unary();
    while (this.keyword('and')) {
      left = { type: 'and', left, right: this.unary() };
    }
    return left;
  }

  private unary(): WhereExpr {
    if (this.keyword('not')) {
      return { type: 'not', expr: this.unary() };
    }
    if (this.peek().type === '(') {
      this.next();
      const expr = this.or();
      const close = this.next();
      if (close.type !== ')') {
        this.fail(close, "')'");
      }
      return expr;
    }
    return this.predicate();
  }

  private predicate(): WhereExpr {
    const token = this.next();
    if (token.type !== 'word' || RESERVED.includes(token.text.toLowerCase())) {
      this.fail(token, 'a column name');
    }
    const name: INameRef = { text: token.text, pos: token.pos };
    const op = this.peek();
    if (op.type === 'op') {
      this.next();
      const text = op.text === '==' ? '=' : op.text === '<>' ? '!=' : op.text;
      return { type: 'compare', name, op: text as CompareOp, value: this.value() };
    }
    if (this.keyword('is')) {
      const negate = this.keyword('not');
      const nul = this.next();
      if (!isKeyword(nul, 'null')) {
        this.fail(nul, "'null'");
      }
      return { type: 'null', name, negate };
    }
    const negate = this.keyword('not');
    if (this.keyword('contains')) {
      return { type: 'contains', name, value: this.value(), negate };
    }
    if (this.keyword('in')) {
      return { type: 'in', name, values: this.list(), negate };
    }
    return this.fail(this.peek(), negate ? "'in' or 'contains'" : 'an operator');
  }

  private value(): ILiteral {
    const token = this.next();
    const reserved = token.type === 'word' && RESERVED.includes(token.text.toLowerCase());
    if ((token.type !== 'number' && token.type !== 'string' && token.type !== 'word') || reserved) {
      this.fail(token, 'a value');
    }
    return { type: token.type, text: token.text, pos: token.pos };
  }

  private list(): ILiteral[] {
    const open = this.next();
    if (open.type !== '[') {
      this.fail(open, "'['");
    }
    const values = [this.value()];
    for (;;) {
      const token = this.next();
      if (token.type === ']') {
        return values;
      }
      if (token.type !== ',') {
        this.fail(token, "',' or ']'");
      }
      values.push(this.value());
    }
  }
}

/** Parses a `--where` expression. Throws `QuerySyntaxError` (with the offset of the bad token). */
export function parseWhereExpr(text: string): WhereExpr {
  const tokens = tokenize(text);
  if (tokens.length === 1) {
    throw new QuerySyntaxError('empty expression', 0);
  }
  return new Parser(tokens).parse();
}
