/**
 * Tokens other nbx plugins depend on.
 */
import { Token } from '@lumino/coreutils';
import type { ISignal } from '@lumino/signaling';

/** A reply of the service kernel: its JSON result and any binary buffers. */
export interface IServiceReply<T> {
  result: T;
  buffers: DataView[];
}

/** The connection to the nbx service kernel (see kernel/src/service). */
export interface INbxService {
  /**
   * Calls a method of the service (`listRuns`, `getRun`, `startRun`, ...); rejects with
   * the service's one-line error message.
   */
  request<T = unknown>(method: string, params?: Record<string, unknown>): Promise<IServiceReply<T>>;
  /** Ids of runs whose records changed (pushed by the service, debounced). */
  readonly runsChanged: ISignal<INbxService, string[]>;
}

export const INbxService = new Token<INbxService>(
  'nbx:INbxService',
  'The connection to the nbx service kernel, through which every panel reads and changes runs.'
);
