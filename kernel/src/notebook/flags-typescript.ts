/**
 * Flags of TypeScript / JavaScript cells (tslab, jslab), read with the TypeScript
 * compiler API: top-level `const` / `let` / `var` declarators whose initializer is a
 * literal, and literals written back in the same style.
 */

import * as ts from 'typescript';

import type { JSONValue } from '../base/json';
import type {
  DeclaredName,
  FlagLanguage,
  ICellScan,
  ILiteral,
  ILocatedFlag,
  LiteralStyle
} from './flags-types';

function parseCell(text: string, language: FlagLanguage): ts.SourceFile {
  const kind = language === 'javascript' ? ts.ScriptKind.JS : ts.ScriptKind.TS;
  return ts.createSourceFile('cell.ts', text, ts.ScriptTarget.Latest, true, kind);
}

/**
 * The syntax errors the parser found. `parseDiagnostics` is not in the public typings
 * but has been on every SourceFile since TypeScript 1.x; the public alternative
 * (`program.getSyntacticDiagnostics`) needs a whole Program for one cell.
 */
function parseDiagnostics(sf: ts.SourceFile): readonly ts.Diagnostic[] {
  const diags = (sf as unknown as { parseDiagnostics?: unknown }).parseDiagnostics;
  return Array.isArray(diags) ? (diags as ts.Diagnostic[]) : [];
}

function literal(start: number, end: number, value: JSONValue, style: LiteralStyle): ILiteral {
  return { start, end, value, style, items: null };
}

const NUMBER: LiteralStyle = { kind: 'number', float: false };

/** The literal `node` is, or null when it is any other expression. */
function toLiteral(node: ts.Expression, sf: ts.SourceFile): ILiteral | null {
  if (
    ts.isParenthesizedExpression(node) ||
    ts.isAsExpression(node) ||
    ts.isSatisfiesExpression(node)
  ) {
    // `(1)`, `'adam' as const`, `[1, 2] satisfies number[]`: the literal is inside.
    return toLiteral(node.expression, sf);
  }
  const start = node.getStart(sf);
  const end = node.getEnd();
  if (ts.isNumericLiteral(node)) {
    return literal(start, end, Number(node.text), NUMBER);
  }
  if (ts.isIdentifier(node) && (node.text === 'NaN' || node.text === 'Infinity')) {
    return literal(start, end, Number(node.text), NUMBER);
  }
  if (
    ts.isPrefixUnaryExpression(node) &&
    (node.operator === ts.SyntaxKind.MinusToken || node.operator === ts.SyntaxKind.PlusToken)
  ) {
    const operand = toLiteral(node.operand, sf);
    if (operand === null || operand.style.kind !== 'number' || typeof operand.value !== 'number') {
      return null;
    }
    const value = node.operator === ts.SyntaxKind.MinusToken ? -operand.value : operand.value;
    return literal(start, end, value, NUMBER);
  }
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) {
    return literal(start, end, node.text, { kind: 'string', quote: sf.text[start], raw: false });
  }
  if (node.kind === ts.SyntaxKind.TrueKeyword || node.kind === ts.SyntaxKind.FalseKeyword) {
    return literal(start, end, node.kind === ts.SyntaxKind.TrueKeyword, { kind: 'boolean' });
  }
  if (node.kind === ts.SyntaxKind.NullKeyword) {
    return literal(start, end, null, { kind: 'null' });
  }
  if (ts.isArrayLiteralExpression(node)) {
    const items: ILiteral[] = [];
    for (const element of node.elements) {
      const item = toLiteral(element, sf);
      if (item === null) {
        return null;
      }
      items.push(item);
    }
    const value = items.map(item => item.value);
    return { start, end, value, style: { kind: 'list', bracket: 'list' }, items };
  }
  return null;
}

/** The text of a comment without its delimiters, on one line; null when empty. */
function commentText(text: string, range: ts.CommentRange): string | null {
  const raw = text.slice(range.pos, range.end);
  let body: string;
  if (range.kind === ts.SyntaxKind.SingleLineCommentTrivia) {
    body = raw.replace(/^\/\/+/, '');
  } else {
    body = raw
      .replace(/^\/\*+/, '')
      .replace(/\*+\/$/, '')
      .split(/\r?\n/)
      .map(line => line.replace(/^\s*\*(?!\/)/, '').trim())
      .filter(line => line !== '')
      .join(' ');
  }
  body = body.trim();
  return body === '' ? null : body;
}

/** The comment right after `pos` on the same line (after a `,` or `;` that ends it). */
function trailingComment(text: string, pos: number): string | null {
  let p = pos;
  while (p < text.length && (text[p] === ' ' || text[p] === '\t')) {
    p++;
  }
  if (text[p] === ',' || text[p] === ';') {
    p++;
  }
  const ranges = ts.getTrailingCommentRanges(text, p) ?? [];
  return ranges.length > 0 ? commentText(text, ranges[0]) : null;
}

/**
 * The comment on its own line(s) directly above the node starting at `start`, whose
 * leading trivia begins at `triviaPos`.
 */
function commentAbove(sf: ts.SourceFile, triviaPos: number, start: number): string | null {
  const ranges = ts.getLeadingCommentRanges(sf.text, triviaPos) ?? [];
  const last = ranges[ranges.length - 1];
  if (last === undefined) {
    return null;
  }
  const startLine = sf.getLineAndCharacterOfPosition(start).line;
  const endLine = sf.getLineAndCharacterOfPosition(last.end).line;
  if (endLine !== startLine - 1) {
    return null;
  }
  // The comment must begin its line: not the trailing comment of the line above.
  const begin = sf.getLineAndCharacterOfPosition(last.pos);
  const lineStart = sf.getPositionOfLineAndCharacter(begin.line, 0);
  if (sf.text.slice(lineStart, last.pos).trim() !== '') {
    return null;
  }
  return commentText(sf.text, last);
}

function bindingNames(name: ts.BindingName, out: string[]): void {
  if (ts.isIdentifier(name)) {
    out.push(name.text);
    return;
  }
  for (const element of name.elements) {
    if (!ts.isOmittedExpression(element)) {
      bindingNames(element.name, out);
    }
  }
}

/** Top-level names a statement declares other than by a simple `name = ...` declarator. */
function otherDeclarations(statement: ts.Statement): { name: string; what: string }[] {
  const found: { name: string; what: string }[] = [];
  if (
    (ts.isFunctionDeclaration(statement) ||
      ts.isClassDeclaration(statement) ||
      ts.isEnumDeclaration(statement)) &&
    statement.name !== undefined
  ) {
    const what = ts.isFunctionDeclaration(statement)
      ? 'a function'
      : ts.isClassDeclaration(statement)
        ? 'a class'
        : 'an enum';
    found.push({ name: statement.name.text, what });
  } else if (ts.isImportDeclaration(statement) && statement.importClause !== undefined) {
    const clause = statement.importClause;
    if (clause.name !== undefined) {
      found.push({ name: clause.name.text, what: 'an import' });
    }
    const bindings = clause.namedBindings;
    if (bindings !== undefined && ts.isNamespaceImport(bindings)) {
      found.push({ name: bindings.name.text, what: 'an import' });
    } else if (bindings !== undefined) {
      for (const element of bindings.elements) {
        found.push({ name: element.name.text, what: 'an import' });
      }
    }
  } else if (ts.isImportEqualsDeclaration(statement)) {
    found.push({ name: statement.name.text, what: 'an import' });
  }
  return found;
}

/** Whether a statement overlaps any of the syntax errors (so its meaning is a guess). */
function overlaps(statement: ts.Statement, sf: ts.SourceFile, diags: readonly ts.Diagnostic[]) {
  const start = statement.getStart(sf);
  return diags.some(d => {
    const at = d.start ?? 0;
    return at >= start && at <= statement.getEnd();
  });
}

/**
 * Finds the literal declarations of a TypeScript/JavaScript cell.
 *
 * Statements that overlap a syntax error are left out; the first error is reported in
 * `error` for the caller to raise (tagged flags cells) or ignore (a first cell).
 */
export function scanTypeScriptCell(text: string, language: FlagLanguage): ICellScan {
  const sf = parseCell(text, language);
  const diags = parseDiagnostics(sf);
  const flags: ILocatedFlag[] = [];
  const declared = new Map<string, DeclaredName>();
  for (const statement of sf.statements) {
    if (overlaps(statement, sf, diags)) {
      continue;
    }
    for (const other of otherDeclarations(statement)) {
      declared.set(other.name, { kind: 'other', what: other.what });
    }
    if (!ts.isVariableStatement(statement)) {
      continue;
    }
    const list = statement.declarationList;
    const blockScope = list.flags & ts.NodeFlags.BlockScoped;
    const ambient = statement.modifiers?.some(m => m.kind === ts.SyntaxKind.DeclareKeyword);
    const plain =
      blockScope === 0 || blockScope === ts.NodeFlags.Let || blockScope === ts.NodeFlags.Const;
    list.declarations.forEach((decl, i) => {
      if (!ts.isIdentifier(decl.name)) {
        const names: string[] = [];
        bindingNames(decl.name, names);
        for (const name of names) {
          declared.set(name, { kind: 'other', what: 'a destructuring declaration' });
        }
        return;
      }
      const name = decl.name.text;
      const value = plain && !ambient && decl.initializer ? toLiteral(decl.initializer, sf) : null;
      if (value === null) {
        declared.set(
          name,
          decl.initializer === undefined
            ? { kind: 'uninitialized', at: decl.getEnd() }
            : {
                kind: 'initializer',
                start: decl.initializer.getStart(sf),
                end: decl.initializer.getEnd()
              }
        );
        return;
      }
      if (
        language === 'typescript' &&
        blockScope === ts.NodeFlags.Const &&
        decl.type === undefined &&
        typeof value.value === 'string' &&
        value.start === decl.initializer?.getStart(sf) &&
        value.end === decl.initializer.getEnd()
      ) {
        value.widen = true;
      }
      const last = i === list.declarations.length - 1;
      const description =
        trailingComment(text, last ? statement.getEnd() : decl.getEnd()) ??
        (i === 0
          ? commentAbove(sf, statement.getFullStart(), statement.getStart(sf))
          : commentAbove(sf, decl.getFullStart(), decl.getStart(sf)));
      flags.push({ name, literal: value, description });
      declared.delete(name);
    });
  }
  const first = diags[0];
  const error =
    first === undefined
      ? null
      : {
          line: sf.getLineAndCharacterOfPosition(first.start ?? 0).line + 1,
          message: ts.flattenDiagnosticMessageText(first.messageText, ' ').replace(/\.$/, '')
        };
  return { flags, declared, error };
}

/** Whether `name` can be declared with `let name = ...;`. */
export function isTypeScriptName(name: string): boolean {
  const sf = parseCell(`let ${name} = 0;`, 'typescript');
  if (parseDiagnostics(sf).length > 0 || sf.statements.length !== 1) {
    return false;
  }
  const statement = sf.statements[0];
  if (!ts.isVariableStatement(statement)) {
    return false;
  }
  const decl = statement.declarationList.declarations[0];
  return ts.isIdentifier(decl.name) && decl.name.text === name;
}

function quoteString(value: string, quote: string): string {
  let out = '';
  const chars = Array.from(value);
  chars.forEach((ch, i) => {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '\\') {
      out += '\\\\';
    } else if (quote === '`' && ch === '`') {
      out += '\\`';
    } else if (quote === '`' && ch === '$' && chars[i + 1] === '{') {
      out += '\\$';
    } else if (quote !== '`' && ch === quote) {
      out += '\\' + quote;
    } else if (ch === '\n') {
      out += quote === '`' ? '\n' : '\\n';
    } else if (ch === '\r') {
      out += '\\r';
    } else if (ch === '\t') {
      out += quote === '`' ? '\t' : '\\t';
    } else if (code < 0x20 || code === 0x7f || code === 0x2028 || code === 0x2029) {
      out += code <= 0xff ? '\\x' + code.toString(16).padStart(2, '0') : '\\u' + code.toString(16);
    } else {
      out += ch;
    }
  });
  return quote + out + quote;
}

function renderNumber(value: number): string {
  if (Number.isNaN(value)) {
    return 'NaN';
  }
  if (Object.is(value, -0)) {
    return '-0';
  }
  // String() is the shortest text that reads back as the same double; it also writes
  // `Infinity` and `-Infinity`.
  return String(value);
}

function renderKey(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? key : quoteString(key, "'");
}

/**
 * Writes a value as a TypeScript/JavaScript literal. Strings use the quotes of `like`
 * (a string literal, or the first item of a list literal) and double quotes otherwise.
 */
export function renderTypeScriptValue(value: JSONValue, like: ILiteral | null): string {
  if (like?.widen === true && typeof value === 'string') {
    return `${renderTypeScriptValue(value, { ...like, widen: false })} as string`;
  }
  if (value === null) {
    return 'null';
  }
  if (typeof value === 'boolean') {
    return value ? 'true' : 'false';
  }
  if (typeof value === 'number') {
    return renderNumber(value);
  }
  if (typeof value === 'string') {
    return quoteString(
      value,
      like !== null && like.style.kind === 'string' ? like.style.quote : '"'
    );
  }
  const itemLike = like?.items?.[0] ?? null;
  if (Array.isArray(value)) {
    return '[' + value.map(item => renderTypeScriptValue(item, itemLike)).join(', ') + ']';
  }
  const members = Object.entries(value).map(
    ([key, item]) => `${renderKey(key)}: ${renderTypeScriptValue(item, null)}`
  );
  return members.length === 0 ? '{}' : '{ ' + members.join(', ') + ' }';
}
