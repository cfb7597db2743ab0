/**
 * Flag values from the command line: `NAME=VALUE` arguments, coerced to the flags' types.
 */

import { UserError } from '../errors';
import type { JSONValue } from './nbformat';
import type { FlagType, IFlagDef } from './flags-types';

const ASSIGNMENT_NAME = /^[\p{L}_$][\p{L}\p{N}_$]*$/u;

/**
 * Splits `NAME=VALUE` arguments (at the first `=`). The value is kept as typed; it is
 * coerced later, once the flag's type is known. Throws a `UserError` on an argument
 * without `=` or with a name that is not an identifier.
 */
export function parseAssignments(args: readonly string[]): { name: string; raw: string }[] {
  return args.map(arg => {
    const eq = arg.indexOf('=');
    const name = eq < 0 ? '' : arg.slice(0, eq).trim();
    if (!ASSIGNMENT_NAME.test(name)) {
      throw new UserError(`expected NAME=VALUE, got '${arg}'`);
    }
    return { name, raw: arg.slice(eq + 1) };
  });
}

const DECIMAL = /^[+-]?(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d+)?$/;
const PREFIXED =
  /^([+-]?)(0[xX][0-9a-fA-F](?:_?[0-9a-fA-F])*|0[oO][0-7](?:_?[0-7])*|0[bB][01](?:_?[01])*)$/;
const NON_FINITE = /^([+-]?)(inf|infinity|nan)$/i;

/** The number `text` spells (decimal, exponent, `1_000`, `0x1f`, `inf`, `nan`), or null. */
function parseNumber(text: string, nonFinite: boolean): number | null {
  const t = text.trim();
  if (DECIMAL.test(t)) {
    return Number(t.replace(/_/g, ''));
  }
  const prefixed = PREFIXED.exec(t);
  if (prefixed !== null) {
    const value = Number(prefixed[2].replace(/_/g, ''));
    return prefixed[1] === '-' ? -value : value;
  }
  const special = nonFinite ? NON_FINITE.exec(t) : null;
  if (special !== null) {
    if (special[2].toLowerCase() === 'nan') {
      return NaN;
    }
    return special[1] === '-' ? -Infinity : Infinity;
  }
  return null;
}

const TRUE_WORDS = new Set(['true', 'yes', '1']);
const FALSE_WORDS = new Set(['false', 'no', '0']);

/** `"text"` or `'text'` without its quotes; other text as it is. */
function unquote(text: string): string {
  const t = text.trim();
  if (t.length >= 2 && (t[0] === '"' || t[0] === "'") && t[t.length - 1] === t[0]) {
    return t.slice(1, -1);
  }
  return text;
}

function isQuoted(text: string): boolean {
  return unquote(text) !== text;
}

/** An item of a list typed on the command line, before typing. */
type RawItem =
  | { kind: 'text'; text: string; quoted: boolean }
  | { kind: 'list'; items: RawItem[]; source: string };

/** Parses `[a, 'b', [1, 2]]` (JSON-ish or YAML-ish flow lists). Throws a reason string. */
function parseListText(text: string): RawItem[] {
  let p = 0;
  const skip = (): void => {
    while (p < text.length && /\s/.test(text[p])) {
      p++;
    }
  };
  const item = (): RawItem => {
    skip();
    const ch = text[p];
    if (ch === '[') {
      return list();
    }
    if (ch === '"' || ch === "'") {
      let out = '';
      p++;
      while (p < text.length && text[p] !== ch) {
        if (text[p] === '\\' && (text[p + 1] === ch || text[p + 1] === '\\')) {
          p++;
        }
        out += text[p];
        p++;
      }
      if (p >= text.length) {
        throw new Error(`missing closing ${ch}`);
      }
      p++;
      return { kind: 'text', text: out, quoted: true };
    }
    const start = p;
    while (p < text.length && !',[]'.includes(text[p])) {
      p++;
    }
    const bare = text.slice(start, p).trim();
    if (bare === '') {
      throw new Error(text[p] === '[' ? `unexpected '['` : 'empty item');
    }
    return { kind: 'text', text: bare, quoted: false };
  };
  const list = (): RawItem => {
    const start = p;
    p++;
    const items: RawItem[] = [];
    skip();
    while (text[p] !== ']') {
      if (p >= text.length) {
        throw new Error("missing ']'");
      }
      items.push(item());
      skip();
      if (text[p] === ',') {
        p++;
        skip();
      } else if (text[p] !== ']') {
        throw new Error(p >= text.length ? "missing ']'" : `unexpected '${text[p]}'`);
      }
    }
    p++;
    return { kind: 'list', items, source: text.slice(start, p) };
  };
  skip();
  const top = list();
  skip();
  if (p < text.length) {
    throw new Error(`unexpected '${text[p]}' after ']'`);
  }
  return top.kind === 'list' ? top.items : [];
}

/** The type a default value gives a flag. */
export function typeOfValue(value: JSONValue): FlagType {
  if (value === null) {
    return 'null';
  }
  if (Array.isArray(value)) {
    return 'list';
  }
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') {
    return typeof value as FlagType;
  }
  return 'null';
}

/** The common type of a default list's items (and their own items), or null to infer. */
function itemTypeOf(items: JSONValue[]): { type: FlagType; items: JSONValue[] } | null {
  const types = new Set(items.map(typeOfValue));
  if (types.size !== 1) {
    return null;
  }
  const [type] = types;
  if (type === 'null') {
    return null;
  }
  return { type, items: type === 'list' ? items.flat() : [] };
}

function invalid(name: string, raw: string, what: string): UserError {
  return new UserError(`invalid value for flag '${name}': '${raw}' is not ${what}`);
}

function coerceScalar(
  name: string,
  type: 'number' | 'boolean' | 'string',
  text: string
): JSONValue {
  if (type === 'number') {
    const value = parseNumber(text, true);
    if (value === null) {
      throw invalid(name, text, 'a number');
    }
    return value;
  }
  if (type === 'boolean') {
    const word = text.trim().toLowerCase();
    if (TRUE_WORDS.has(word)) {
      return true;
    }
    if (FALSE_WORDS.has(word)) {
      return false;
    }
    throw new UserError(
      `invalid value for flag '${name}': '${text}' is not a boolean (use true/false, yes/no or 1/0)`
    );
  }
  return text;
}

function typeItems(
  name: string,
  items: RawItem[],
  itemType: ReturnType<typeof itemTypeOf>
): JSONValue[] {
  return items.map(item => {
    if (item.kind === 'list') {
      if (itemType !== null && itemType.type !== 'list') {
        throw invalid(name, item.source, `a ${itemType.type}`);
      }
      return typeItems(name, item.items, itemType === null ? null : itemTypeOf(itemType.items));
    }
    if (itemType === null) {
      return item.quoted ? item.text : inferValue(item.text);
    }
    if (itemType.type === 'list') {
      throw invalid(name, item.text, 'a list');
    }
    if (itemType.type === 'null') {
      return inferValue(item.text);
    }
    return coerceScalar(name, itemType.type, item.text);
  });
}

function coerceList(name: string, raw: string, itemDefaults: JSONValue[]): JSONValue[] {
  const trimmed = raw.trim();
  // Without brackets, a comma-separated value (`64,32`) or a single item.
  const text = trimmed.startsWith('[') ? trimmed : `[${trimmed}]`;
  let items: RawItem[];
  try {
    items = parseListText(text);
  } catch (err) {
    throw new UserError(
      `invalid value for flag '${name}': '${raw}' is not a list (${(err as Error).message})`
    );
  }
  return typeItems(name, items, itemTypeOf(itemDefaults));
}

/**
 * Coerces a command-line value to a flag's type:
 * - number: decimal, exponent, `1_000`, `0x1f`, `inf`, `nan`;
 * - boolean: true/false, yes/no, 1/0 (any case);
 * - string: as typed, without surrounding quotes when the whole value is quoted;
 * - list: `[64,32]`, `[a, 'b c']` or `64,32`, items typed like the default's items when
 *   those share one type;
 * - null (a `None`/`null` default): inferred from the text (`inferValue`).
 *
 * Throws a `UserError` such as `invalid value for flag 'lr': 'abc' is not a number`.
 */
export function coerceFlagValue(def: IFlagDef, raw: string): JSONValue {
  switch (def.type) {
    case 'number':
    case 'boolean':
      return coerceScalar(def.name, def.type, raw);
    case 'string':
      return unquote(raw);
    case 'list':
      return coerceList(def.name, raw, Array.isArray(def.default) ? def.default : []);
    case 'null':
      return inferValue(raw);
  }
}

/**
 * The value a text most likely means, for flags without a type (forced flags and
 * `None`/`null` defaults): a number, `true`/`false`, `null`/`None`, a `[...]` list (items
 * inferred the same way), a quoted string without its quotes, else the text itself.
 */
export function inferValue(raw: string): JSONValue {
  const t = raw.trim();
  if (isQuoted(raw)) {
    return unquote(raw);
  }
  const number = parseNumber(t, false);
  if (number !== null && t !== '') {
    return number;
  }
  const word = t.toLowerCase();
  if (word === 'true' || word === 'false') {
    return word === 'true';
  }
  if (word === 'null' || word === 'none') {
    return null;
  }
  if (t.startsWith('[') && t.endsWith(']')) {
    try {
      return typeItems('', parseListText(t), null);
    } catch {
      return raw;
    }
  }
  return raw;
}

/** Edit distance (insertions, deletions, substitutions, transpositions). */
function distance(a: string, b: string): number {
  const d: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    d.push([i]);
  }
  for (let j = 1; j <= b.length; j++) {
    d[0][j] = j;
  }
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

/** The known name closest to `name`, when it is close enough to be a typo of it. */
function closest(name: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = distance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  const limit = Math.max(1, Math.floor(name.length / 3));
  return bestDistance <= limit ? best : null;
}

/**
 * The values of the given flags, each coerced to its flag's type; later assignments of
 * the same name win. Only the assigned flags are in the result (see `flagDefaults`).
 *
 * A name that is not a flag is a `UserError` naming it and listing the flags, e.g.
 * `unknown flag 'lrr' for train.ipynb; flags: epochs, layers, lr (or use --force-flags);
 * did you mean 'lr'?` — unless `force`, in which case its value is inferred from the text.
 * `notebook` names the notebook in that message.
 */
export function resolveFlagValues(
  defs: readonly IFlagDef[],
  assignments: readonly { name: string; raw: string }[],
  options: { force: boolean; notebook?: string }
): Record<string, JSONValue> {
  const byName = new Map(defs.map(def => [def.name, def]));
  const values: Record<string, JSONValue> = {};
  for (const { name, raw } of assignments) {
    const def = byName.get(name);
    if (def !== undefined) {
      values[name] = coerceFlagValue(def, raw);
      continue;
    }
    if (options.force) {
      values[name] = inferValue(raw);
      continue;
    }
    const known = [...byName.keys()].sort();
    const where = options.notebook === undefined ? '' : ` for ${options.notebook}`;
    const list =
      known.length === 0
        ? 'it has no flags (tag a code cell "parameters" to declare some, or use --force-flags)'
        : `flags: ${known.join(', ')} (or use --force-flags)`;
    const guess = closest(name, known);
    const hint = guess === null ? '' : `; did you mean '${guess}'?`;
    throw new UserError(`unknown flag '${name}'${where}; ${list}${hint}`);
  }
  return values;
}

/** The flags' defaults by name (the last literal of a name wins, as in the cell). */
export function flagDefaults(defs: readonly IFlagDef[]): Record<string, JSONValue> {
  const out: Record<string, JSONValue> = {};
  for (const def of defs) {
    out[def.name] = def.default;
  }
  return out;
}
