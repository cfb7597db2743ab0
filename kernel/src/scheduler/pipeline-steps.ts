/**
 * A pipeline's steps as written in nbx.json, made into what each step runs: its notebook,
 * its flags (the pipeline's flags substituted for `${name}`, flags forced from the command
 * line added), its link name. Steps follow Guild's step semantics (see the Guild
 * `steps` tests): a string `"train.ipynb lr=${lr}"` or an object `{ run, name, flags }`;
 * run options written in a step are ignored with a warning, `--needed` excepted.
 */
import * as path from 'path';
import { UserError } from '../base/errors';
import type { JSONValue } from '../base/json';

/** One step, ready to launch. */
export interface IPipelineStep {
  /** The step's name: `name`, else its notebook's stem. */
  name: string;
  /** The notebook as written (relative to the project file's directory). */
  notebook: string;
  /** Flag assignments as text, `${flag}` substituted. */
  flags: { name: string; raw: string }[];
  /** Reuse an identical completed run (`--needed` in the step). */
  needed: boolean;
  /** One line per run option written in the step and ignored. */
  warnings: string[];
}

/** `nbx run` options that take a value (a step skips the value with the option). */
const VALUE_OPTIONS = new Set([
  '-k',
  '--kernel',
  '--gpus',
  '--timeout',
  '-l',
  '--label',
  '-t',
  '--tag',
  '--max-trials',
  '--seed',
  '--batch-file',
  '--parallel',
  '--gpus-per-trial',
  '--objective'
]);

/** Step data as the seed's messages show it: `[1, 2, 3]`, `{"run": "   "}`, `null`. */
export function formatStepData(data: JSONValue): string {
  if (Array.isArray(data)) {
    return `[${data.map(formatStepData).join(', ')}]`;
  }
  if (data !== null && typeof data === 'object') {
    const entries = Object.entries(data).map(
      ([k, v]) => `${JSON.stringify(k)}: ${formatStepData(v)}`
    );
    return `{${entries.join(', ')}}`;
  }
  return JSON.stringify(data);
}

/** Splits a step string into words as a shell would: blanks separate, quotes group. */
function splitWords(text: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  let quote: string | null = null;
  for (const ch of text) {
    if (quote !== null) {
      if (ch === quote) {
        quote = null;
      } else {
        word += ch;
      }
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      word ??= '';
    } else if (/\s/.test(ch)) {
      if (word !== null) {
        words.push(word);
        word = null;
      }
    } else {
      word = (word ?? '') + ch;
    }
  }
  if (quote !== null) {
    throw new UserError(`unterminated ${quote} in step '${text}'`);
  }
  if (word !== null) {
    words.push(word);
  }
  return words;
}

/** A flag's value as text for a step's assignment (strings as they are). */
export function flagText(value: JSONValue): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** `raw` with each `${flag}` replaced by the pipeline's value of that flag. */
function substitute(raw: string, flags: Record<string, JSONValue>, step: string): string {
  return raw.replace(/\$\{([^}]*)\}/g, (_, name: string) => {
    if (!Object.prototype.hasOwnProperty.call(flags, name)) {
      throw new UserError(`invalid step ${step}: no pipeline flag '${name}' for \${${name}}`);
    }
    return flagText(flags[name]);
  });
}

/**
 * The step `data` (one item of a pipeline's `steps`) with the pipeline's flag values
 * substituted. Throws a `UserError` in the seed's words for data that is not a step.
 */
export function parseStep(data: JSONValue, flags: Record<string, JSONValue>): IPipelineStep {
  let words: string[];
  let name: string | null = null;
  let objectFlags: [string, JSONValue][] = [];
  let needed = false;
  const shown = formatStepData(data);
  if (typeof data === 'string') {
    words = splitWords(data);
  } else if (data !== null && typeof data === 'object' && !Array.isArray(data)) {
    const run = data.run;
    if (typeof run !== 'string' || run.trim() === '') {
      throw new UserError(`invalid step ${shown}: must define run`);
    }
    words = splitWords(run);
    if (data.name !== undefined) {
      if (typeof data.name !== 'string' || !/^[\w.-]+$/.test(data.name)) {
        throw new UserError(`invalid step ${shown}: name must be a file name`);
      }
      name = data.name;
    }
    if (data.flags !== undefined) {
      if (data.flags === null || typeof data.flags !== 'object' || Array.isArray(data.flags)) {
        throw new UserError(`invalid step ${shown}: flags must be an object`);
      }
      objectFlags = Object.entries(data.flags);
    }
    needed = data.needed === true;
  } else {
    throw new UserError(`invalid step data: ${shown}`);
  }
  if (words.length === 0) {
    throw new UserError(`invalid step ${shown}: must define run`);
  }
  const [notebook, ...rest] = words;
  const step: IPipelineStep = {
    name: name ?? path.basename(notebook).replace(/\.ipynb$/, ''),
    notebook,
    flags: [],
    needed,
    warnings: []
  };
  const written = typeof data === 'string' ? data : String((data as { run: string }).run);
  for (let i = 0; i < rest.length; i++) {
    const word = rest[i];
    if (word.startsWith('-')) {
      const option = word.split('=')[0];
      if (option === '--needed') {
        step.needed = true;
        continue;
      }
      if (VALUE_OPTIONS.has(option) && !word.includes('=')) {
        i++;
      }
      step.warnings.push(`run option ${option} used in '${written}' ignored`);
      continue;
    }
    const eq = word.indexOf('=');
    if (eq <= 0) {
      throw new UserError(`invalid step ${shown}: expected FLAG=VALUE, got '${word}'`);
    }
    step.flags.push({ name: word.slice(0, eq), raw: substitute(word.slice(eq + 1), flags, shown) });
  }
  for (const [flag, value] of objectFlags) {
    const raw = typeof value === 'string' ? substitute(value, flags, shown) : JSON.stringify(value);
    step.flags.push({ name: flag, raw });
  }
  return step;
}

/** Link names for steps named `names`, in order: repeats get `_2`, `_3`, ... */
export function linkNames(names: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return names.map(name => {
    const count = (seen.get(name) ?? 0) + 1;
    seen.set(name, count);
    return count === 1 ? name : `${name}_${count}`;
  });
}

/**
 * Flags the command line gives a step (`--force-flags`): `STEP:flag=value` by the step's
 * name, or `NOTEBOOK:flag=value` by its notebook as written (more specific, so it wins).
 * Returned as assignments to add after the step's own.
 */
export function forcedStepFlags(
  step: IPipelineStep,
  forced: readonly { name: string; raw: string }[]
): { name: string; raw: string }[] {
  const byName = new Map<string, string>();
  for (const qualifier of [step.name, step.notebook]) {
    for (const { name, raw } of forced) {
      const colon = name.lastIndexOf(':');
      if (name.slice(0, colon) === qualifier) {
        byName.set(name.slice(colon + 1), raw);
      }
    }
  }
  return [...byName].map(([name, raw]) => ({ name, raw }));
}

/** A step's command line as the pipeline reports it (`train.ipynb --label x lr=0.1`). */
export function stepCommand(
  step: IPipelineStep,
  flags: readonly { name: string; raw: string }[],
  options: { label?: string; tags?: readonly string[] }
): string {
  const quote = (text: string): string =>
    /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
  const parts = [step.notebook];
  if (options.label !== undefined) {
    parts.push('--label', quote(options.label));
  }
  for (const tag of options.tags ?? []) {
    parts.push('--tag', quote(tag));
  }
  if (step.needed) {
    parts.push('--needed');
  }
  for (const { name, raw } of flags) {
    parts.push(`${name}=${quote(raw)}`);
  }
  return parts.join(' ');
}
