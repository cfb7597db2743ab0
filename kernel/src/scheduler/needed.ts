/**
 * `--needed`: the completed run a new run would repeat — same notebook, same source digest
 * (the notebook and the files beside it), same flag values — so it can be reused instead.
 */
import type { JSONValue } from '../base/json';
import type { RunMeta } from '../store/meta';
import { latestCompletedRun } from '../store/completed-runs';

/** JSON text with object keys sorted: equal values give equal text. */
function canonical(value: JSONValue): string {
  if (Array.isArray(value)) {
    return `[${value.map(canonical).join(',')}]`;
  }
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map(k => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The latest completed run identical to `meta` (a run just prepared), or null. */
export function findIdenticalRun(root: string, meta: RunMeta): RunMeta | null {
  const flags = canonical(meta.flags);
  return latestCompletedRun(
    root,
    meta.notebook,
    m =>
      m.id !== meta.id &&
      m.sourceDigest !== null &&
      m.sourceDigest === meta.sourceDigest &&
      canonical(m.flags) === flags
  );
}
