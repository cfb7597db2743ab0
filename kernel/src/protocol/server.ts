/**
 * The kernel (server) side of the Jupyter protocol on ZeroMQ: binds the five
 * sockets of a connection file, answers the requests a frontend makes of a
 * kernel that runs no code, and carries comms to registered targets.
 *
 * Every request is wrapped in `status: busy` / `idle` on iopub, parented to
 * it. Requests are handled as they arrive: a comm handler that awaits does not
 * hold up the next request (the `idle` of its request waits for it).
 * Messages with a bad signature or shape are dropped with one log line.
 */
import * as zmq from 'zeromq';
import { Wire } from './client';
import { address, type IConnectionInfo, type SocketName } from './connection';
import { createMessage, newSession, str, type Content, type IMessage } from './messages';
import { Comm, type CommTargetHandler } from './server-comm';
import { nbxKernelInfo, SERVICE_EXECUTE_TEXT } from './server-info';
import { deserialize, serialize, Signer } from './wire';

export { Comm } from './server-comm';
export type {
  BinaryBuffer,
  CommCloseHandler,
  CommMsgHandler,
  CommTargetHandler,
  ICommSendOptions
} from './server-comm';

/** Channels requests arrive on. */
export type RequestChannel = 'shell' | 'control';

/** Options of `KernelServer.start`. */
export interface IKernelServerOptions {
  /** `kernel_info_reply` content (default: the nbx service kernel's). */
  kernelInfo?: Content;
  /** Text printed on stdout for each `execute_request` (default: the service kernel's note). */
  executeText?: string;
  /** Where diagnostics go, one line each (default: stderr). */
  log?: (line: string) => void;
  /** Session user name in message headers (default `nbx`). */
  username?: string;
}

/** Why the server closed. */
export interface IServerClosed {
  /** `shutdown_request` from a client, or `close()` called here. */
  reason: 'shutdown_request' | 'close';
  /** The client asked for a restart (its kernel manager starts a new process). */
  restart: boolean;
}

/** How long sockets may keep flushing queued messages after `close()`, in ms. */
const LINGER_MS = 500;

type Handler = (channel: RequestChannel, msg: IMessage) => void | Promise<void>;

/** A running kernel server. */
export class KernelServer {
  /** The connection it serves (ports filled in when the file asked for port 0). */
  readonly connection: IConnectionInfo;
  /** Resolves once the server closed (after a `shutdown_request` or `close()`). */
  readonly closed: Promise<IServerClosed>;

  /** Binds the sockets of `connection`; resolves once they listen. */
  static async start(
    connection: IConnectionInfo,
    options: IKernelServerOptions = {}
  ): Promise<KernelServer> {
    const server = new KernelServer(connection, options);
    try {
      await server._bind();
    } catch (err) {
      server.close();
      throw err;
    }
    return server;
  }

  private constructor(connection: IConnectionInfo, options: IKernelServerOptions) {
    this.connection = { ...connection };
    this._signer = new Signer(connection.key, connection.signature_scheme);
    this._session = newSession(options.username ?? 'nbx');
    this._kernelInfo = options.kernelInfo ?? nbxKernelInfo();
    this._executeText = options.executeText ?? SERVICE_EXECUTE_TEXT;
    this._log = options.log ?? (line => process.stderr.write(`${line}\n`));
    this.closed = new Promise(resolve => (this._resolveClosed = resolve));
    const opts = { linger: LINGER_MS };
    this._wires = {
      shell: new Wire(new zmq.Router(opts)),
      control: new Wire(new zmq.Router(opts)),
      stdin: new Wire(new zmq.Router(opts)),
      iopub: new Wire(new zmq.Publisher(opts)),
      hb: new Wire(new zmq.Reply(opts))
    };
  }

  /** True once closed. */
  get isClosed(): boolean {
    return this._isClosed;
  }

  /** The comms open now. */
  get comms(): readonly Comm[] {
    return [...this._comms.values()];
  }

  /**
   * Routes `comm_open` requests for `targetName` to `handler`, which sets up
   * the comm (`comm.onMsg`, `comm.onClose`) and may send on it. A comm opened
   * for a target nobody registered is closed again at once.
   */
  registerCommTarget(targetName: string, handler: CommTargetHandler): void {
    this._targets.set(targetName, handler);
  }

  /**
   * Closes every socket (queued messages get a short linger to go out) and
   * resolves `closed`. Idempotent.
   */
  close(reason: IServerClosed = { reason: 'close', restart: false }): void {
    if (this._isClosed) {
      return;
    }
    this._isClosed = true;
    for (const wire of Object.values(this._wires)) {
      if (!wire.socket.closed) {
        wire.socket.close();
      }
    }
    for (const comm of this._comms.values()) {
      comm.handleClose({}, comm.openMsg);
    }
    this._comms.clear();
    this._resolveClosed(reason);
  }

  private async _bind(): Promise<void> {
    for (const name of ['shell', 'control', 'stdin', 'iopub', 'hb'] as SocketName[]) {
      const socket = this._wires[name].socket;
      const port = this.connection[`${name}_port`];
      await socket.bind(port ? address(this.connection, name) : this._anyPort());
      if (!port) {
        this.connection[`${name}_port`] = Number(/:(\d+)$/.exec(socket.lastEndpoint ?? '')?.[1]);
      }
    }
    void this._receiveLoop('shell');
    void this._receiveLoop('control');
    void this._receiveLoop('stdin');
    void this._heartbeatLoop();
  }

  private _anyPort(): string {
    return `${this.connection.transport}://${this.connection.ip}:*`;
  }

  private async _receiveLoop(channel: RequestChannel | 'stdin'): Promise<void> {
    const socket = this._wires[channel].socket;
    try {
      for await (const frames of socket) {
        let msg: IMessage;
        try {
          msg = deserialize(frames, this._signer);
        } catch (err) {
          this._log(`nbx kernel: dropped a message on ${channel}: ${(err as Error).message}`);
          continue;
        }
        if (channel !== 'stdin') {
          void this._handle(channel, msg);
        }
      }
    } catch (err) {
      if (!this._isClosed) {
        this._log(`nbx kernel: ${channel} socket failed: ${(err as Error).message}`);
      }
    }
  }

  /** Echoes every heartbeat ping. */
  private async _heartbeatLoop(): Promise<void> {
    const wire = this._wires.hb;
    try {
      for await (const frames of wire.socket) {
        await wire.send(frames);
      }
    } catch (err) {
      if (!this._isClosed) {
        this._log(`nbx kernel: heartbeat socket failed: ${(err as Error).message}`);
      }
    }
  }

  /** One request: busy, its handler (awaited), idle. Never throws. */
  private async _handle(channel: RequestChannel, msg: IMessage): Promise<void> {
    const type = msg.header.msg_type;
    const handler = Object.hasOwn(this._handlers, type) ? this._handlers[type] : undefined;
    void this._publish('status', { execution_state: 'busy' }, msg);
    try {
      if (handler) {
        await handler(channel, msg);
      } else {
        this._log(`nbx kernel: ignored a ${type} message on ${channel} (not supported)`);
      }
    } catch (err) {
      this._log(`nbx kernel: ${type} failed: ${(err as Error).stack ?? String(err)}`);
    }
    if (type !== 'shutdown_request') {
      await this._publish('status', { execution_state: 'idle' }, msg);
    }
  }

  private readonly _handlers: Record<string, Handler> = {
    kernel_info_request: (channel, msg) =>
      this._reply(channel, msg, 'kernel_info_reply', this._kernelInfo),
    comm_info_request: (channel, msg) => {
      const target = str(msg.content, 'target_name');
      const comms: Record<string, { target_name: string }> = {};
      for (const comm of this._comms.values()) {
        if (!target || comm.targetName === target) {
          comms[comm.commId] = { target_name: comm.targetName };
        }
      }
      return this._reply(channel, msg, 'comm_info_reply', { status: 'ok', comms });
    },
    comm_open: (_channel, msg) => this._openComm(msg),
    comm_msg: async (_channel, msg) => {
      const comm = this._comms.get(str(msg.content, 'comm_id'));
      if (!comm) {
        this._log(`nbx kernel: comm_msg for unknown comm ${str(msg.content, 'comm_id')}`);
        return;
      }
      await comm.onMsg?.(contentObject(msg.content.data), msg.buffers, msg);
    },
    comm_close: (_channel, msg) => {
      this._comms
        .get(str(msg.content, 'comm_id'))
        ?.handleClose(contentObject(msg.content.data), msg);
    },
    execute_request: (channel, msg) => this._execute(channel, msg),
    is_complete_request: (channel, msg) =>
      this._reply(channel, msg, 'is_complete_reply', { status: 'complete' }),
    complete_request: (channel, msg) => {
      const cursor = typeof msg.content.cursor_pos === 'number' ? msg.content.cursor_pos : 0;
      return this._reply(channel, msg, 'complete_reply', {
        status: 'ok',
        matches: [],
        cursor_start: cursor,
        cursor_end: cursor,
        metadata: {}
      });
    },
    inspect_request: (channel, msg) =>
      this._reply(channel, msg, 'inspect_reply', {
        status: 'ok',
        found: false,
        data: {},
        metadata: {}
      }),
    history_request: (channel, msg) =>
      this._reply(channel, msg, 'history_reply', { status: 'ok', history: [] }),
    interrupt_request: (channel, msg) =>
      this._reply(channel, msg, 'interrupt_reply', { status: 'ok' }),
    shutdown_request: async (channel, msg) => {
      const restart = msg.content.restart === true;
      await this._reply(channel, msg, 'shutdown_reply', { status: 'ok', restart });
      await this._publish('status', { execution_state: 'idle' }, msg);
      this.close({ reason: 'shutdown_request', restart });
    }
  };

  private _openComm(msg: IMessage): Promise<void> | void {
    const commId = str(msg.content, 'comm_id');
    const targetName = str(msg.content, 'target_name');
    const target = this._targets.get(targetName);
    if (!commId) {
      this._log('nbx kernel: comm_open without a comm_id ignored');
      return;
    }
    if (!target) {
      this._log(`nbx kernel: no comm target '${targetName}'; closing comm ${commId}`);
      return this._publish('comm_close', { comm_id: commId, data: {} }, msg);
    }
    const comm = new Comm(
      {
        publish: (type, content, parent, buffers) => this._publish(type, content, parent, buffers),
        forget: c => {
          if (this._comms.get(c.commId) === c) {
            this._comms.delete(c.commId);
          }
        }
      },
      commId,
      targetName,
      msg
    );
    this._comms.set(commId, comm);
    try {
      target(comm, msg);
    } catch (err) {
      this._log(`nbx kernel: comm target '${targetName}' failed: ${(err as Error).message}`);
      return comm.close();
    }
  }

  private async _execute(channel: RequestChannel, msg: IMessage): Promise<void> {
    const silent = msg.content.silent === true;
    if (!silent && msg.content.store_history !== false) {
      this._executionCount++;
    }
    const count = this._executionCount;
    if (!silent) {
      void this._publish(
        'execute_input',
        { code: str(msg.content, 'code'), execution_count: count },
        msg
      );
      void this._publish('stream', { name: 'stdout', text: this._executeText }, msg);
    }
    await this._reply(channel, msg, 'execute_reply', {
      status: 'ok',
      execution_count: count,
      user_expressions: {},
      payload: []
    });
  }

  /** Sends a reply to `parent` on its channel, routed back to its sender. */
  private _reply(
    channel: RequestChannel,
    parent: IMessage,
    msgType: string,
    content: Content
  ): Promise<void> {
    const reply = createMessage(this._session, msgType, content, { parent });
    return this._send(channel, reply);
  }

  /** Publishes on iopub with a `kernel.<session>.<type>` topic. Never rejects. */
  private _publish(
    msgType: string,
    content: Content,
    parent: IMessage,
    buffers: Buffer[] = []
  ): Promise<void> {
    const msg = createMessage(this._session, msgType, content, { parent, buffers });
    msg.identities = [Buffer.from(`kernel.${this._session.session}.${msgType}`)];
    return this._send('iopub', msg);
  }

  private async _send(channel: RequestChannel | 'iopub', msg: IMessage): Promise<void> {
    if (this._isClosed) {
      return;
    }
    try {
      await this._wires[channel].send(serialize(msg, this._signer));
    } catch (err) {
      if (!this._isClosed) {
        this._log(
          `nbx kernel: could not send ${msg.header.msg_type} on ${channel}: ${(err as Error).message}`
        );
      }
    }
  }

  private readonly _signer: Signer;
  private readonly _session: ReturnType<typeof newSession>;
  private readonly _kernelInfo: Content;
  private readonly _executeText: string;
  private readonly _log: (line: string) => void;
  private readonly _wires: {
    shell: Wire<zmq.Router>;
    control: Wire<zmq.Router>;
    stdin: Wire<zmq.Router>;
    iopub: Wire<zmq.Publisher>;
    hb: Wire<zmq.Reply>;
  };
  private readonly _targets = new Map<string, CommTargetHandler>();
  private readonly _comms = new Map<string, Comm>();
  private _executionCount = 0;
  private _isClosed = false;
  private _resolveClosed: (closed: IServerClosed) => void = () => undefined;
}

/** A JSON object field of a message (`data` of comm messages), else `{}`. */
function contentObject(value: unknown): Content {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Content)
    : {};
}
