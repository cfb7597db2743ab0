/**
 * Run labels: the default one (the flags that differ from the notebook's
 * defaults) and `--label` templates with `${flag}` references.
 */
import { UserError } from '../base/errors';
import type { JSONValue } from '../base/json';
import { getOwn } from '../base/own';

/** A flag value as people write it: `0.01`, `adam`, `[64,32]`, `true`. */
export function formatFlagValue(value: JSONValue): string {
  if (typeof value === 'string') {
    return value;
  }
  if (Array.isArray(value)) {
    return `[${value.map(formatFlagValue).join(',')}]`;
  }
  return JSON.stringify(value);
}

function sameValue(a: JSONValue | undefined, b: JSONValue | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** `lr=0.01 layers=[64,32]`: the flags whose values differ from the defaults, in flag order. */
export function defaultLabel(
  flags: Record<string, JSONValue>,
  defaults: Record<string, JSONValue>
): string {
  return Object.entries(flags)
    .filter(([name, value]) => !sameValue(value, getOwn(defaults, name)))
    .map(([name, value]) => `${name}=${formatFlagValue(value)}`)
    .join(' ');
}

/**
 * Expands `${name}` references to flag values; `${default_label}` expands to
 * the default label. An unknown name is an error naming it.
 */
export function expandLabel(
  template: string,
  flags: Record<string, JSONValue>,
  defaults: Record<string, JSONValue>
): string {
  return template.replace(/\$\{([^}]*)\}/g, (_match, rawName: string) => {
    const name = rawName.trim();
    if (name === 'default_label') {
      return defaultLabel(flags, defaults);
    }
    if (!Object.hasOwn(flags, name)) {
      const known = Object.keys(flags).sort();
      throw new UserError(
        `--label refers to unknown flag '${name}'; flags: ${known.length ? known.join(', ') : 'none'}`
      );
    }
    return formatFlagValue(flags[name]);
  });
}
