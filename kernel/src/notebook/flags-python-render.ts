/**
 * Python literals written back: `True`, `None`, `'text'`, `[1, 2]`, `(1,)`, in the style
 * of the literal they replace.
 */

import type { JSONValue } from '../base/json';
import { pythonFloatRepr } from './pyjson';
import type { ILiteral } from './flags-types';

/** Control characters other than tab and \n (\r too: Python reads it as \n): raw strings cannot show them. */
function hasControlChars(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09 && code !== 0x0a) || code === 0x7f) {
      return true;
    }
  }
  return false;
}

function quotePython(value: string, quote: string, raw: boolean): string {
  const triple = quote.length === 3;
  const q = quote[0];
  if (raw) {
    // A raw string cannot hold its quote, a lone trailing backslash or (single-quoted) a
    // newline; otherwise it stays raw.
    const fits =
      !value.includes(triple ? quote : q) &&
      !value.endsWith(q) &&
      !/\\$/.test(value.replace(/\\\\/g, '')) &&
      (triple || !/[\n\r]/.test(value));
    if (fits && !hasControlChars(value)) {
      return 'r' + quote + value + quote;
    }
  }
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    const code = ch.charCodeAt(0);
    if (ch === '\\') {
      out += '\\\\';
    } else if (ch === q && (!triple || value[i + 1] === q || i === value.length - 1)) {
      // In a triple-quoted string only a run of quotes (or one at the end) would close it.
      out += '\\' + q;
    } else if (ch === '\n') {
      out += triple ? '\n' : '\\n';
    } else if (ch === '\r') {
      out += '\\r';
    } else if (ch === '\t') {
      out += triple ? '\t' : '\\t';
    } else if (code < 0x20 || code === 0x7f) {
      out += '\\x' + code.toString(16).padStart(2, '0');
    } else {
      out += ch;
    }
  }
  return quote + out + quote;
}

function renderNumber(value: number, float: boolean): string {
  if (Number.isNaN(value)) {
    return "float('nan')";
  }
  if (!Number.isFinite(value)) {
    return value > 0 ? "float('inf')" : "float('-inf')";
  }
  if (Number.isInteger(value) && !float) {
    return Math.abs(value) < 1e16 ? String(value) : BigInt(value).toString();
  }
  return pythonFloatRepr(value);
}

/**
 * Writes a value as a Python literal (`True`, `None`, `'text'`, `[1, 2]`), like `like`
 * where it fits: strings keep their quotes (and raw / triple-quoted form), floats stay
 * floats (`2.0`), tuples stay tuples. New strings use double quotes.
 */
export function renderPythonValue(value: JSONValue, like: ILiteral | null): string {
  const style = like?.style ?? null;
  if (value === null) {
    return 'None';
  }
  if (typeof value === 'boolean') {
    return value ? 'True' : 'False';
  }
  if (typeof value === 'number') {
    return renderNumber(value, style !== null && style.kind === 'number' && style.float);
  }
  if (typeof value === 'string') {
    return style !== null && style.kind === 'string'
      ? quotePython(value, style.quote, style.raw)
      : quotePython(value, '"', false);
  }
  const itemLike = like?.items?.[0] ?? null;
  if (Array.isArray(value)) {
    const items = value.map(item => renderPythonValue(item, itemLike));
    const bracket = style !== null && style.kind === 'list' ? style.bracket : 'list';
    if (bracket === 'list') {
      return '[' + items.join(', ') + ']';
    }
    const inner = items.length === 1 ? items[0] + ',' : items.join(', ');
    return bracket === 'bare' && items.length > 0 ? inner : '(' + inner + ')';
  }
  const members = Object.entries(value).map(
    ([key, item]) => `${quotePython(key, '"', false)}: ${renderPythonValue(item, null)}`
  );
  return '{' + members.join(', ') + '}';
}
