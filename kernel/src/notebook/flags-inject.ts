/**
 * Flag injection: a copy of the notebook whose flags cell has new values, written by
 * rewriting each literal in place (only the literal's text changes).
 */

import { UserError } from '../base/errors';
import type { ICodeCell, INotebook } from './nbformat';
import type { JSONObject, JSONValue } from '../base/json';
import { dumpPythonJson, parseJson, splitLinesPython } from './pyjson';
import { flagsCellLabel, scanFlagsCell } from './flags-cell';
import { isPythonName, renderPythonValue } from './flags-python';
import type { FlagLanguage, IEdit, IFlagDef, ILiteral, LiteralRenderer } from './flags-types';
import { typeScriptFlags } from './flags-lazy';

/** The tag of the cell inserted when a notebook without code cells gets forced flags. */
export const INJECTED_TAG = 'injected-parameters';

/** What `injectFlagsDetailed` did. */
export interface IInjection {
  /** The new notebook (the input is not modified). */
  notebook: INotebook;
  /** The cell that was changed or inserted, or null when no cell changed. */
  cellIndex: number | null;
  /** Flags whose literal was rewritten in place (or whose value was already the same). */
  rewritten: string[];
  /** Forced flags added as new assignments (or whose declaration got the value). */
  added: string[];
  /** Whether a new `injected-parameters` cell was inserted at the top. */
  insertedCell: boolean;
}

/**
 * A deep copy that keeps the Python spellings `parseJson` remembers (`2.0`), which
 * `structuredClone` would lose: the copy serializes byte for byte like the original.
 */
function copyNotebook(nb: INotebook): INotebook {
  return parseJson(dumpPythonJson(nb as unknown as JSONObject)) as unknown as INotebook;
}

function sameValue(a: JSONValue, b: JSONValue): boolean {
  if (typeof a === 'number' || typeof b === 'number') {
    return Object.is(a, b);
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((item, i) => sameValue(item, b[i]))
    );
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length &&
      keys.every(key => key in b && sameValue(a[key], b[key]))
    );
  }
  return a === b;
}

/**
 * The edits that turn `literal` into `value`: none when the value is the same (the
 * original spelling stays), item by item when a list keeps its length (layout and
 * comments between items stay), else the whole literal.
 */
function literalEdits(literal: ILiteral, value: JSONValue, render: LiteralRenderer): IEdit[] {
  if (sameValue(literal.value, value)) {
    return [];
  }
  const items = literal.items;
  if (items !== null && items.length > 0 && Array.isArray(value) && value.length === items.length) {
    return items.flatMap((item, i) => literalEdits(item, value[i], render));
  }
  return [{ start: literal.start, end: literal.end, text: render(value, literal) }];
}

function applyEdits(text: string, edits: IEdit[]): string {
  let out = text;
  const sorted = [...edits].sort((a, b) => b.start - a.start);
  sorted.forEach((edit, i) => {
    const previous = sorted[i - 1];
    if (previous !== undefined && edit.end > previous.start) {
      throw new Error(`overlapping flag edits at ${edit.start} and ${previous.start}`);
    }
    out = out.slice(0, edit.start) + edit.text + out.slice(edit.end);
  });
  return out;
}

function rendererOf(language: FlagLanguage): LiteralRenderer {
  return language === 'python' ? renderPythonValue : typeScriptFlags().renderTypeScriptValue;
}

/** A new assignment statement for a forced flag. */
function assignment(language: FlagLanguage, name: string, value: JSONValue): string {
  const valid =
    language === 'python' ? isPythonName(name) : typeScriptFlags().isTypeScriptName(name);
  if (!valid) {
    const lang = language === 'python' ? 'Python' : 'TypeScript/JavaScript';
    throw new UserError(`cannot add flag '${name}': it is not a valid ${lang} variable name`);
  }
  const literal = rendererOf(language)(value, null);
  return language === 'python' ? `${name} = ${literal}` : `let ${name} = ${literal};`;
}

/** Appends lines at the end of a cell's text, keeping its trailing-newline habit. */
function appendLines(text: string, lines: string[]): string {
  if (lines.length === 0) {
    return text;
  }
  if (text === '') {
    return lines.join('\n');
  }
  const endsWithNewline = text.endsWith('\n');
  return (endsWithNewline ? text : text + '\n') + lines.join('\n') + (endsWithNewline ? '\n' : '');
}

function newCellId(nb: INotebook): string {
  const ids = new Set(nb.cells.map(cell => cell.id));
  let id = INJECTED_TAG;
  for (let n = 2; ids.has(id); n++) {
    id = `${INJECTED_TAG}-${n}`;
  }
  return id;
}

/**
 * Like `injectFlags`, and also says which cell changed and how each flag was written.
 */
export function injectFlagsDetailed(
  nb: INotebook,
  language: FlagLanguage | null,
  values: Record<string, JSONValue>,
  defs?: readonly IFlagDef[]
): IInjection {
  const notebook = copyNotebook(nb);
  const names = Object.keys(values);
  const result: IInjection = {
    notebook,
    cellIndex: null,
    rewritten: [],
    added: [],
    insertedCell: false
  };
  if (names.length === 0) {
    return result;
  }
  if (language === null) {
    throw new UserError(
      'cannot set flags: nbx reads flags only in TypeScript, JavaScript and Python notebooks'
    );
  }
  const found = scanFlagsCell(notebook, language);
  if (found === null) {
    const lines = names.map(name => assignment(language, name, values[name]));
    const cell: ICodeCell = {
      cell_type: 'code',
      execution_count: null,
      metadata: { tags: [INJECTED_TAG] },
      outputs: [],
      source: splitLinesPython(lines.join('\n'))
    };
    if (notebook.nbformat_minor >= 5) {
      cell.id = newCellId(notebook);
    }
    notebook.cells.unshift(cell);
    return { ...result, cellIndex: 0, added: names, insertedCell: true };
  }

  const { scan, text, index } = found;
  const render = rendererOf(language);
  const edits: IEdit[] = [];
  const appended: string[] = [];
  for (const name of names) {
    const value = values[name];
    const occurrences = scan.flags.filter(flag => flag.name === name);
    if (occurrences.length > 0) {
      // Every literal assignment of the name gets the value (the last one wins anyway).
      for (const flag of occurrences) {
        edits.push(...literalEdits(flag.literal, value, render));
      }
      result.rewritten.push(name);
      continue;
    }
    if (defs !== undefined && defs.some(def => def.name === name)) {
      throw new Error(`flag '${name}' is not in ${flagsCellLabel(index)} any more`);
    }
    result.added.push(name);
    const declared = scan.declared.get(name);
    if (declared === undefined) {
      appended.push(assignment(language, name, value));
    } else if (declared.kind === 'initializer') {
      edits.push({ start: declared.start, end: declared.end, text: render(value, null) });
    } else if (declared.kind === 'uninitialized') {
      edits.push({ start: declared.at, end: declared.at, text: ` = ${render(value, null)}` });
    } else {
      throw new UserError(
        `cannot set flag '${name}': ${flagsCellLabel(index)} declares it as ${declared.what}, not with a literal`
      );
    }
  }
  const newText = appendLines(applyEdits(text, edits), appended);
  if (newText !== text) {
    const cell = notebook.cells[index];
    cell.source = Array.isArray(cell.source) ? splitLinesPython(newText) : newText;
    result.cellIndex = index;
  }
  return result;
}

/**
 * A new notebook (a deep copy) whose flags cell assigns `values`.
 *
 * Each flag's literal is rewritten in place: comments, layout, type annotations and the
 * rest of the code keep their exact text, as does the literal itself when the value is
 * unchanged; a list of the same length is rewritten item by item. Values are written as
 * the language writes literals, in the style of the original (quotes, floats, tuples).
 * A name that is not a flag (forced) becomes a new assignment at the end of the flags
 * cell (`let name = value;` / `name = value`); in TypeScript/JavaScript, a name the cell
 * already declares without a literal gets the value as its initializer instead. Without
 * any code cell, a new code cell tagged `injected-parameters` is inserted at the top.
 *
 * `defs` are the flags parsed from `nb`; when given, a flag among them that is no longer
 * in the cell is a bug and throws. Throws a `UserError` for a tagged flags cell with a
 * syntax error and for a forced name the language cannot declare.
 */
export function injectFlags(
  nb: INotebook,
  language: FlagLanguage | null,
  values: Record<string, JSONValue>,
  defs?: readonly IFlagDef[]
): INotebook {
  return injectFlagsDetailed(nb, language, values, defs).notebook;
}
