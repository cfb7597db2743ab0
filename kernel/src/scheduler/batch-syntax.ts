/**
 * Sweep syntax of one `NAME=VALUE` assignment: is the value one value, a list of values
 * (a grid dimension), or a distribution to sample (a random-search dimension)?
 *
 * This must run BEFORE the value is coerced to the flag's type: `coerceFlagValue` of a
 * number flag rejects `[0.001,0.01]`. Recognised forms (VALUE after `NAME=`):
 *
 * - `[a,b,c]`: a list; one trial per item for a scalar flag. Items are coerced to the
 *   flag's type one by one. For a list flag (its default is a list) `[64,32]` is ONE
 *   value and a list of lists `[[64,32],[128]]` is the grid (one more level when the
 *   default is itself a list of lists).
 * - `range[START:STOP]`, `range[START:STOP:STEP]`: START, START+STEP, ... up to and
 *   including STOP when a step lands on it (as Guild; never past STOP). STEP defaults to
 *   1, or -1 when STOP < START.
 * - `linspace[START:STOP]`, `linspace[START:STOP:N]`: N evenly spaced values from START
 *   to STOP inclusive (N defaults to 5, as Guild and numpy).
 * - `logspace[START:STOP]`, `logspace[START:STOP:N]`, `logspace[START:STOP:N:BASE]`:
 *   BASE^x for N evenly spaced exponents x from START to STOP (base 10, N 5 by default):
 *   `logspace[-4:-1:4]` is 0.0001, 0.001, 0.01, 0.1.
 * - `uniform[LOW:HIGH]`, `loguniform[LOW:HIGH]` (also `log-uniform`), `int[LOW:HIGH]`
 *   (integers, both ends included), `choice[x,y,z]`: distributions; they make a random
 *   search. `[LOW:HIGH]` without a name is Guild's shorthand: `int` when both bounds are
 *   integers, else `uniform`.
 *
 * A quoted value (`s='[a,b]'`) is always one value. Sequences and distributions other
 * than `choice` give numbers, so they need a number flag (or an untyped one: a `None`
 * default, or a forced flag).
 */

import { UserError } from '../base/errors';
import { checkFlagValue, coerceFlagValue, inferValue } from '../notebook/flags';
import type { IFlagDef } from '../notebook/flags';
import type { JSONValue } from '../base/json';

/** A distribution a random search samples a flag's value from. */
export type Distribution =
  | { type: 'uniform'; low: number; high: number }
  | { type: 'loguniform'; low: number; high: number }
  | { type: 'int'; low: number; high: number }
  | { type: 'choice'; values: JSONValue[] };

/** What one assignment asks for. `source` is the value as typed, trimmed. */
export type FlagDomain =
  | { kind: 'value'; value: JSONValue }
  | { kind: 'values'; values: JSONValue[]; source: string }
  | { kind: 'distribution'; distribution: Distribution; source: string };

/** The most values a sequence (`range`, `linspace`, `logspace`) may expand to. */
export const MAX_SEQUENCE_VALUES = 10000;

/** The function names of the sweep syntax. */
export const SWEEP_FUNCTIONS: readonly string[] = [
  'range',
  'linspace',
  'logspace',
  'uniform',
  'loguniform',
  'int',
  'choice'
];

const FUNCTION = /^([A-Za-z_][\w.-]*)\[([\s\S]*)\]$/;
const INTEGER_TEXT = /^[+-]?\d+$/;

function bad(name: string, text: string, why: string): UserError {
  return new UserError(`invalid value for flag '${name}': '${text}' ${why}`);
}

function isQuoted(text: string): boolean {
  const t = text.trim();
  return t.length >= 2 && (t[0] === '"' || t[0] === "'") && t[t.length - 1] === t[0];
}

/**
 * Splits `text` at `sep` where it is outside brackets and quotes; items are trimmed.
 * `''` gives `[]`. Throws an `Error` (a reason) on an empty item or unbalanced text.
 */
export function splitTopLevel(text: string, sep: string): string[] {
  if (text.trim() === '') {
    return [];
  }
  const items: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let start = 0;
  const push = (end: number): void => {
    const item = text.slice(start, end).trim();
    if (item === '') {
      throw new Error('empty item');
    }
    items.push(item);
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote !== null) {
      if (ch === '\\' && (text[i + 1] === quote || text[i + 1] === '\\')) {
        i++;
      } else if (ch === quote) {
        quote = null;
      }
    } else if (ch === '"' || ch === "'") {
      quote = ch;
    } else if (ch === '[') {
      depth++;
    } else if (ch === ']') {
      depth--;
      if (depth < 0) {
        throw new Error("unexpected ']'");
      }
    } else if (ch === sep && depth === 0) {
      push(i);
      start = i + 1;
    }
  }
  if (quote !== null) {
    throw new Error(`missing closing ${quote}`);
  }
  if (depth > 0) {
    throw new Error("missing ']'");
  }
  push(text.length);
  return items;
}

/** A flag whose values may be numbers: a number flag, an untyped one, or a forced one. */
function takesNumbers(def: IFlagDef | null): boolean {
  return def === null || def.type === 'number' || def.type === 'null';
}

function coerceItem(def: IFlagDef | null, raw: string): JSONValue {
  return def === null ? inferValue(raw) : coerceFlagValue(def, raw);
}

/** The numbers of a function's `:`-separated arguments. */
function numberArgs(name: string, text: string, inner: string): number[] {
  if (inner.trim() === '') {
    return [];
  }
  return inner.split(':').map(arg => {
    const value = inferValue(arg.trim());
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw bad(name, text, `has '${arg.trim()}' where a number belongs`);
    }
    return value;
  });
}

function checkArgCount(
  name: string,
  text: string,
  args: number[],
  min: number,
  max: number,
  usage: string
): void {
  if (args.length < min || args.length > max) {
    throw bad(name, text, `is malformed (use ${usage})`);
  }
}

/** Removes float noise: `0.1 * 3` is 0.3, not 0.30000000000000004. */
function clean(value: number): number {
  return value === 0 ? 0 : Number(value.toPrecision(12));
}

function checkCount(name: string, text: string, count: number): void {
  if (count > MAX_SEQUENCE_VALUES) {
    throw bad(name, text, `makes ${count} values (at most ${MAX_SEQUENCE_VALUES})`);
  }
}

function expandRange(name: string, text: string, args: number[]): number[] {
  checkArgCount(name, text, args, 2, 3, 'range[START:STOP] or range[START:STOP:STEP]');
  const [start, stop] = args;
  const step = args[2] ?? (stop >= start ? 1 : -1);
  if (step === 0) {
    throw bad(name, text, 'has a step of 0');
  }
  if ((stop - start) * step < 0) {
    throw bad(name, text, `is empty (a step of ${step} never reaches ${stop} from ${start})`);
  }
  const count = Math.floor((stop - start) / step + 1e-9) + 1;
  checkCount(name, text, count);
  return Array.from({ length: count }, (_, i) => clean(start + i * step));
}

function positiveCount(name: string, text: string, count: number): number {
  if (!Number.isInteger(count) || count < 1) {
    throw bad(name, text, `has a count of ${count} (it must be a positive integer)`);
  }
  checkCount(name, text, count);
  return count;
}

function spaced(start: number, stop: number, count: number): number[] {
  if (count === 1) {
    return [start];
  }
  const step = (stop - start) / (count - 1);
  return Array.from({ length: count }, (_, i) => (i === count - 1 ? stop : start + i * step));
}

function expandLinspace(name: string, text: string, args: number[]): number[] {
  checkArgCount(name, text, args, 2, 3, 'linspace[START:STOP] or linspace[START:STOP:N]');
  const count = positiveCount(name, text, args[2] ?? 5);
  return spaced(args[0], args[1], count).map(clean);
}

function expandLogspace(name: string, text: string, args: number[]): number[] {
  checkArgCount(name, text, args, 2, 4, 'logspace[START:STOP:N] or logspace[START:STOP:N:BASE]');
  const count = positiveCount(name, text, args[2] ?? 5);
  const base = args[3] ?? 10;
  if (base <= 0 || base === 1) {
    throw bad(name, text, `has a base of ${base} (it must be positive and not 1)`);
  }
  return spaced(args[0], args[1], count).map(x => clean(base ** x));
}

function bounds(
  name: string,
  text: string,
  fn: 'uniform' | 'loguniform' | 'int',
  args: number[]
): Distribution {
  checkArgCount(name, text, args, 2, 2, `${fn}[LOW:HIGH]`);
  const [low, high] = args;
  if (fn === 'int' && !(Number.isSafeInteger(low) && Number.isSafeInteger(high))) {
    throw bad(name, text, 'needs integer bounds');
  }
  if (fn === 'loguniform' && low <= 0) {
    throw bad(name, text, 'needs bounds above 0');
  }
  if (low >= high) {
    throw bad(name, text, `needs LOW < HIGH (got ${low} and ${high})`);
  }
  return { type: fn, low, high };
}

function listItems(name: string, text: string, inner: string): string[] {
  try {
    return splitTopLevel(inner, ',');
  } catch (err) {
    throw bad(name, text, `is not a list (${(err as Error).message})`);
  }
}

/** A named function value, or null when `fn` is not one of the sweep functions. */
function parseFunction(
  def: IFlagDef | null,
  name: string,
  text: string,
  fn: string,
  inner: string
): FlagDomain | null {
  const canonical = fn === 'log-uniform' ? 'loguniform' : fn;
  if (!SWEEP_FUNCTIONS.includes(canonical)) {
    return null;
  }
  if (canonical === 'choice') {
    const items = listItems(name, text, inner);
    if (items.length === 0) {
      throw bad(name, text, 'is an empty choice');
    }
    const values = items.map(item => coerceItem(def, item));
    return { kind: 'distribution', distribution: { type: 'choice', values }, source: text };
  }
  if (!takesNumbers(def)) {
    throw bad(name, text, `gives numbers, but flag '${name}' is a ${def?.type} flag`);
  }
  const args = numberArgs(name, text, inner);
  switch (canonical) {
    case 'range':
      return { kind: 'values', values: expandRange(name, text, args), source: text };
    case 'linspace':
      return { kind: 'values', values: expandLinspace(name, text, args), source: text };
    case 'logspace':
      return { kind: 'values', values: expandLogspace(name, text, args), source: text };
    default: {
      const fnName = canonical as 'uniform' | 'loguniform' | 'int';
      const distribution = bounds(name, text, fnName, args);
      return { kind: 'distribution', distribution, source: text };
    }
  }
}

/** Guild's `[LOW:HIGH]`: two numbers and one top-level colon, no comma. */
function anonymousBounds(inner: string): { low: string; high: string } | null {
  if (/[,[\]'"]/.test(inner)) {
    return null;
  }
  const parts = inner.split(':').map(part => part.trim());
  if (parts.length !== 2 || parts.some(part => typeof inferValue(part) !== 'number')) {
    return null;
  }
  return { low: parts[0], high: parts[1] };
}

/** True when every item is written as a list, `levels` deep (1: `[..]`, 2: `[[..]]`). */
function allLists(name: string, text: string, items: string[], levels: number): boolean {
  return items.every(item => {
    if (!(item.startsWith('[') && item.endsWith(']'))) {
      return false;
    }
    return (
      levels <= 1 || allLists(name, text, listItems(name, text, item.slice(1, -1)), levels - 1)
    );
  });
}

/** How deep a list flag's default nests lists in lists (0 for `[1, 2]` or `[]`). */
function nesting(value: JSONValue): number {
  if (!Array.isArray(value) || value.length === 0 || !value.every(Array.isArray)) {
    return 0;
  }
  return 1 + Math.min(...value.map(nesting));
}

/** A `[...]` value: a grid dimension, one (list) value, or Guild's `[LOW:HIGH]`. */
function parseBracketed(def: IFlagDef | null, name: string, text: string, raw: string): FlagDomain {
  const inner = text.slice(1, -1);
  if (takesNumbers(def)) {
    const anonymous = anonymousBounds(inner);
    if (anonymous !== null) {
      const integers = INTEGER_TEXT.test(anonymous.low) && INTEGER_TEXT.test(anonymous.high);
      const args = numberArgs(name, text, inner);
      const distribution = bounds(name, text, integers ? 'int' : 'uniform', args);
      return { kind: 'distribution', distribution, source: text };
    }
  }
  const items = listItems(name, text, inner);
  if (def !== null && def.type === 'list') {
    const levels = nesting(def.default) + 1;
    if (items.length === 0 || !allLists(name, text, items, levels)) {
      return { kind: 'value', value: coerceFlagValue(def, raw) };
    }
  } else if (items.length === 0) {
    throw bad(name, text, 'is an empty list (a list makes one trial per item)');
  }
  return { kind: 'values', values: items.map(item => coerceItem(def, item)), source: text };
}

/**
 * Reads one assignment's value. `def` is the flag, or null for a flag the notebook does
 * not declare (forced with `--force-flags`: values are inferred from the text).
 *
 * Throws a one-line `UserError` for an empty list, malformed or empty sequences, bad
 * bounds (`uniform[b:a]`, `loguniform[0:1]`, `int[1.5:3]`), a sequence or a numeric
 * distribution on a flag that is not a number, an unknown function on a number or
 * boolean flag (`unifrom[0:1]`), and values that do not coerce to the flag's type.
 */
export function parseFlagDomain(def: IFlagDef | null, name: string, raw: string): FlagDomain {
  const domain = parseDomain(def, name, raw);
  const check = (value: JSONValue): void => checkFlagValue(def ?? { name }, value);
  if (domain.kind === 'values') {
    domain.values.forEach(check);
  } else if (domain.kind === 'distribution') {
    const type = domain.distribution.type;
    if (type === 'choice') {
      domain.distribution.values.forEach(check);
    } else if (def?.integer === true && type !== 'int') {
      throw bad(
        name,
        domain.source,
        'gives fractions, but the default is a Python int (use int[LOW:HIGH])'
      );
    }
  }
  return domain;
}

function parseDomain(def: IFlagDef | null, name: string, raw: string): FlagDomain {
  const text = raw.trim();
  if (isQuoted(text)) {
    return { kind: 'value', value: coerceItem(def, raw) };
  }
  const fn = FUNCTION.exec(text);
  if (fn !== null) {
    const parsed = parseFunction(def, name, text, fn[1], fn[2]);
    if (parsed !== null) {
      return parsed;
    }
    if (def !== null && (def.type === 'number' || def.type === 'boolean')) {
      throw bad(
        name,
        text,
        `uses an unknown function '${fn[1]}' (known: ${SWEEP_FUNCTIONS.join(', ')})`
      );
    }
  }
  if (text.startsWith('[') && text.endsWith(']')) {
    return parseBracketed(def, name, text, raw);
  }
  return { kind: 'value', value: coerceItem(def, raw) };
}
