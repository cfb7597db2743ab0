/**
 * Flag values from the command line: `NAME=VALUE` arguments, coerced to the flags' types.
 */

import { UserError } from '../base/errors';
import { setOwn } from '../base/own';
import type { JSONValue } from '../base/json';
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
const INTEGER = /^[+-]?(?:\d(?:_?\d)*|0[xXoObB][0-9a-fA-F_]+)$/;

/** What is wrong with `value` as a value of flag `name`, as `'raw' is not …`. */
function invalid(name: string, raw: string, what: string): UserError {
  const flag = name === '' ? '' : ` for flag '${name}'`;
  return new UserError(`invalid value${flag}: '${raw}' is not ${what}`);
}

/**
 * Refuses a number nbx cannot record exactly as the notebook gets it: `inf` and `nan`
 * (run records are JSON, which has neither), an integer beyond ±2^53 (a float keeps only
 * 53 bits: `99999999999999999999999` would run and be recorded as other numbers), and a
 * non-zero number so small that it becomes 0.
 */
function checkRecordable(name: string, raw: string, value: number): void {
  const t = raw.trim();
  if (!Number.isFinite(value)) {
    throw invalid(name, raw, 'a finite number (run records are JSON, which has no inf or nan)');
  }
  if (Number.isInteger(value) && !Number.isSafeInteger(value) && INTEGER.test(t)) {
    throw invalid(name, raw, 'an integer nbx can record exactly (at most ±2^53 - 1)');
  }
  if (value === 0 && /[1-9]/.test(t.split(/[eE]/)[0].replace(/^[+-]?0[xXoObB]/, ''))) {
    throw invalid(name, raw, 'a number nbx can record (it is so small it becomes 0)');
  }
}

/**
 * The number `text` spells (decimal, exponent, `1_000`, `0x1f`), or null; with `words`,
 * `inf` and `nan` are numbers too (to be refused by name). Throws for a number nbx cannot
 * record exactly (`checkRecordable`), naming flag `name`.
 */
function parseNumber(text: string, name: string, words: boolean): number | null {
  const t = text.trim();
  let value: number | null = null;
  const prefixed = PREFIXED.exec(t);
  const special = words ? NON_FINITE.exec(t) : null;
  if (DECIMAL.test(t)) {
    value = Number(t.replace(/_/g, ''));
  } else if (prefixed !== null) {
    const magnitude = Number(prefixed[2].replace(/_/g, ''));
    value = prefixed[1] === '-' ? -magnitude : magnitude;
  } else if (special !== null) {
    value = special[2].toLowerCase() === 'nan' ? NaN : Infinity;
  }
  if (value !== null) {
    checkRecordable(name, text, value);
  }
  return value;
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

function coerceScalar(
  name: string,
  type: 'number' | 'boolean' | 'string',
  text: string
): JSONValue {
  if (type === 'number') {
    const value = parseNumber(text, name, true);
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
      return item.quoted ? item.text : inferValue(item.text, name);
    }
    if (itemType.type === 'list') {
      throw invalid(name, item.text, 'a list');
    }
    if (itemType.type === 'null') {
      return inferValue(item.text, name);
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

/** Why a number is no value of a flag whose default is a Python int, or null. */
function notInteger(value: number): string | null {
  if (!Number.isInteger(value)) {
    return 'a whole number (the default is a Python int)';
  }
  return Number.isSafeInteger(value)
    ? null
    : 'an integer nbx can record exactly (at most ±2^53 - 1)';
}

/** A whole number for a flag whose default is a Python int (`epochs = 3`). */
function coerceInteger(name: string, raw: string): number {
  const value = coerceScalar(name, 'number', raw) as number;
  const why = notInteger(value);
  if (why !== null) {
    throw invalid(name, raw, why);
  }
  return value;
}

/**
 * Checks a value already typed (a sweep's generated value, a JSON batch file's) the way
 * `coerceFlagValue` checks text: a number must be finite, and whole and exact for a
 * Python int flag. Throws a one-line `UserError` naming the flag.
 */
export function checkFlagValue(def: Pick<IFlagDef, 'name' | 'integer'>, value: JSONValue): void {
  if (typeof value !== 'number') {
    return;
  }
  const raw = String(value);
  checkRecordable(def.name, raw, value);
  const why = def.integer === true ? notInteger(value) : null;
  if (why !== null) {
    throw invalid(def.name, raw, why);
  }
}

/**
 * Coerces a command-line value to a flag's type:
 * - number: decimal, exponent, `1_000`, `0x1f`; a whole number when the default is a
 *   Python int; never `inf`, `nan` or another number nbx cannot record exactly (an
 *   integer beyond ±2^53, a non-zero number that would become 0);
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
      return def.integer === true
        ? coerceInteger(def.name, raw)
        : coerceScalar(def.name, 'number', raw);
    case 'boolean':
      return coerceScalar(def.name, def.type, raw);
    case 'string':
      return unquote(raw);
    case 'list':
      return coerceList(def.name, raw, Array.isArray(def.default) ? def.default : []);
    case 'null':
      return inferValue(raw, def.name);
  }
}

/**
 * The value a text most likely means, for flags without a type (forced flags and
 * `None`/`null` defaults): a number, `true`/`false`, `null`/`None`, a `[...]` list (items
 * inferred the same way), a quoted string without its quotes, else the text itself.
 * A number nbx cannot record exactly (`1e999`, see `coerceFlagValue`) is refused with a
 * `UserError` naming flag `name`.
 */
export function inferValue(raw: string, name = ''): JSONValue {
  const t = raw.trim();
  if (isQuoted(raw)) {
    return unquote(raw);
  }
  const number = parseNumber(t, name, false);
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
    let items: RawItem[];
    try {
      items = parseListText(t);
    } catch {
      return raw; // not a list after all: the text itself
    }
    return typeItems(name, items, null);
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
      setOwn(values, name, coerceFlagValue(def, raw));
      continue;
    }
    if (options.force) {
      setOwn(values, name, inferValue(raw, name));
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
    setOwn(out, def.name, def.default);
  }
  return out;
}
