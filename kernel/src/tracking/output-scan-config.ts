/**
 * Output-scalar settings of a notebook, `metadata.nbx.output_scalars`, and the patterns
 * they are made of (see output-scan for what the scanner does with them).
 */
import { UserError } from '../base/errors';
import type { JSONObject, JSONValue } from '../base/json';

/** Where a notebook's output-scalar settings live. */
export const OUTPUT_SCALARS_SETTING = 'metadata.nbx.output_scalars';

/** Guild's key pattern. */
export const KEY_PATTERN = '[_a-zA-Z]\\S*';
/**
 * Guild's number pattern, plus JavaScript's spelling of infinity (`Infinity`, which is what
 * a TypeScript notebook prints).
 */
export const NUM_PATTERN =
  '(?:[-+]?[0-9]*\\.?(?:[0-9]+)?(?:[eE][-+]?[0-9]+)?|[nN][aA][nN]|[-+]?[iI][nN][fF](?:[iI][nN][iI][tT][yY])?)';
/** Guild's step pattern. */
export const STEP_PATTERN = '[0-9]+';

/** The default patterns as regular expressions (documentation, tests; the scanner has them hand-coded). */
export const DEFAULT_PATTERNS = {
  stepSuffix: new RegExp(
    `^${KEY_PATTERN}:\\s+${NUM_PATTERN}\\s+\\((?:step\\s+)?(?<step>${STEP_PATTERN})\\)$`
  ),
  colon: new RegExp(`^(?<key>${KEY_PATTERN}):\\s+(?<value>${NUM_PATTERN})(?:\\s+\\(.*\\))?$`),
  pairs: new RegExp(
    `(?<=^|[\\s,;|()\\[\\]{}])(?<key>[_a-zA-Z][\\w./-]*)=(?<value>${NUM_PATTERN})(?=$|[\\s,;|()\\[\\]{}])`,
    'g'
  ),
  /** `key: value` pairs, on lines `stepSuffix` and `colon` do not match. */
  colonPairs: new RegExp(
    `(?<=^|[\\s,;|()\\[\\]{}])(?<key>[_a-zA-Z][\\w./-]*):\\s+(?<value>${NUM_PATTERN})(?=$|[\\s,;|()\\[\\]{}])`,
    'g'
  )
} as const;

/** One user pattern, compiled. */
export interface IOutputPattern {
  /** The pattern as configured. */
  source: string;
  /** Compiled with the `g` flag, macros expanded. */
  regex: RegExp;
  /** The key of the mapping form (`{ "loss": "regex" }`), else null. */
  key: string | null;
}

/** How a notebook's output is scanned. */
export type OutputScalarsConfig =
  | { mode: 'off' }
  | { mode: 'default' }
  | {
      mode: 'custom';
      /** Applied in order to each line; `'default'` stands for the default patterns. */
      patterns: (IOutputPattern | 'default')[];
    };

/** The default configuration. */
export const DEFAULT_OUTPUT_SCALARS: OutputScalarsConfig = { mode: 'default' };

function settingError(detail: string): UserError {
  return new UserError(`invalid ${OUTPUT_SCALARS_SETTING}: ${detail}`);
}

/** Expands Guild's `\key`, `\value` and `\step` macros. */
function expandMacros(source: string): string {
  return source
    .replace(/\\key/g, KEY_PATTERN)
    .replace(/\\value/g, NUM_PATTERN)
    .replace(/\\step/g, STEP_PATTERN);
}

function compilePattern(source: string, key: string | null): IOutputPattern {
  let regex: RegExp;
  try {
    regex = new RegExp(expandMacros(source), 'g');
  } catch (err) {
    throw settingError(
      `bad regular expression ${JSON.stringify(source)}: ${(err as Error).message}`
    );
  }
  const groups = countGroups(regex);
  const named = groups.named;
  if (key === null) {
    const ok =
      named.has('value') || named.has('step') || (named.size === 0 && groups.unnamed === 2);
    if (!ok) {
      throw settingError(
        `pattern ${JSON.stringify(source)} needs named groups (?<key>…) and (?<value>…), ` +
          'a (?<step>…) group, or two plain groups (key, value)'
      );
    }
    if (named.has('value') && !named.has('key')) {
      throw settingError(
        `pattern ${JSON.stringify(source)} has a (?<value>…) group but no (?<key>…)`
      );
    }
  } else if (!named.has('value') && groups.unnamed < 1) {
    throw settingError(`pattern ${JSON.stringify(source)} for '${key}' captures no value`);
  }
  return { source, regex, key };
}

/** Named group names and the number of unnamed capturing groups of a regex. */
function countGroups(regex: RegExp): { named: Set<string>; unnamed: number } {
  // Matching the empty string against `(?:regex)|` gives an array with one slot per group.
  const m = new RegExp(`${regex.source}|`).exec('') as RegExpExecArray;
  const named = new Set(Object.keys(m.groups ?? {}));
  return { named, unnamed: m.length - 1 - named.size };
}

/**
 * Reads `metadata.nbx.output_scalars` of a notebook's metadata:
 *
 * - absent or `true`: the default patterns;
 * - `false` (or `"off"`): no output scanning;
 * - a list of regular expressions (JavaScript syntax) replacing the defaults; the item
 *   `"default"` inserts the default patterns at its place. In each pattern, the named
 *   groups `(?<key>…)` and `(?<value>…)` give a scalar, `(?<step>…)` sets the step; a
 *   pattern without named groups must have exactly two groups, the key and the value.
 *   A pattern may match several times per line. Guild's macros `\key`, `\value`, `\step`
 *   expand to its key, number and step patterns;
 * - an object mapping a scalar key to a regex whose `(?<value>…)` group (or first group) is
 *   the value (Guild's mapping form); the key `step` sets the step (applied first).
 *
 * Custom patterns do not ignore flag names. Throws a UserError naming the setting when it
 * is malformed.
 */
export function parseOutputScalarsConfig(metadata: JSONObject | undefined): OutputScalarsConfig {
  const nbx = metadata?.nbx;
  if (nbx === undefined || nbx === null) {
    return DEFAULT_OUTPUT_SCALARS;
  }
  if (typeof nbx !== 'object' || Array.isArray(nbx)) {
    throw new UserError('invalid metadata.nbx: expected an object');
  }
  return outputScalarsConfig(nbx.output_scalars);
}

/** The configuration for one `output_scalars` value (see parseOutputScalarsConfig). */
export function outputScalarsConfig(value: JSONValue | undefined): OutputScalarsConfig {
  if (value === undefined || value === null || value === true) {
    return DEFAULT_OUTPUT_SCALARS;
  }
  if (value === false || value === 'off') {
    return { mode: 'off' };
  }
  if (Array.isArray(value)) {
    const patterns = value.map(item => {
      if (item === 'default') {
        return 'default' as const;
      }
      if (typeof item !== 'string') {
        throw settingError(`expected regular expressions (strings), got ${JSON.stringify(item)}`);
      }
      return compilePattern(item, null);
    });
    return { mode: 'custom', patterns };
  }
  if (typeof value === 'object') {
    // The step pattern goes first, so it sets the step of the line's values (as in Guild).
    const entries = Object.entries(value).sort(
      ([a], [b]) => Number(b === 'step') - Number(a === 'step')
    );
    const patterns = entries.map(([key, item]) => {
      if (typeof item !== 'string') {
        throw settingError(`the pattern for '${key}' is not a string`);
      }
      return compilePattern(item, key);
    });
    return { mode: 'custom', patterns };
  }
  throw settingError(
    `expected true, false, a list of regular expressions or an object of them, got ${JSON.stringify(value)}`
  );
}
