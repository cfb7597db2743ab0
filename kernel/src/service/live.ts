/**
 * What the push methods (`watchScalars`, `watchRun` and their `unwatch`) need: the
 * connection the request came on, which holds the watch, and the service's tails.
 */
import { UserError } from '../base/errors';
import type { ServiceConnection } from './connection';
import type { IServiceContext } from './protocol';
import type { RunWatch } from './run-watch';
import type { ScalarsWatch } from './scalars-watch';

/** The live parts of a request's context. */
export interface ILiveContext {
  connection: ServiceConnection;
  scalars: ScalarsWatch;
  runs: RunWatch;
}

/** The live parts of `context`, or a one-line error outside the service kernel. */
export function liveOf(context: IServiceContext): ILiveContext {
  const { connection, scalars, runs } = context;
  if (!connection || !scalars || !runs) {
    throw new UserError('live updates are only pushed by the nbx service kernel, over its comm');
  }
  return { connection, scalars, runs };
}
