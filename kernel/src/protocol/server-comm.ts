/**
 * Comms on the kernel side: one open comm, what it hands to its owner, and how
 * binary buffers are accepted.
 *
 * See https://jupyter-client.readthedocs.io/en/latest/messaging.html#custom-messages.
 */
import type { Content, IMessage } from './messages';

/** Binary data a comm message may carry: Node buffers, typed arrays or array buffers. */
export type BinaryBuffer = ArrayBuffer | ArrayBufferView;

/** Receives the `data` and binary `buffers` of a `comm_msg` from the frontend. */
export type CommMsgHandler = (
  data: Content,
  buffers: Buffer[],
  msg: IMessage
) => void | Promise<void>;

/** Called once when the frontend closes the comm (not when the kernel does). */
export type CommCloseHandler = (data: Content, msg: IMessage) => void;

/**
 * Called when the frontend opens a comm to a registered target; it sets
 * `comm.onMsg` and `comm.onClose`. Throwing closes the comm.
 */
export type CommTargetHandler = (comm: Comm, openMsg: IMessage) => void;

/** What a comm needs from its server: publishing on iopub and forgetting the comm. */
export interface ICommHost {
  /** Publishes `msgType` on iopub, parented to `parent`. Never rejects. */
  publish(msgType: string, content: Content, parent: IMessage, buffers: Buffer[]): Promise<void>;
  /** Drops the comm from the open comms (after it closed). */
  forget(comm: Comm): void;
}

/** Options of `Comm.send`. */
export interface ICommSendOptions {
  /**
   * The message the sent one answers (its `parent_header`); default the
   * `comm_open` message, which suits pushed updates.
   */
  parent?: IMessage;
}

/** An open comm between the frontend and this kernel. */
export class Comm {
  /** The id the frontend chose. */
  readonly commId: string;
  readonly targetName: string;
  /** The frontend's `comm_open` message. */
  readonly openMsg: IMessage;
  /** Receives messages from the frontend; set by the target handler. */
  onMsg: CommMsgHandler | null = null;
  /** Told when the frontend closes the comm. */
  onClose: CommCloseHandler | null = null;

  constructor(host: ICommHost, commId: string, targetName: string, openMsg: IMessage) {
    this._host = host;
    this.commId = commId;
    this.targetName = targetName;
    this.openMsg = openMsg;
  }

  /** True once either side closed the comm. */
  get closed(): boolean {
    return this._closed;
  }

  /**
   * Sends `data` (and binary `buffers`) to the frontend as a `comm_msg` on
   * iopub. `data` must be a JSON object. Resolves once queued; does nothing on
   * a closed comm.
   */
  send(data: object, buffers: BinaryBuffer[] = [], options: ICommSendOptions = {}): Promise<void> {
    if (this._closed) {
      return Promise.resolve();
    }
    return this._host.publish(
      'comm_msg',
      { comm_id: this.commId, data },
      options.parent ?? this.openMsg,
      buffers.map(toBuffer)
    );
  }

  /** Closes the comm from the kernel side (a `comm_close` to the frontend). */
  close(data: object = {}, options: ICommSendOptions = {}): Promise<void> {
    if (this._closed) {
      return Promise.resolve();
    }
    this._closed = true;
    this._host.forget(this);
    return this._host.publish(
      'comm_close',
      { comm_id: this.commId, data },
      options.parent ?? this.openMsg,
      []
    );
  }

  /** The frontend closed the comm: mark it and tell the owner. */
  handleClose(data: Content, msg: IMessage): void {
    if (this._closed) {
      return;
    }
    this._closed = true;
    this._host.forget(this);
    this.onClose?.(data, msg);
  }

  private readonly _host: ICommHost;
  private _closed = false;
}

/** A Node buffer over the same bytes (no copy for views and array buffers). */
export function toBuffer(data: BinaryBuffer): Buffer {
  if (Buffer.isBuffer(data)) {
    return data;
  }
  if (ArrayBuffer.isView(data)) {
    return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  }
  return Buffer.from(data);
}
