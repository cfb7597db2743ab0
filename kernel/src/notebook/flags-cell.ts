/**
 * Which cell holds a notebook's flags, which language it is in, and what it declares.
 */

import { UserError } from '../base/errors';
import { cellTags, sourceText } from './nbformat';
import type { INotebook } from './nbformat';
import type { JSONValue } from '../base/json';
import { scanPythonCell } from './flags-python';
import type { FlagLanguage, ICellScan } from './flags-types';
import { typeScriptFlags } from './flags-lazy';

/** Tags that mark the flags cell (`parameters` is papermill's). */
export const FLAGS_TAGS: readonly string[] = ['parameters', 'flags'];

/**
 * The flags cell: the first code cell tagged `parameters` or `flags` (`tagged: true`),
 * else the first code cell (`tagged: false`), else null.
 */
export function findFlagsCell(nb: INotebook): { index: number; tagged: boolean } | null {
  const tagged = nb.cells.findIndex(
    cell => cell.cell_type === 'code' && cellTags(cell).some(tag => FLAGS_TAGS.includes(tag))
  );
  if (tagged >= 0) {
    return { index: tagged, tagged: true };
  }
  const first = nb.cells.findIndex(cell => cell.cell_type === 'code');
  return first >= 0 ? { index: first, tagged: false } : null;
}

function languageOf(name: string): FlagLanguage | null {
  const lang = name.trim().toLowerCase();
  if (lang === 'typescript' || lang === 'ts') {
    return 'typescript';
  }
  if (lang === 'javascript' || lang === 'js' || lang === 'node' || lang === 'nodejs') {
    return 'javascript';
  }
  if (lang === 'python' || lang === 'ipython' || /^i?python ?\d/.test(lang)) {
    return 'python';
  }
  return null;
}

function field(holder: JSONValue | undefined, key: string): JSONValue | undefined {
  return typeof holder === 'object' && holder !== null && !Array.isArray(holder)
    ? holder[key]
    : undefined;
}

/**
 * The language of the notebook's code, as far as flags go: from the kernel's language
 * (its kernelspec's `language`) when given, else the notebook's
 * `metadata.kernelspec.language`, else `metadata.language_info.name`. Null when it is
 * none of TypeScript, JavaScript and Python (or unknown).
 */
export function notebookLanguage(nb: INotebook, kernelLanguage?: string): FlagLanguage | null {
  if (kernelLanguage !== undefined && kernelLanguage.trim() !== '') {
    return languageOf(kernelLanguage);
  }
  for (const name of [
    field(nb.metadata.kernelspec, 'language'),
    field(nb.metadata.language_info, 'name')
  ]) {
    if (typeof name === 'string' && name.trim() !== '') {
      return languageOf(name);
    }
  }
  return null;
}

/** Names a flags cell in messages: `flags cell (cell 2)`, 1-based over all cells. */
export function flagsCellLabel(index: number): string {
  return `flags cell (cell ${index + 1})`;
}

/** Scans a cell's source for flags in `language`. */
export function scanCell(text: string, language: FlagLanguage): ICellScan {
  return language === 'python'
    ? scanPythonCell(text)
    : typeScriptFlags().scanTypeScriptCell(text, language);
}

/**
 * Scans the flags cell, or returns null when the notebook has no code cell.
 *
 * A tagged flags cell with a syntax error is a `UserError` naming the cell and line;
 * in an untagged first cell the bad statements are just not flags.
 */
export function scanFlagsCell(
  nb: INotebook,
  language: FlagLanguage
): { index: number; tagged: boolean; text: string; scan: ICellScan } | null {
  const found = findFlagsCell(nb);
  if (found === null) {
    return null;
  }
  const text = sourceText(nb.cells[found.index].source);
  const scan = scanCell(text, language);
  if (found.tagged && scan.error !== null) {
    throw new UserError(
      `${flagsCellLabel(found.index)} has a syntax error at line ${scan.error.line}: ${scan.error.message}`
    );
  }
  return { ...found, text, scan };
}
