/**
 * What the engine caches per run outside the run directory (which is the notebook's
 * working directory): `<root>/cache/scalars/<id>/`, the run's series by key
 * (tracking/series-cache). Rebuildable at any time; removed with the run.
 */
import * as path from 'node:path';
import { CACHE_DIR } from './index-cache';

/** `<root>/cache/scalars/<id>` */
export function seriesCacheDir(root: string, id: string): string {
  return path.join(path.resolve(root), CACHE_DIR, 'scalars', id);
}
