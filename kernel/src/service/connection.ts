/**
 * One frontend connection to the service (one `nbx` comm): where the events it asked for
 * are pushed, and the watches it holds. Watches belong to the connection that made them,
 * so a closed comm (a reloaded tab, a JupyterLab that went away) drops all of its own and
 * nobody else's, and nothing is pushed to a comm that did not ask for it.
 */
import { UserError } from '../base/errors';
import type { ServiceEvent } from '../contract';
import type { BinaryBuffer } from '../protocol/server';

/** Where events go: a connection, as the watch registries see it. */
export interface IEventSink {
  push(event: ServiceEvent, buffers?: BinaryBuffer[]): void;
}

/** What a watch follows: its kind names it in `unwatch`. */
export type WatchKind = 'scalars' | 'run';

export class ServiceConnection implements IEventSink {
  constructor(send: (event: ServiceEvent, buffers: BinaryBuffer[]) => void) {
    this._send = send;
  }

  /** Watches held now. */
  get watches(): number {
    return this._watches.size;
  }

  get isClosed(): boolean {
    return this._closed;
  }

  push(event: ServiceEvent, buffers: BinaryBuffer[] = []): void {
    if (!this._closed) {
      this._send(event, buffers);
    }
  }

  /** Holds a watch until `unwatch` or `close`, which call `stop`; returns its number. */
  watch(kind: WatchKind, stop: () => void): number {
    if (this._closed) {
      // Closed while the request was answered: nobody is left to push to.
      stop();
      throw new UserError('the connection to the nbx service closed');
    }
    const watch = ++this._lastWatch;
    this._watches.set(watch, { kind, stop });
    return watch;
  }

  /** Stops a watch of this kind; false when there is none (stopped already). */
  unwatch(kind: WatchKind, watch: number): boolean {
    const held = this._watches.get(watch);
    if (held?.kind !== kind) {
      return false;
    }
    this._watches.delete(watch);
    held.stop();
    return true;
  }

  /** Stops every watch; nothing is pushed afterwards. Idempotent. */
  close(): void {
    this._closed = true;
    const held = [...this._watches.values()];
    this._watches.clear();
    for (const { stop } of held) {
      stop();
    }
  }

  private readonly _send: (event: ServiceEvent, buffers: BinaryBuffer[]) => void;
  private readonly _watches = new Map<number, { kind: WatchKind; stop: () => void }>();
  private _lastWatch = 0;
  private _closed = false;
}
