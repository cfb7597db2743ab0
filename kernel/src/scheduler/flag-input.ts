/**
 * A flag's value in a launch request, typed: text as a person typed it (`nbx run lr=0.01`,
 * the dialog's fields), one JSON value, or JSON values to sweep over (`nbx.sweep`'s
 * arrays). What each makes of a flag — one value, several, a distribution — and the one
 * rule for whether a request may be a sweep.
 */
import { UserError } from '../base/errors';
import { checkFlagValue, type IFlagDef } from '../notebook/flags';
import type { JSONValue } from '../base/json';
import { jsonFlagValue } from './batch-file';
import { parseFlagDomain, type FlagDomain } from './batch-syntax';

/** One flag of a request, by how its value was given. */
export type FlagAssignment =
  /** As typed: coerced to the flag's type; `[a,b]`, `range[..]`, `uniform[..]` make a sweep. */
  | { name: string; raw: string }
  /** One value, already typed (checked against the flag's type, coerced only from text). */
  | { name: string; value: JSONValue }
  /** Values to sweep over, one trial each (a grid with the other lists). */
  | { name: string; values: JSONValue[] };

/** True for an assignment given as text. */
export function isText(a: FlagAssignment): a is { name: string; raw: string } {
  return 'raw' in a;
}

/** A value that starts a list or a sweep function (`[..]`, `range[..]`, `uniform[..]`). */
const SWEEP_TEXT = /^\s*[A-Za-z_.-]*\[/;

/**
 * True when the assignment may make several trials: the one "is this a sweep?" test.
 * A false answer lets a plain run start its kernel before the flags are parsed.
 */
export function maySweep(a: FlagAssignment): boolean {
  return 'values' in a || ('raw' in a && SWEEP_TEXT.test(a.raw));
}

/** `lr=0.01`, `lr=[0.001,0.01]`: the assignment as `nbx run` takes it (labels, records). */
export function assignmentText(a: FlagAssignment): string {
  if ('raw' in a) {
    return `${a.name}=${a.raw}`;
  }
  return `${a.name}=${JSON.stringify('value' in a ? a.value : a.values)}`;
}

/** A typed value for flag `def` (null: undeclared, forced), checked as a JSON batch file's. */
function typedValue(def: IFlagDef | null, name: string, value: JSONValue): JSONValue {
  if (def === null) {
    checkFlagValue({ name }, value);
    return value;
  }
  return jsonFlagValue(def, value);
}

/**
 * What the assignment makes of flag `def` (null for a flag the notebook does not declare,
 * forced). Throws a one-line `UserError` for a value that is not the flag's, an empty
 * sweep, and a list flag given values that are not lists.
 */
export function assignmentDomain(def: IFlagDef | null, a: FlagAssignment): FlagDomain {
  if ('raw' in a) {
    return parseFlagDomain(def, a.name, a.raw);
  }
  if ('value' in a) {
    return { kind: 'value', value: typedValue(def, a.name, a.value) };
  }
  if (a.values.length === 0) {
    throw new UserError(
      `flag '${a.name}' has an empty array: an array is a sweep over its values, and there are none`
    );
  }
  if (def?.type === 'list' && !a.values.every(Array.isArray)) {
    const example = JSON.stringify(a.values);
    throw new UserError(
      `flag '${a.name}' is a list flag, and an array in nbx.sweep is always a sweep over ` +
        `values: give ${a.name}: [${example}] for the one value ${example}, or an array of ` +
        `lists to sweep over (${a.name}: [[64, 32], [128]] is two trials)`
    );
  }
  return {
    kind: 'values',
    values: a.values.map(v => typedValue(def, a.name, v)),
    source: JSON.stringify(a.values)
  };
}
