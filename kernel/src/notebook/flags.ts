/**
 * Notebook flags: the flags cell's top-level literal assignments become typed flags,
 * and new values are injected by rewriting those literals in place.
 *
 * The flags cell is the first code cell tagged `parameters` (papermill's convention) or
 * `flags`; without one, the first code cell. TypeScript/JavaScript cells are read with
 * the TypeScript compiler API (`flags-typescript.ts`), Python cells with a small
 * tokenizer for exactly the literal subset (`flags-python.ts`).
 *
 * This module is the public entry point; the others are its parts.
 */

import type { INotebook } from './nbformat';
import { scanFlagsCell } from './flags-cell';
import type { FlagLanguage, IFlagDef } from './flags-types';
import { typeOfValue } from './flags-values';

export type { FlagLanguage, FlagType, IFlagDef } from './flags-types';
export { FLAGS_TAGS, findFlagsCell, notebookLanguage } from './flags-cell';
export {
  checkFlagValue,
  coerceFlagValue,
  flagDefaults,
  inferValue,
  parseAssignments,
  resolveFlagValues
} from './flags-values';
export { INJECTED_TAG, injectFlags, injectFlagsDetailed } from './flags-inject';
export type { IInjection } from './flags-inject';

/**
 * The flags of a notebook, in the order the flags cell declares them.
 *
 * A name assigned more than once is one flag: its default is the last literal, its
 * description the first found. Returns `[]` when the notebook has no code cell or its
 * language is not one nbx reads (`language` null). Throws a `UserError` such as
 * `flags cell (cell 2) has a syntax error at line 3: ',' expected` when a tagged flags
 * cell does not parse; in an untagged first cell, statements with errors are skipped.
 */
export function parseFlags(nb: INotebook, language: FlagLanguage | null): IFlagDef[] {
  if (language === null) {
    return [];
  }
  const found = scanFlagsCell(nb, language);
  if (found === null) {
    return [];
  }
  const defs = new Map<string, IFlagDef>();
  for (const flag of found.scan.flags) {
    const value = flag.literal.value;
    const style = flag.literal.style;
    const integer = language === 'python' && style.kind === 'number' && !style.float;
    const def = defs.get(flag.name);
    if (def === undefined) {
      defs.set(flag.name, {
        name: flag.name,
        type: typeOfValue(value),
        default: value,
        description: flag.description,
        cellIndex: found.index,
        ...(integer ? { integer } : {})
      });
    } else {
      def.type = typeOfValue(value);
      def.default = value;
      def.description ??= flag.description;
      if (integer) {
        def.integer = true;
      } else {
        delete def.integer;
      }
    }
  }
  return [...defs.values()];
}
