/**
 * Tag lists of runs: `+a` adds, `-b` removes, a bare `c` adds.
 */
import { UserError } from '../base/errors';

/** Applies tag changes to a list, keeping order and uniqueness. */
export function applyTagChanges(tags: readonly string[], changes: readonly string[]): string[] {
  const out = [...tags];
  for (const change of changes) {
    const remove = change.startsWith('-');
    const tag = change.replace(/^[+-]/, '').trim();
    if (tag === '' || /\s|,/.test(tag)) {
      throw new UserError(`invalid tag '${change}': use +tag or -tag (no spaces or commas)`);
    }
    const i = out.indexOf(tag);
    if (remove && i >= 0) {
      out.splice(i, 1);
    } else if (!remove && i < 0) {
      out.push(tag);
    }
  }
  return out;
}
