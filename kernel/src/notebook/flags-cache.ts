/**
 * A cache of parsed flags, keyed by the flags cell's text: parsing a TypeScript
 * cell loads the TypeScript compiler (~250 ms of CPU, which on a small machine
 * slows the kernel booting beside it), while the same notebook is run again and
 * again in a study or a sweep. A wrong or unreadable entry is just parsed again.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomicSync } from '../base/atomic-write';
import { findFlagsCell } from './flags-cell';
import type { FlagLanguage, IFlagDef } from './flags-types';
import { sourceText, type INotebook } from './nbformat';
import { parseFlags } from './flags';

const CACHE_VERSION = '2';

function cacheFile(nb: INotebook, language: FlagLanguage, dir: string): string | null {
  const cell = findFlagsCell(nb);
  if (cell === null) {
    return null;
  }
  const key = createHash('sha256')
    .update([CACHE_VERSION, language, cell.index, cell.tagged, ''].join('\0'))
    .update(sourceText(nb.cells[cell.index].source))
    .digest('hex');
  return path.join(dir, `${key}.json`);
}

/**
 * `parseFlags` through a cache in `dir` (created on demand). With `write: false` the
 * cache is only read (nothing is written before a request is known to be good; see
 * `writeFlagsCache`).
 */
export function parseFlagsCached(
  nb: INotebook,
  language: FlagLanguage | null,
  dir: string,
  options: { write?: boolean } = {}
): IFlagDef[] {
  const file = language === null ? null : cacheFile(nb, language, dir);
  if (file === null) {
    return parseFlags(nb, language);
  }
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
  if (options.write !== false) {
    writeFlagsCache(nb, language, dir, defs);
  }
  return defs;
}

/** Stores flags parsed from `nb` in the cache in `dir` (a no-op when it cannot). */
export function writeFlagsCache(
  nb: INotebook,
  language: FlagLanguage | null,
  dir: string,
  defs: IFlagDef[]
): void {
  const file = language === null ? null : cacheFile(nb, language, dir);
  if (file === null) {
    return;
  }
  try {
    fs.mkdirSync(dir, { recursive: true });
    writeFileAtomicSync(file, JSON.stringify(defs));
  } catch {
    // A read-only runs root: no cache, same result.
  }
}
