/**
 * The files in a run directory, told apart: what the notebook wrote (`output`), the
 * sources copied in at launch (`source`), and nbx's own records (`nbx`: meta.json, the
 * logs, notebooks, scalars, earlier attempts, the `nbx` package link). Symlinks (linked
 * data and sources) are not listed: the run did not write them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { isReservedRunFile, RUN_FILES, type RunDir } from './run-dir';

export type RunFileKind = 'output' | 'source' | 'nbx';

/** One regular file of a run directory. */
export interface IRunFile {
  /** `/`-separated path relative to the run directory. */
  path: string;
  size: number;
  kind: RunFileKind;
}

/** At most this many files are listed (a run writing more has its first ones shown). */
export const MAX_LISTED_RUN_FILES = 10_000;

/** Top-level names nbx writes besides the reserved ones: the `nbx` package link. */
const NBX_TOP_LEVEL = new Set(['node_modules']);

function readSources(run: RunDir): Set<string> {
  try {
    return new Set(fs.readFileSync(run.sourcesListPath, 'utf8').split('\n').filter(Boolean));
  } catch {
    return new Set();
  }
}

/**
 * The regular files under the run directory, sorted by path (outputs, sources and nbx's
 * records alike; see `kind`), at most `MAX_LISTED_RUN_FILES`. Engine-private state
 * (`.nbx/`) is left out, and symlinks are neither listed nor followed.
 */
export function listRunFiles(run: RunDir): IRunFile[] {
  const sources = readSources(run);
  const files: IRunFile[] = [];
  const walk = (dir: string, rel: string, kind: RunFileKind | null): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (files.length >= MAX_LISTED_RUN_FILES) {
        return;
      }
      const relPath = rel === '' ? entry.name : `${rel}/${entry.name}`;
      const top = rel === '';
      if (top && entry.name === RUN_FILES.private) {
        continue;
      }
      const own =
        kind ??
        (top && (isReservedRunFile(entry.name) || NBX_TOP_LEVEL.has(entry.name)) ? 'nbx' : null);
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        walk(full, relPath, own);
      } else if (entry.isFile()) {
        let size = 0;
        try {
          size = fs.lstatSync(full).size;
        } catch {
          continue; // removed meanwhile
        }
        files.push({
          path: relPath,
          size,
          kind: own ?? (sources.has(relPath) ? 'source' : 'output')
        });
      }
    }
  };
  walk(run.path, '', null);
  return files;
}
