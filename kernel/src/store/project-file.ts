/**
 * `nbx.json`, the project file (beside `.nbx/` or `.git` in the project directory, see
 * root.ts): one JSON object whose keys each feature reads for itself.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { UserError } from '../base/errors';
import type { JSONValue } from '../base/json';
import { findProjectDir } from './root';

/** The project file's name. */
export const PROJECT_FILE = 'nbx.json';

/** The project file of the project `startDir` is in: its path and object; null when there is none. */
export function readProjectFile(
  startDir: string
): { path: string; value: Record<string, JSONValue> } | null {
  const file = path.join(findProjectDir(startDir), PROJECT_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR') {
      return null;
    }
    throw err;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UserError(`${file}: not JSON (${(err as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UserError(`${file}: must hold one JSON object`);
  }
  return { path: file, value: value as Record<string, JSONValue> };
}
