/**
 * The one reading of a `/proc/<pid>/stat` line. Its second field, the command name, is in
 * parentheses and may itself hold spaces and parentheses, so the fields after it are
 * counted from the LAST `)`.
 */

/**
 * The fields of a `/proc/<pid>/stat` line by their number in proc(5) (1-based: `f(3)` is
 * the state, `f(4)` the parent pid, `f(22)` the start time), or null when the text is not
 * such a line. Field 1 is the pid; field 2, the command name, is not returned.
 */
export function procStatFields(text: string): ((field: number) => string | undefined) | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) {
    return null;
  }
  const pid = text.slice(0, open).trim();
  const rest = text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  return field => (field === 1 ? pid : field >= 3 ? rest[field - 3] : undefined);
}
