/**
 * A client of one running kernel: the five ZeroMQ sockets, request/reply
 * matching by parent `msg_id`, and iopub routing.
 */
import * as zmq from 'zeromq';
import { randomUUID } from 'crypto';
import { address, type IConnectionInfo } from './connection';
import {
  createMessage,
  newSession,
  parentId,
  type Channel,
  type Content,
  type IMessage,
  type ISessionInfo
} from './messages';
import { deserialize, serialize, Signer } from './wire';

/** Receives the iopub messages whose parent is one request. */
export type IopubHandler = (msg: IMessage) => void;

/** Answers an `input_request` from the kernel; the return value is sent back. */
export type StdinHandler = (msg: IMessage) => string;

export interface IPendingRequest {
  msgId: string;
  /** Resolves with the reply on the request's channel. */
  reply: Promise<IMessage>;
}

/** Thrown into pending requests when the client is closed. */
export class ClientClosedError extends Error {
  constructor() {
    super('kernel client closed');
    this.name = 'ClientClosedError';
  }
}

/**
 * One ZeroMQ socket plus a send queue: zeromq.js allows only one pending send
 * per socket, and callers should not have to care. Shared by the client and
 * the kernel server (`server.ts`); `send` needs a writable socket.
 */
export class Wire<S extends zmq.Socket> {
  constructor(readonly socket: S) {}

  /** Queues `frames` behind earlier sends; resolves once zeromq has taken them. */
  send(frames: Buffer[]): Promise<void> {
    const next = this._queue.then(() => (this.socket as unknown as zmq.Writable).send(frames));
    this._queue = next.catch(() => undefined);
    return next;
  }

  private _queue: Promise<unknown> = Promise.resolve();
}

/** Bounds of one batch of received messages (see `_receiveLoop`). */
const BATCH_MESSAGES = 256;
const BATCH_BYTES = 4 << 20;

/**
 * Merges consecutive `stream` messages of the same request and stream name into one (the
 * first, with the texts joined): what a frontend would show anyway, for a fraction of the
 * work when a kernel floods its output.
 */
export function coalesceStreams(messages: IMessage[]): IMessage[] {
  const merged: IMessage[] = [];
  let texts: string[] = [];
  const close = (): void => {
    if (texts.length > 1) {
      const last = merged[merged.length - 1];
      merged[merged.length - 1] = { ...last, content: { ...last.content, text: texts.join('') } };
    }
    texts = [];
  };
  for (const msg of messages) {
    const prev = merged[merged.length - 1];
    const text = msg.content.text;
    const joins =
      prev !== undefined &&
      texts.length > 0 &&
      msg.header.msg_type === 'stream' &&
      typeof text === 'string' &&
      parentId(msg) === parentId(prev) &&
      msg.content.name === prev.content.name;
    if (joins) {
      texts.push(text);
      continue;
    }
    close();
    merged.push(msg);
    if (msg.header.msg_type === 'stream' && typeof text === 'string') {
      texts = [text];
    }
  }
  close();
  return merged;
}

export class KernelClient {
  readonly session: ISessionInfo;

  constructor(info: IConnectionInfo, username = 'nbx') {
    this.session = newSession(username);
    this._signer = new Signer(info.key, info.signature_scheme);
    // Shell and stdin share a routing id so the kernel can route input_request.
    const routingId = `nbx-${randomUUID()}`;
    const shell = new zmq.Dealer({ linger: 0, routingId });
    const stdin = new zmq.Dealer({ linger: 0, routingId });
    const control = new zmq.Dealer({ linger: 0 });
    const iopub = new zmq.Subscriber({ linger: 0 });
    shell.connect(address(info, 'shell'));
    stdin.connect(address(info, 'stdin'));
    control.connect(address(info, 'control'));
    iopub.connect(address(info, 'iopub'));
    iopub.subscribe();
    this._hbAddress = address(info, 'hb');
    this._wires = {
      shell: new Wire(shell),
      control: new Wire(control),
      stdin: new Wire(stdin),
      iopub: new Wire(iopub)
    };
    for (const channel of ['shell', 'control', 'stdin', 'iopub'] as Channel[]) {
      void this._receiveLoop(channel);
    }
  }

  /** Called for iopub messages no request handler claimed (e.g. kernel status). */
  onUnclaimedIopub: IopubHandler | null = null;

  /** Called for each received message that failed signature or shape checks. */
  onWireError: ((channel: Channel, err: Error) => void) | null = null;

  /** Answers input requests; by default the empty string. */
  onInputRequest: StdinHandler | null = null;

  /** Time the last iopub message of any kind arrived (0 before the first). */
  get lastIopubAt(): number {
    return this._lastIopubAt;
  }

  get closed(): boolean {
    return this._closed;
  }

  /**
   * Sends a request on `channel`; iopub messages answering it go to `onIopub`
   * (registered before sending, so nothing is missed).
   */
  request(
    channel: 'shell' | 'control',
    msgType: string,
    content: Content,
    onIopub?: IopubHandler
  ): IPendingRequest {
    if (this._closed) {
      return { msgId: '', reply: Promise.reject(new ClientClosedError()) };
    }
    const msg = createMessage(this.session, msgType, content);
    const msgId = msg.header.msg_id;
    if (onIopub) {
      this._iopubHandlers.set(msgId, onIopub);
    }
    const reply = new Promise<IMessage>((resolve, reject) => {
      this._pending.set(msgId, { resolve, reject });
    });
    this._wires[channel].send(serialize(msg, this._signer)).catch(err => {
      const pending = this._pending.get(msgId);
      this._pending.delete(msgId);
      pending?.reject(err);
    });
    return { msgId, reply };
  }

  /** Stops routing iopub messages of a finished request. */
  release(msgId: string): void {
    this._iopubHandlers.delete(msgId);
    this._pending.delete(msgId);
  }

  /**
   * Pings the heartbeat channel; true if the kernel echoed within `timeoutMs`.
   * A kernel busy in synchronous code may not answer (tslab), so a missed beat
   * alone does not prove death.
   */
  async heartbeat(timeoutMs = 1000): Promise<boolean> {
    const hb = new zmq.Request({ linger: 0, receiveTimeout: timeoutMs, sendTimeout: timeoutMs });
    try {
      hb.connect(this._hbAddress);
      const ping = Buffer.from(randomUUID());
      await hb.send(ping);
      const [pong] = await hb.receive();
      return pong.equals(ping);
    } catch {
      return false;
    } finally {
      hb.close();
    }
  }

  /** Closes every socket; pending requests reject with `ClientClosedError`. */
  close(): void {
    if (this._closed) {
      return;
    }
    this._closed = true;
    for (const wire of Object.values(this._wires)) {
      wire.socket.close();
    }
    for (const pending of this._pending.values()) {
      pending.reject(new ClientClosedError());
    }
    this._pending.clear();
    this._iopubHandlers.clear();
  }

  /**
   * Receives what arrives on `channel` in batches: whatever is queued, up to a bound, then
   * dispatched (on iopub with consecutive stream chunks merged, see `coalesceStreams`), then,
   * when more is waiting, a turn of the event loop before the next batch. A zeromq socket
   * with messages queued answers `receive()` at once, so without that turn a kernel
   * producing output faster than it is handled would keep timers and signal handlers (cell
   * timeouts, stop requests) from ever running.
   */
  private async _receiveLoop(channel: Channel): Promise<void> {
    const socket = this._wires[channel].socket as zmq.Socket & zmq.Readable;
    try {
      while (!this._closed) {
        const batch: IMessage[] = [];
        let bytes = 0;
        do {
          const frames = await socket.receive();
          bytes += frames.reduce((sum, frame) => sum + frame.length, 0);
          try {
            batch.push(deserialize(frames, this._signer));
          } catch (err) {
            this.onWireError?.(channel, err as Error);
          }
        } while (socket.readable && batch.length < BATCH_MESSAGES && bytes < BATCH_BYTES);
        for (const msg of channel === 'iopub' ? coalesceStreams(batch) : batch) {
          this._dispatch(channel, msg);
        }
        if (socket.readable) {
          await new Promise(resolve => setImmediate(resolve));
        }
      }
    } catch (err) {
      if (!this._closed) {
        this.onWireError?.(channel, err as Error);
      }
    }
  }

  private _dispatch(channel: Channel, msg: IMessage): void {
    const parent = parentId(msg);
    if (channel === 'iopub') {
      this._lastIopubAt = Date.now();
      const handler = parent ? this._iopubHandlers.get(parent) : undefined;
      if (handler) {
        handler(msg);
      } else {
        this.onUnclaimedIopub?.(msg);
      }
      return;
    }
    if (channel === 'stdin') {
      if (msg.header.msg_type === 'input_request') {
        const value = this.onInputRequest ? this.onInputRequest(msg) : '';
        const reply = createMessage(this.session, 'input_reply', { value }, { parent: msg });
        reply.identities = [];
        void this._wires.stdin.send(serialize(reply, this._signer)).catch(() => undefined);
      }
      return;
    }
    const pending = parent ? this._pending.get(parent) : undefined;
    if (pending && parent) {
      this._pending.delete(parent);
      pending.resolve(msg);
    }
  }

  private readonly _signer: Signer;
  private readonly _hbAddress: string;
  private readonly _wires: {
    shell: Wire<zmq.Dealer>;
    control: Wire<zmq.Dealer>;
    stdin: Wire<zmq.Dealer>;
    iopub: Wire<zmq.Subscriber>;
  };
  private readonly _pending = new Map<
    string,
    { resolve: (msg: IMessage) => void; reject: (err: Error) => void }
  >();
  private readonly _iopubHandlers = new Map<string, IopubHandler>();
  private _lastIopubAt = 0;
  private _closed = false;
}
