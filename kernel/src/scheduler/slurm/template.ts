/**
 * The batch script sbatch runs: a site template (module loads, environment activation, …)
 * with `{name}` placeholders around the command, as the seed's `template_*.sh` files are.
 *
 * Each placeholder becomes shell words, quoted: a string one word, a list one word per item
 * (`{command}` is the command line). `${…}` is the shell's and left alone; any other
 * `{name}` must be a known placeholder, so a misspelt one is an error, not a silent gap.
 */
import { UserError } from '../../base/errors';
import { getOwn } from '../../base/own';

/** Placeholder values: one shell word, or several (the command line). */
export type TemplateValues = Readonly<Record<string, string | readonly string[]>>;

/** The script when there is no site template: the command replaces the batch shell. */
export const DEFAULT_TEMPLATE = '#!/bin/bash\nexec {command}\n';

/** `${…}` (left alone) or a `{name}` placeholder. */
const PLACEHOLDER = /\$\{[^}]*\}|\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * `template` with its placeholders replaced by `values` (which must hold `command`).
 * `source` names the template in errors (its path, or a setting's name).
 */
export function renderTemplate(
  template: string,
  values: TemplateValues,
  source = 'the Slurm template'
): string {
  let usesCommand = false;
  const script = template.replace(PLACEHOLDER, (match: string, name: string | undefined) => {
    if (name === undefined) {
      return match;
    }
    const value = getOwn(values, name);
    if (value === undefined) {
      const known = Object.keys(values).sort().join(', ');
      throw new UserError(
        `${source}: unknown placeholder {${name}} (known: ${known}; write \${${name}} for a shell variable)`
      );
    }
    usesCommand ||= name === 'command';
    return typeof value === 'string' ? shellQuote(value) : value.map(shellQuote).join(' ');
  });
  if (!usesCommand) {
    throw new UserError(`${source}: no {command} placeholder, so the run would never start`);
  }
  return script;
}

/** `word` as one POSIX shell word: bare when it is safe so, else in single quotes. */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) {
    return word;
  }
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
