/**
 * A cache of parsed flags, keyed by the flags cell's text: parsing a TypeScript
 * cell loads the TypeScript compiler (~250 ms of CPU, which on a small machine
 * slows the kernel booting beside it), while the same notebook is run again and
 * again in a study or a sweep. A wrong or unreadable entry is just parsed again.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomicSync } from './atomic';
import { findFlagsCell } from './flags-cell';
import type { FlagLanguage, IFlagDef } from './flags-types';
import { sourceText, type INotebook } from './nbformat';
import { parseFlags } from './flags';

const CACHE_VERSION = '1';

/** `parseFlags` through a cache in `dir` (created on demand). */
export function parseFlagsCached(
  nb: INotebook,
  language: FlagLanguage | null,
  dir: string
): IFlagDef[] {
  const cell = findFlagsCell(nb);
  if (language === null || cell === null) {
    return parseFlags(nb, language);
  }
  const key = createHash('sha256')
    .update([CACHE_VERSION, language, cell.index, cell.tagged, ''].join('\0'))
    .update(sourceText(nb.cells[cell.index].source))
    .digest('hex');
  const file = path.join(dir, `${key}.json`);
  try {
    const cached: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (Array.isArray(cached)) {
      return cached as IFlagDef[];
    }
  } catch {
    // not cached yet
  }
  // Errors (a broken flags cell) are not cached: they are raised every time.
  const defs = parseFlags(nb, language);
  try {
    fs.mkdirSync(dir, { recursive: true });
    writeFileAtomicSync(file, JSON.stringify(defs));
  } catch {
    // A read-only runs root: no cache, same result.
  }
  return defs;
}
