/**
 * KernelServer in this process, driven by the real KernelClient (and a raw
 * dealer socket for messages the client cannot make: binary buffers, bad
 * signatures).
 */
import assert from 'node:assert/strict';
import { within } from '../testing/fixtures';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import * as zmq from 'zeromq';

import { KernelClient } from './client';
import { address, type IConnectionInfo } from './connection';
import { createMessage, newSession, parentId, str, type Content, type IMessage } from './messages';
import { KernelServer, type Comm } from './server';
import { SERVICE_EXECUTE_TEXT } from './server-info';
import { deserialize, serialize, Signer } from './wire';

/** A connection with port 0 everywhere: the server binds free ports and reports them. */
function anyPorts(): IConnectionInfo {
  return {
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
}

interface IExchange {
  reply: IMessage | null;
  iopub: IMessage[];
}

/**
 * Sends a request and collects its iopub messages until `idle` (and the
 * reply, when the message type has one).
 */
async function exchange(
  client: KernelClient,
  channel: 'shell' | 'control',
  msgType: string,
  content: Content,
  expectReply = true
): Promise<IExchange> {
  const iopub: IMessage[] = [];
  let idle = (): void => undefined;
  const idled = new Promise<void>(resolve => (idle = resolve));
  const { msgId, reply } = client.request(channel, msgType, content, msg => {
    iopub.push(msg);
    if (msg.header.msg_type === 'status' && str(msg.content, 'execution_state') === 'idle') {
      idle();
    }
  });
  const answer = expectReply ? await within(reply, 5000, `${msgType} reply`) : null;
  await within(idled, 5000, `${msgType} idle`);
  client.release(msgId);
  return { reply: answer, iopub };
}

/** The iopub client sees nothing until its subscription reached the server. */
async function waitSubscribed(client: KernelClient): Promise<void> {
  const deadline = Date.now() + 5000;
  while (client.lastIopubAt === 0) {
    assert.ok(Date.now() < deadline, 'iopub never delivered a message');
    await exchange(client, 'shell', 'kernel_info_request', {}).catch(() => undefined);
  }
}

describe('KernelServer', () => {
  let server: KernelServer;
  let client: KernelClient;
  const logs: string[] = [];
  const opened: Comm[] = [];

  before(async () => {
    server = await KernelServer.start(anyPorts(), { log: line => logs.push(line) });
    server.registerCommTarget('echo', comm => {
      opened.push(comm);
      comm.onMsg = async (data, buffers, msg) => {
        if (data.close === true) {
          await comm.close({ bye: true }, { parent: msg });
          return;
        }
        await comm.send(
          { echo: data },
          buffers.map(b => b.subarray().reverse()),
          { parent: msg }
        );
      };
    });
    server.registerCommTarget('broken', () => {
      throw new Error('cannot open');
    });
    client = new KernelClient(server.connection);
    await waitSubscribed(client);
  });

  after(() => {
    client.close();
    server.close();
  });

  it('binds the ports it was given as 0 and reports them', () => {
    for (const name of ['shell', 'iopub', 'stdin', 'control', 'hb'] as const) {
      assert.ok(server.connection[`${name}_port`] > 0, name);
    }
  });

  it('answers kernel_info inside busy/idle parented to the request', async () => {
    const { reply, iopub } = await exchange(client, 'shell', 'kernel_info_request', {});
    assert.ok(reply);
    assert.equal(reply.header.msg_type, 'kernel_info_reply');
    assert.equal(reply.content.protocol_version, '5.3');
    assert.equal(reply.content.implementation, 'nbx');
    assert.equal((reply.content.language_info as Content).name, 'nbx');
    assert.equal(typeof reply.content.banner, 'string');
    assert.ok(Array.isArray(reply.content.help_links));
    const states = iopub.map(m => str(m.content, 'execution_state'));
    assert.deepEqual(states, ['busy', 'idle']);
    for (const msg of iopub) {
      assert.equal(parentId(msg), reply.parent_header.msg_id);
    }
  });

  it('answers execute_request politely with an incremented execution_count', async () => {
    const code = { code: 'print(1)', silent: false, store_history: true };
    const first = await exchange(client, 'shell', 'execute_request', code);
    const second = await exchange(client, 'shell', 'execute_request', code);
    assert.equal(first.reply?.content.status, 'ok');
    const n = first.reply?.content.execution_count as number;
    assert.equal(second.reply?.content.execution_count, n + 1);
    const stream = first.iopub.find(m => m.header.msg_type === 'stream');
    assert.ok(stream);
    assert.equal(stream.content.name, 'stdout');
    assert.equal(stream.content.text, SERVICE_EXECUTE_TEXT);
    const input = first.iopub.find(m => m.header.msg_type === 'execute_input');
    assert.equal(input?.content.code, 'print(1)');

    const silent = await exchange(client, 'shell', 'execute_request', { code: 'x', silent: true });
    assert.equal(silent.reply?.content.execution_count, n + 1);
    assert.deepEqual(
      silent.iopub.map(m => m.header.msg_type),
      ['status', 'status']
    );
  });

  it('gives valid empty replies to completion, inspection and history', async () => {
    const complete = await exchange(client, 'shell', 'complete_request', {
      code: 'ab',
      cursor_pos: 2
    });
    assert.deepEqual(complete.reply?.content, {
      status: 'ok',
      matches: [],
      cursor_start: 2,
      cursor_end: 2,
      metadata: {}
    });
    const isComplete = await exchange(client, 'shell', 'is_complete_request', { code: 'x' });
    assert.equal(isComplete.reply?.content.status, 'complete');
    const inspect = await exchange(client, 'shell', 'inspect_request', {
      code: 'x',
      cursor_pos: 1
    });
    assert.equal(inspect.reply?.content.found, false);
    const history = await exchange(client, 'shell', 'history_request', {
      hist_access_type: 'tail'
    });
    assert.deepEqual(history.reply?.content.history, []);
  });

  it('answers interrupt_request on control', async () => {
    const { reply } = await exchange(client, 'control', 'interrupt_request', {});
    assert.equal(reply?.header.msg_type, 'interrupt_reply');
    assert.equal(reply?.content.status, 'ok');
  });

  it('ignores unknown message types and keeps answering', async () => {
    for (const type of ['no_such_request', 'constructor', '__proto__']) {
      const { iopub } = await exchange(client, 'shell', type, {}, false);
      assert.equal(iopub.length, 2);
      assert.ok(
        logs.some(
          line => line === `nbx kernel: ignored a ${type} message on shell (not supported)`
        ),
        type
      );
    }
    const { reply } = await exchange(client, 'shell', 'kernel_info_request', {});
    assert.equal(reply?.header.msg_type, 'kernel_info_reply');
  });

  it('echoes heartbeats', async () => {
    assert.equal(await client.heartbeat(2000), true);
  });

  it('opens comms, lists them by target, and closes them from either side', async () => {
    const commId = randomUUID();
    await exchange(
      client,
      'shell',
      'comm_open',
      { comm_id: commId, target_name: 'echo', data: {} },
      false
    );
    assert.equal(opened.at(-1)?.commId, commId);

    const all = await exchange(client, 'shell', 'comm_info_request', {});
    assert.deepEqual((all.reply?.content.comms as Content)[commId], { target_name: 'echo' });
    const echoOnly = await exchange(client, 'shell', 'comm_info_request', { target_name: 'echo' });
    assert.deepEqual(Object.keys(echoOnly.reply?.content.comms as Content), [commId]);
    const other = await exchange(client, 'shell', 'comm_info_request', { target_name: 'other' });
    assert.deepEqual(other.reply?.content.comms, {});

    const { iopub } = await exchange(
      client,
      'shell',
      'comm_msg',
      { comm_id: commId, data: { hello: 'world' } },
      false
    );
    const echoed = iopub.find(m => m.header.msg_type === 'comm_msg');
    assert.ok(echoed, 'the comm answered, parented to the request');
    assert.deepEqual(echoed.content, { comm_id: commId, data: { echo: { hello: 'world' } } });

    const closing = await exchange(
      client,
      'shell',
      'comm_msg',
      { comm_id: commId, data: { close: true } },
      false
    );
    const close = closing.iopub.find(m => m.header.msg_type === 'comm_close');
    assert.deepEqual(close?.content, { comm_id: commId, data: { bye: true } });
    const none = await exchange(client, 'shell', 'comm_info_request', {});
    assert.deepEqual(none.reply?.content.comms, {});

    const second = randomUUID();
    await exchange(
      client,
      'shell',
      'comm_open',
      { comm_id: second, target_name: 'echo', data: {} },
      false
    );
    let closedBy: Content | null = null;
    const comm = opened.at(-1);
    assert.ok(comm);
    comm.onClose = data => (closedBy = data);
    await exchange(
      client,
      'shell',
      'comm_close',
      { comm_id: second, data: { reason: 'tab closed' } },
      false
    );
    assert.deepEqual(closedBy, { reason: 'tab closed' });
    assert.equal(comm.closed, true);
    assert.equal(server.comms.length, 0);
  });

  it('closes comms to unknown or failing targets at once', async () => {
    for (const target of ['nobody', 'broken']) {
      const commId = randomUUID();
      const { iopub } = await exchange(
        client,
        'shell',
        'comm_open',
        { comm_id: commId, target_name: target, data: {} },
        false
      );
      const close = iopub.find(m => m.header.msg_type === 'comm_close');
      assert.equal(close?.content.comm_id, commId, target);
    }
    assert.equal(server.comms.length, 0);
  });

  describe('raw frames', () => {
    let dealer: zmq.Dealer;
    const session = newSession('raw');
    const signer = (): Signer => new Signer(server.connection.key);

    before(() => {
      dealer = new zmq.Dealer({ linger: 0 });
      dealer.connect(address(server.connection, 'shell'));
    });

    after(() => dealer.close());

    async function receiveReply(): Promise<IMessage> {
      const [frames] = await Promise.all([within(dealer.receive(), 5000, 'raw reply')]);
      return deserialize(frames, signer());
    }

    it('carries binary buffers both ways on comm messages', async () => {
      const commId = randomUUID();
      await exchange(
        client,
        'shell',
        'comm_open',
        { comm_id: commId, target_name: 'echo', data: {} },
        false
      );
      const bytes = Buffer.from([1, 2, 3, 250, 0, 7]);
      const msg = createMessage(
        session,
        'comm_msg',
        { comm_id: commId, data: { bin: 1 } },
        {
          buffers: [bytes]
        }
      );
      const got = new Promise<IMessage>(resolve => {
        client.onUnclaimedIopub = m => {
          if (m.header.msg_type === 'comm_msg' && parentId(m) === msg.header.msg_id) {
            resolve(m);
          }
        };
      });
      await dealer.send(serialize(msg, signer()));
      const echoed = await within(got, 5000, 'binary echo');
      client.onUnclaimedIopub = null;
      assert.equal(echoed.buffers.length, 1);
      assert.deepEqual([...echoed.buffers[0]], [7, 0, 250, 3, 2, 1]);
      await exchange(client, 'shell', 'comm_close', { comm_id: commId, data: {} }, false);
    });

    it('drops messages with a bad signature and keeps working', async () => {
      const before = logs.length;
      const forged = createMessage(session, 'kernel_info_request', {});
      await dealer.send(serialize(forged, new Signer('not-the-key')));
      const good = createMessage(session, 'kernel_info_request', {});
      await dealer.send(serialize(good, signer()));
      const reply = await receiveReply();
      assert.equal(parentId(reply), good.header.msg_id, 'only the signed request was answered');
      assert.ok(
        logs.slice(before).some(line => line.includes('signature')),
        'the forged message was logged'
      );
    });
  });

  it('replies to shutdown_request, then closes', async () => {
    const { reply, msgId } = client.request('control', 'shutdown_request', { restart: true });
    const answer = await within(reply, 5000, 'shutdown reply');
    client.release(msgId);
    assert.equal(answer.header.msg_type, 'shutdown_reply');
    assert.deepEqual(answer.content, { status: 'ok', restart: true });
    const closed = await within(server.closed, 5000, 'server closed');
    assert.deepEqual(closed, { reason: 'shutdown_request', restart: true });
    assert.equal(server.isClosed, true);
  });
});
