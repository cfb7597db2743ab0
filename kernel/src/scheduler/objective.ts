/**
 * A sweep's objective (`--objective`): which scalar ranks the trials, and which way. Kept
 * apart from the batch runner so that listing and showing runs need not load it.
 */
import { UserError } from '../base/errors';

/** An objective: the scalar key, and whether lower is better. */
export interface IObjective {
  key: string;
  minimize: boolean;
  /** As written canonically: `-#loss`, `#acc`. */
  text: string;
}

/** Parses `--objective`: `-#loss` minimises loss, `#acc` (or `+#acc`) maximises acc. */
export function parseObjective(text: string): IObjective {
  const match = /^\s*([+-]?)\s*#?\s*(\S.*?)\s*$/.exec(text);
  if (!match || /\s/.test(match[2])) {
    throw new UserError(
      `invalid --objective '${text}': give a scalar key, '-#loss' to minimise or '#acc' to maximise`
    );
  }
  const minimize = match[1] === '-';
  return { key: match[2], minimize, text: `${minimize ? '-' : ''}#${match[2]}` };
}
