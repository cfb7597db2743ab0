/**
 * Tokens other nbx plugins depend on.
 */
import { Token } from '@lumino/coreutils';
import type { ISignal } from '@lumino/signaling';
import type {
  IRunOutputEvent,
  IRunsChangedEvent,
  ServiceMethodName,
  ServiceParams,
  ServiceResult
} from '../kernel/src/contract/service';
import type { INbxSettings } from './settings';

/** A reply of the service kernel: its JSON result and any binary buffers. */
export interface IServiceReply<T> {
  result: T;
  buffers: DataView[];
}

/** Points runs appended to their scalar logs (pushed while `watchScalars` watches them). */
export interface IScalarsAppended {
  /** The full run id. */
  id: string;
  keys: string[];
  /** Buffer `i`: the new points of `keys[i]`, an Arrow IPC stream (`step`, `time`, `value`). */
  buffers: DataView[];
}

/** Runs that changed under a runs root, as the service pushes them (debounced). */
export type IRunsChanged = Omit<IRunsChangedEvent, 'event'>;

/** The params of a request for method `M`: optional when every param is. */
export type RequestParams<M extends ServiceMethodName> =
  object extends ServiceParams<M> ? [params?: ServiceParams<M>] : [params: ServiceParams<M>];

/** Requests to the nbx service kernel, and what it pushes. */
export interface INbxConnection {
  /**
   * Calls a method of the service (`listRuns`, `getRun`, `startRun`, ...; declared with
   * its params and result in kernel/src/contract/service.ts); rejects with the service's
   * one-line error message.
   */
  request<M extends ServiceMethodName>(
    method: M,
    ...params: RequestParams<M>
  ): Promise<IServiceReply<ServiceResult<M>>>;
  /** Runs whose records changed, with their root (pushed by the service, debounced). */
  readonly runsChanged: ISignal<INbxConnection, IRunsChanged>;
  /** New points of the runs `watchScalars` watches (pushed by the service, coalesced). */
  readonly scalarsAppended: ISignal<INbxConnection, IScalarsAppended>;
  /** What the runs `watchRun` watches printed and displayed (pushed by the service, coalesced). */
  readonly runOutput: ISignal<INbxConnection, IRunOutputEvent>;
  /**
   * A connection to the service was made (the first, or again after the service kernel
   * restarted): what was watched on the old one must be watched again.
   */
  readonly connected: ISignal<INbxConnection, void>;
}

/**
 * The nbx service as every panel and command uses it: requests carry the runs root of
 * nbx's settings, which it shares.
 */
export interface INbxService extends INbxConnection {
  /** nbx's preferences (runs root, refresh mode, dialog defaults). */
  readonly settings: INbxSettings;
}

export const INbxService = new Token<INbxService>(
  'nbx:INbxService',
  'The connection to the nbx service kernel, through which every panel reads and changes runs.'
);
