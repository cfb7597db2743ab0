/**
 * A sweep's `--objective` as a request gives it: checked here, read by the rule of
 * base/display (`#loss` lowest best, `-#acc` highest best, as `--sort` orders). Kept apart
 * from the batch runner so that listing and showing runs need not load it.
 */
import { parseObjective, type IObjective } from '../base/display';
import { UserError } from '../base/errors';

export type { IObjective } from '../base/display';

/** Reads `--objective`; an empty or malformed one is a one-line `UserError`. */
export function objectiveOption(text: string): IObjective {
  const objective = parseObjective(text);
  if (objective === null) {
    throw new UserError(
      `invalid --objective '${text}': give a scalar key, '#loss' to minimise or '-#acc' to maximise`
    );
  }
  return objective;
}
