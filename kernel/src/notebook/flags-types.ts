/**
 * Types shared by the flags modules: the public flag definition, and the internal
 * located literals that injection rewrites in place.
 */

import type { JSONValue } from '../base/json';
import type { FlagLanguage, FlagType, IFlagDef } from '../contract/flags';

// Flag definitions are declared in the service contract (the run dialog reads them).
export type { FlagLanguage, FlagType, IFlagDef };

/**
 * Internal: how a literal was written, so a new value can be written the same way.
 * `float` is true for Python numbers spelled as floats (`1.0`, `1e-3`), which keep
 * being written as floats. `bracket` is how a list was written: `[...]`, `(...)`
 * (Python tuple) or a bare Python tuple (`x = 1, 2`).
 */
export type LiteralStyle =
  | { kind: 'number'; float: boolean }
  | { kind: 'string'; quote: string; raw: boolean }
  | { kind: 'boolean' }
  | { kind: 'null' }
  | { kind: 'list'; bracket: 'list' | 'tuple' | 'bare' };

/** Internal: a literal in a cell's text, with its range (offsets into the cell text). */
export interface ILiteral {
  start: number;
  end: number;
  value: JSONValue;
  style: LiteralStyle;
  /** The items of a list literal, each with its own range; null for scalars. */
  items: ILiteral[] | null;
  /**
   * TypeScript only: true for a string literal initializing a `const` without a type
   * annotation, whose type is the literal itself: with `const optimizer = 'adam'`, a
   * later `optimizer === 'adam'` would not compile once the value is `'sgd'`, so a new
   * value is written widened (`'sgd' as string`). Numbers and booleans are left as they
   * are: comparing them with other literals is rare, and `3 as number` is noise.
   */
  widen?: boolean;
}

/** Internal: one literal assignment of a flags cell. */
export interface ILocatedFlag {
  name: string;
  literal: ILiteral;
  description: string | null;
}

/**
 * Internal: a top-level name a TypeScript/JavaScript cell declares without a literal:
 * a forced value for it replaces the initializer (or adds one) instead of adding a
 * second declaration, which would not compile.
 */
export type DeclaredName =
  | { kind: 'initializer'; start: number; end: number }
  | { kind: 'uninitialized'; at: number }
  | { kind: 'other'; what: string };

/** Internal: what a flags cell holds, as found by a language module. */
export interface ICellScan {
  /** Every literal assignment, in source order (a name may occur more than once). */
  flags: ILocatedFlag[];
  /** TypeScript/JavaScript only: other top-level declarations by name. */
  declared: Map<string, DeclaredName>;
  /** The first syntax error (1-based line in the cell), or null. */
  error: { line: number; message: string } | null;
}

/** Internal: a text edit of a cell: replace `[start, end)` with `text`. */
export interface IEdit {
  start: number;
  end: number;
  text: string;
}

/** Internal: writes a value as a literal of a language, like `like` where it fits. */
export type LiteralRenderer = (value: JSONValue, like: ILiteral | null) => string;
