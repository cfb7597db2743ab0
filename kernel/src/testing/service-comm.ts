/**
 * The frontend's side of an `nbx` comm in tests, over the real kernel client: requests
 * answered by id, and the events the service pushes, collected.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { KernelClient } from '../protocol/client';
import type { IConnectionInfo } from '../protocol/connection';
import { KernelServer } from '../protocol/server';
import { NbxService, type INbxServiceOptions } from '../service/service';
import { str, type Content } from '../protocol/messages';
import type { IRunOutputEvent, IRunsChangedEvent, IScalarsAppendedEvent } from '../contract';
import type { ServiceReply } from '../service/protocol';
import { waitFor, within } from './fixtures';

interface ICallResult {
  reply: ServiceReply;
  buffers: Buffer[];
}

/** The frontend's side of one `nbx` comm, over the real client. */
export class ServiceComm {
  readonly commId = randomUUID();
  readonly events: IRunsChangedEvent[] = [];
  /** `run-output` pushes. */
  readonly output: IRunOutputEvent[] = [];
  /** `scalars-appended` pushes, with their buffers. */
  readonly scalars: { event: IScalarsAppendedEvent; buffers: Buffer[] }[] = [];

  constructor(private readonly _client: KernelClient) {}

  /** Opens the comm; pushed events (parented to the comm_open) are collected. */
  async open(): Promise<void> {
    let idle = (): void => undefined;
    const idled = new Promise<void>(resolve => (idle = resolve));
    const { reply } = this._client.request(
      'shell',
      'comm_open',
      { comm_id: this.commId, target_name: 'nbx', data: {} },
      msg => {
        const data = msg.content.data as Content | undefined;
        if (msg.header.msg_type === 'comm_msg' && data?.event === 'runs-changed') {
          this.events.push(data as unknown as IRunsChangedEvent);
        }
        if (msg.header.msg_type === 'comm_msg' && data?.event === 'run-output') {
          this.output.push(data as unknown as IRunOutputEvent);
        }
        if (msg.header.msg_type === 'comm_msg' && data?.event === 'scalars-appended') {
          this.scalars.push({
            event: data as unknown as IScalarsAppendedEvent,
            buffers: msg.buffers
          });
        }
        if (msg.header.msg_type === 'status' && str(msg.content, 'execution_state') === 'idle') {
          idle();
        }
      }
    );
    reply.catch(() => undefined);
    await within(idled, 5000, 'comm_open');
  }

  /** Closes the comm from the frontend's side (a tab reloaded, a panel gone). */
  async close(): Promise<void> {
    let idle = (): void => undefined;
    const idled = new Promise<void>(resolve => (idle = resolve));
    const { msgId, reply } = this._client.request(
      'shell',
      'comm_close',
      { comm_id: this.commId, data: {} },
      msg => {
        if (msg.header.msg_type === 'status' && str(msg.content, 'execution_state') === 'idle') {
          idle();
        }
      }
    );
    reply.catch(() => undefined);
    try {
      await within(idled, 5000, 'comm_close');
    } finally {
      this._client.release(msgId);
    }
  }

  /** Sends comm data and resolves with the first comm message answering it. */
  async send(data: unknown, timeoutMs = 30_000): Promise<ICallResult> {
    let answer = (_r: ICallResult): void => undefined;
    const answered = new Promise<ICallResult>(resolve => (answer = resolve));
    const { msgId, reply } = this._client.request(
      'shell',
      'comm_msg',
      { comm_id: this.commId, data },
      msg => {
        if (msg.header.msg_type === 'comm_msg') {
          answer({ reply: msg.content.data as ServiceReply, buffers: msg.buffers });
        }
      }
    );
    reply.catch(() => undefined);
    try {
      return await within(answered, timeoutMs, `reply to ${JSON.stringify(data).slice(0, 80)}`);
    } finally {
      this._client.release(msgId);
    }
  }

  private _nextId = 1;

  async call(method: string, params: Content = {}): Promise<ICallResult> {
    const id = this._nextId++;
    const result = await this.send({ id, method, params });
    assert.equal(result.reply.id, id, 'the reply carries the request id');
    return result;
  }

  /** The result of a call that must succeed. */
  async ok<T = unknown>(method: string, params: Content = {}): Promise<T> {
    const { reply } = await this.call(method, params);
    assert.ok(reply.ok, `${method} failed: ${reply.ok ? '' : reply.error}`);
    return reply.result as T;
  }

  /** The error of a call that must fail. */
  async fails(method: string, params: Content = {}): Promise<string> {
    const { reply } = await this.call(method, params);
    assert.equal(reply.ok, false, `${method} should have failed`);
    const error = reply.ok ? '' : reply.error;
    assert.ok(!error.includes('\n'), `one line: ${error}`);
    return error;
  }

  /** Waits for a `runs-changed` event naming `id` among the events from `since`. */
  async changed(id: string, since: number, what: string): Promise<void> {
    await waitFor(
      () => (this.events.slice(since).some(e => e.ids.includes(id)) ? true : undefined),
      5000,
      what
    );
  }
}

/** The service in this process on a real kernel server, and a real client of it. */
export interface IInProcessService {
  server: KernelServer;
  service: NbxService;
  client: KernelClient;
  /** Diagnostics the service logged. */
  logs: string[];
  close(): void;
}

/** Starts the service on a kernel server with free ports, and a client subscribed to it. */
export async function inProcessService(options: INbxServiceOptions): Promise<IInProcessService> {
  const logs: string[] = [];
  const log = (line: string): void => {
    logs.push(line);
  };
  const ports: IConnectionInfo = {
    transport: 'tcp',
    ip: '127.0.0.1',
    shell_port: 0,
    iopub_port: 0,
    stdin_port: 0,
    control_port: 0,
    hb_port: 0,
    key: randomBytes(16).toString('hex'),
    signature_scheme: 'hmac-sha256'
  };
  const server = await KernelServer.start(ports, { log });
  const service = new NbxService(server, { log, ...options });
  const client = new KernelClient(server.connection);
  // The iopub subscription reaches the server some time after connecting.
  await waitFor(
    () => {
      if (client.lastIopubAt > 0) {
        return true;
      }
      client.request('shell', 'kernel_info_request', {}).reply.catch(() => undefined);
      return undefined;
    },
    10_000,
    'iopub subscription'
  );
  return {
    server,
    service,
    client,
    logs,
    close: () => {
      client.close();
      service.close();
      server.close();
    }
  };
}
