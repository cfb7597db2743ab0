/**
 * Pruning a cache directory by age: the files of one kind (one module's code cache entries,
 * tslab's startup snapshots) written or used last stay, the others go.
 */
import * as fs from 'fs';
import * as path from 'path';

/**
 * Removes the files `names` of `dir` but the `keep` with the latest mtime; returns the names
 * removed. A name gone meanwhile is passed over.
 */
export function keepNewest(dir: string, names: readonly string[], keep: number): string[] {
  const files: { name: string; mtime: number }[] = [];
  for (const name of names) {
    const st = fs.statSync(path.join(dir, name), { throwIfNoEntry: false });
    if (st?.isFile()) {
      files.push({ name, mtime: st.mtimeMs });
    }
  }
  files.sort((a, b) => b.mtime - a.mtime);
  const removed = files.slice(Math.max(0, keep)).map(f => f.name);
  for (const name of removed) {
    fs.rmSync(path.join(dir, name), { force: true });
  }
  return removed;
}
