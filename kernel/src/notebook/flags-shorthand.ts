/**
 * Shorthand properties naming a flag (`console.log({ lr })`) in the cells after the flags
 * cell. An unpatched tslab 1.0.22 leaves such a name as it is instead of reading the flags
 * cell's export, so the cell throws `ReferenceError: lr is not defined` (the install-time
 * patch in patches/ fixes it). Finding them lets nbx refuse such a run before it starts.
 */
import * as ts from 'typescript';

import { cellTags, sourceText, type INotebook } from './nbformat';

export interface IShorthandUse {
  /** Index of the cell in the notebook. */
  cellIndex: number;
  name: string;
}

/**
 * The first shorthand property naming one of `names` in a code cell after `flagsCell`,
 * or null. A cell that declares the name itself at its top level uses its own variable
 * and does not count.
 */
export function findShorthandFlagUse(
  nb: INotebook,
  flagsCell: number,
  names: readonly string[]
): IShorthandUse | null {
  if (names.length === 0) {
    return null;
  }
  // Only cells that could hold `{ name` or `, name }` are parsed.
  const hint = new RegExp(`[{,]\\s*(${names.map(escapeRegExp).join('|')})\\s*[,}=]`);
  for (let i = flagsCell + 1; i < nb.cells.length; i++) {
    const cell = nb.cells[i];
    if (cell.cell_type !== 'code' || cellTags(cell).includes('skip-execution')) {
      continue;
    }
    const text = sourceText(cell.source);
    if (!hint.test(text)) {
      continue;
    }
    const name = shorthandUse(text, new Set(names));
    if (name !== null) {
      return { cellIndex: i, name };
    }
  }
  return null;
}

function shorthandUse(text: string, names: Set<string>): string | null {
  const file = ts.createSourceFile('cell.ts', text, ts.ScriptTarget.Latest, true);
  const own = new Set<string>();
  for (const statement of file.statements) {
    if (ts.isVariableStatement(statement)) {
      for (const decl of statement.declarationList.declarations) {
        if (ts.isIdentifier(decl.name)) {
          own.add(decl.name.text);
        }
      }
    } else if (
      (ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement)) &&
      statement.name
    ) {
      own.add(statement.name.text);
    }
  }
  let found: string | null = null;
  const visit = (node: ts.Node): void => {
    if (found !== null) {
      return;
    }
    if (ts.isShorthandPropertyAssignment(node)) {
      const name = node.name.text;
      if (names.has(name) && !own.has(name)) {
        found = name;
        return;
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
