/**
 * Reading the `params` of a service request: each reader returns the typed
 * value or throws a `ParamError` naming the parameter and what was expected.
 */

/** A parameter is missing or has the wrong type; the message is one line for the frontend. */
export class ParamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ParamError';
  }
}

/** The `params` object of a request. */
export type Params = { [key: string]: unknown };

/** True for a plain JSON object (not an array, not null). */
export function isObject(value: unknown): value is Params {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) {
    return 'null';
  }
  if (Array.isArray(value)) {
    return 'an array';
  }
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

function wrong(name: string, expected: string, value: unknown): ParamError {
  return new ParamError(`parameter '${name}' must be ${expected}, not ${describe(value)}`);
}

/** A required non-empty string. */
export function requireString<P extends Params>(params: P, name: keyof P & string): string {
  const value = params[name];
  if (value === undefined) {
    throw new ParamError(`missing parameter '${name}' (a string)`);
  }
  if (typeof value !== 'string' || value === '') {
    throw wrong(name, 'a non-empty string', value);
  }
  return value;
}

/** An optional string (`undefined` when absent or null). */
export function optionalString<P extends Params>(
  params: P,
  name: keyof P & string
): string | undefined {
  const value = params[name];
  if (value === undefined || value === null) {
    return undefined;
  }
  if (typeof value !== 'string') {
    throw wrong(name, 'a string', value);
  }
  return value;
}

/** An optional finite number (`undefined` when absent or null). */
export function optionalNumber<P extends Params>(
  params: P,
  name: keyof P & string
): number | undefined {
  const value = params[name];
  if (value === undefined || value === null) {
    return undefined;
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw wrong(name, 'a number', value);
  }
  return value;
}

/** An optional boolean (`undefined` when absent or null). */
export function optionalBoolean<P extends Params>(
  params: P,
  name: keyof P & string
): boolean | undefined {
  const value = params[name];
  if (value === undefined || value === null) {
    return undefined;
  }
  if (typeof value !== 'boolean') {
    throw wrong(name, 'true or false', value);
  }
  return value;
}

/** An optional list of strings (`undefined` when absent or null). */
export function optionalStringList<P extends Params>(
  params: P,
  name: keyof P & string
): string[] | undefined {
  const value = params[name];
  if (value === undefined || value === null) {
    return undefined;
  }
  if (!Array.isArray(value) || !value.every(v => typeof v === 'string')) {
    throw wrong(name, 'a list of strings', value);
  }
  return value as string[];
}

/** A required non-empty list of non-empty strings. */
export function requireStringList<P extends Params>(params: P, name: keyof P & string): string[] {
  const value = optionalStringList(params, name);
  if (value === undefined) {
    throw new ParamError(`missing parameter '${name}' (a list of strings)`);
  }
  if (value.length === 0 || value.some(v => v === '')) {
    throw wrong(name, 'a non-empty list of non-empty strings', value);
  }
  return value;
}

/** An optional JSON object (`undefined` when absent or null). */
export function optionalObject<P extends Params>(
  params: P,
  name: keyof P & string
): Params | undefined {
  const value = params[name];
  if (value === undefined || value === null) {
    return undefined;
  }
  if (!isObject(value)) {
    throw wrong(name, 'an object', value);
  }
  return value;
}

/** One of `choices`, or `fallback` when absent. */
export function optionalChoice<T extends string, P extends Params = Params>(
  params: P,
  name: keyof P & string,
  choices: readonly T[],
  fallback: T
): T {
  const value = params[name];
  if (value === undefined || value === null) {
    return fallback;
  }
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    throw wrong(name, `one of ${choices.map(c => `'${c}'`).join(', ')}`, value);
  }
  return value as T;
}
