/**
 * Service methods of the run view: `watchRun` answers where a run's executed notebook and
 * output stand and pushes what they gain (`run-output`) to the connection that asked, until
 * `unwatchRun` or until that connection closes.
 */
import { UserError } from '../base/errors';
import { liveOf } from './live';
import { LOG_TAIL_DEFAULT_BYTES, LOG_TAIL_MAX_BYTES, runOf } from './methods-read';
import { optionalNumber, ParamError } from './params';
import type { IMethodReply, IServiceContext, RequestOf } from './protocol';

/** `watchRun({ id, maxLogBytes? })`: the run now, then `run-output` pushes until `unwatchRun`. */
export function watchRunMethod(
  params: RequestOf<'watchRun'>,
  context: IServiceContext
): IMethodReply<'watchRun'> {
  const run = runOf(params, context);
  const maxLogBytes = optionalNumber(params, 'maxLogBytes') ?? LOG_TAIL_DEFAULT_BYTES;
  if (!(maxLogBytes >= 1)) {
    throw new UserError(`invalid maxLogBytes ${maxLogBytes}: give a number of bytes of at least 1`);
  }
  const { connection, runs } = liveOf(context);
  const { start, stop } = runs.add(
    run,
    connection,
    Math.min(Math.floor(maxLogBytes), LOG_TAIL_MAX_BYTES)
  );
  const watch = connection.watch('run', stop);
  return { json: { watch, ...start } };
}

/** `unwatchRun({ watch })`: stops a watch; an unknown one is not an error (gone already). */
export function unwatchRunMethod(
  params: RequestOf<'unwatchRun'>,
  context: IServiceContext
): IMethodReply<'unwatchRun'> {
  const watch = optionalNumber(params, 'watch');
  if (watch === undefined || !Number.isInteger(watch)) {
    throw new ParamError("missing parameter 'watch' (the number watchRun answered)");
  }
  liveOf(context).connection.unwatch('run', watch);
  return { json: null };
}
