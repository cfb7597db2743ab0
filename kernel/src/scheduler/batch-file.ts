/**
 * Batch files (`--batch-file trials.csv|trials.json`): one trial per row.
 *
 * - CSV: a header row of flag names, then one row of values per trial, each coerced to its
 *   flag's type as a command-line value would be. An empty cell leaves the flag at its
 *   default for that trial; `""` is an empty string.
 * - JSON: an array of objects of flag values (or a single object: one trial). Values that
 *   already have the flag's type are kept; others are coerced from their text (`"0.01"`
 *   for a number flag is 0.01). `null` leaves the flag at its default.
 *
 * Errors name the file and the row: `trials.csv row 3: 2 values for 3 columns` (rows are
 * counted from the header, row 1, as a spreadsheet shows them), `trials.json trial 2: ...`.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';

import { UserError, errorMessage } from '../base/errors';
import { checkFlagValue, coerceFlagValue, inferValue, resolveFlagValues } from '../notebook/flags';
import type { IFlagDef } from '../notebook/flags';
import { typeOfValue } from '../notebook/flags-values';
import type { JSONValue } from '../base/json';
import { setOwn } from '../base/own';
import { CsvSyntaxError, parseCsv } from './batch-csv';

/** How names and values of a batch file are checked. */
export interface IBatchFileOptions {
  /** Accept names the notebook does not declare (`--force-flags`); values are inferred. */
  force: boolean;
  /** The notebook, named in the unknown-flag error. */
  notebook?: string;
  /** Directory a relative `file` is read from (default: the process's). */
  cwd?: string;
}

/**
 * The error the command line gives for an unknown flag name (`unknown flag 'lrr' for
 * train.ipynb; flags: epochs, lr (or use --force-flags); did you mean 'lr'?`).
 */
export function unknownFlagError(
  defs: readonly IFlagDef[],
  name: string,
  notebook: string | undefined
): UserError {
  try {
    resolveFlagValues(defs, [{ name, raw: '' }], { force: false, notebook });
  } catch (err) {
    if (err instanceof UserError) {
      return err;
    }
  }
  return new UserError(`unknown flag '${name}'`);
}

/** Runs `fn`, prefixing the message of a `UserError` it throws with `where: `. */
function at<T>(where: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof UserError) {
      throw new UserError(`${where}: ${err.message}`, err.exitCode);
    }
    throw err;
  }
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

function readCsvTrials(
  file: string,
  text: string,
  defs: readonly IFlagDef[],
  options: IBatchFileOptions
): Record<string, JSONValue>[] {
  let records;
  try {
    records = parseCsv(text);
  } catch (err) {
    if (err instanceof CsvSyntaxError) {
      throw new UserError(`${file} row ${err.line}: ${err.message}`);
    }
    throw err;
  }
  if (records.length === 0) {
    throw new UserError(`${file} is empty (expected a header row of flag names)`);
  }
  const [header, ...rows] = records;
  const byName = new Map(defs.map(def => [def.name, def]));
  const columns = header.cells.map((cell, i) => {
    const name = cell.text.trim();
    const where = `${file} row ${header.line}`;
    if (name === '') {
      throw new UserError(`${where}: column ${i + 1} has no flag name`);
    }
    if (header.cells.slice(0, i).some(other => other.text.trim() === name)) {
      throw new UserError(`${where}: column '${name}' appears twice`);
    }
    const def = byName.get(name) ?? null;
    if (def === null && !options.force) {
      throw new UserError(`${where}: ${unknownFlagError(defs, name, options.notebook).message}`);
    }
    return { name, def };
  });
  if (rows.length === 0) {
    throw new UserError(`${file} has no trials (only a header row)`);
  }
  return rows.map(row => {
    const where = `${file} row ${row.line}`;
    if (row.cells.length !== columns.length) {
      throw new UserError(
        `${where}: ${plural(row.cells.length, 'value')} for ${plural(columns.length, 'column')}`
      );
    }
    const trial: Record<string, JSONValue> = {};
    row.cells.forEach((cell, i) => {
      const { name, def } = columns[i];
      if (cell.text === '' && !cell.quoted) {
        return;
      }
      setOwn(
        trial,
        name,
        at(where, () =>
          def === null ? inferValue(cell.text, name) : coerceFlagValue(def, cell.text)
        )
      );
    });
    return trial;
  });
}

/** True when `value` already has the shape of `like`'s items (a list flag's default). */
function conforms(value: JSONValue[], like: JSONValue): boolean {
  if (!Array.isArray(like)) {
    return true;
  }
  const types = new Set(like.map(typeOfValue));
  if (types.size !== 1) {
    return true;
  }
  const [type] = types;
  if (type === 'null') {
    return true;
  }
  if (type === 'list') {
    return value.every(item => Array.isArray(item) && conforms(item, like.flat()));
  }
  return value.every(item => typeOfValue(item) === type);
}

/**
 * A typed value (a JSON batch file's, `nbx.sweep`'s) for flag `def`: kept when it has the
 * flag's type (numbers checked as `checkFlagValue` does), else coerced as text would be.
 */
export function jsonFlagValue(def: IFlagDef | null, value: JSONValue): JSONValue {
  if (def === null || def.type === 'null') {
    return value;
  }
  if (def.type === typeOfValue(value)) {
    if (!Array.isArray(value) || conforms(value, def.default)) {
      checkFlagValue(def, value);
      return value;
    }
  }
  return coerceFlagValue(def, typeof value === 'string' ? value : JSON.stringify(value));
}

function describe(value: JSONValue): string {
  if (value === null) {
    return 'null';
  }
  return Array.isArray(value) ? 'a list' : `a ${typeof value}`;
}

function readJsonTrials(
  file: string,
  text: string,
  defs: readonly IFlagDef[],
  options: IBatchFileOptions
): Record<string, JSONValue>[] {
  let parsed: JSONValue;
  try {
    parsed = JSON.parse(text) as JSONValue;
  } catch (err) {
    throw new UserError(`${file} is not valid JSON (${errorMessage(err)})`);
  }
  const items = Array.isArray(parsed) ? parsed : [parsed];
  if (items.length === 0) {
    throw new UserError(`${file} has no trials (an empty list)`);
  }
  const byName = new Map(defs.map(def => [def.name, def]));
  return items.map((item, i) => {
    const where = `${file} trial ${i + 1}`;
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      throw new UserError(`${where}: expected an object of flag values, got ${describe(item)}`);
    }
    const trial: Record<string, JSONValue> = {};
    for (const [name, value] of Object.entries(item)) {
      const def = byName.get(name) ?? null;
      if (def === null && !options.force) {
        throw new UserError(`${where}: ${unknownFlagError(defs, name, options.notebook).message}`);
      }
      if (value !== null) {
        setOwn(
          trial,
          name,
          at(where, () => jsonFlagValue(def, value))
        );
      }
    }
    return trial;
  });
}

/**
 * The trials of a batch file, one record of flag values per row, coerced to the flags'
 * types. `file` is named in errors as given. Throws a one-line `UserError` for a file
 * that cannot be read, an extension other than `.csv`/`.json`, a malformed row, an
 * unknown flag name (unless `force`), a value that does not coerce, or no rows.
 */
export function readBatchFile(
  file: string,
  defs: readonly IFlagDef[],
  options: IBatchFileOptions
): Record<string, JSONValue>[] {
  const ext = path.extname(file).toLowerCase();
  if (ext !== '.csv' && ext !== '.json') {
    throw new UserError(`unsupported batch file '${file}' (use a .csv or .json file)`);
  }
  let text: string;
  try {
    text = fs.readFileSync(path.resolve(options.cwd ?? process.cwd(), file), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'it is a directory'
          : errorMessage(err);
    throw new UserError(`cannot read batch file '${file}': ${why}`);
  }
  return ext === '.csv'
    ? readCsvTrials(file, text, defs, options)
    : readJsonTrials(file, text, defs, options);
}
