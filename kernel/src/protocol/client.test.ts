/**
 * KernelClient against a small fake kernel made of real ZeroMQ sockets bound
 * in the test: what we sign, the kernel accepts; what is badly signed, we drop.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import * as zmq from 'zeromq';

import { waitFor } from '../testing/fixtures';
import { ClientClosedError, KernelClient } from './client';
import { address, newConnectionInfo, type IConnectionInfo } from './connection';
import { createMessage, newSession, parentId, type Channel, type IMessage } from './messages';
import { deserialize, serialize, Signer, WireError } from './wire';

const kernelSession = newSession('fake-kernel');

function delay(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}

/** Resolves with 'pending' if `p` has not settled within `ms`. */
function settledWithin<T>(p: Promise<T>, ms: number): Promise<T | 'pending'> {
  return Promise.race([p, new Promise<'pending'>(r => setTimeout(() => r('pending'), ms))]);
}

/** The fake kernel's side: sockets bound on the connection's ports. */
class FakeKernel {
  readonly signer: Signer;
  readonly shell = new zmq.Router({ linger: 0 });
  readonly stdin = new zmq.Router({ linger: 0, mandatory: true });
  readonly iopub = new zmq.Publisher({ linger: 0 });
  readonly hb = new zmq.Reply({ linger: 0 });

  constructor(readonly info: IConnectionInfo) {
    this.signer = new Signer(info.key);
  }

  async bind(sockets: Array<'shell' | 'stdin' | 'iopub' | 'hb'>): Promise<void> {
    for (const name of sockets) {
      await this[name].bind(address(this.info, name));
    }
  }

  /** The next request on shell, verified with the connection key. */
  async nextShell(): Promise<IMessage> {
    const frames = await this.shell.receive();
    return deserialize(frames, this.signer);
  }

  /** Replies to `request` on shell, signed by `signer` (the right one by default). */
  async replyShell(request: IMessage, signer = this.signer): Promise<void> {
    const reply = createMessage(
      kernelSession,
      request.header.msg_type.replace(/_request$/, '_reply'),
      { status: 'ok', protocol_version: '5.3', language_info: { name: 'fake' } },
      { parent: request }
    );
    await this.shell.send(serialize(reply, signer));
  }

  async publish(msgType: string, parent?: IMessage, signer = this.signer): Promise<void> {
    const msg = createMessage(kernelSession, msgType, { execution_state: 'idle' }, { parent });
    msg.identities = [Buffer.from(`kernel.${msgType}`)];
    await this.iopub.send(serialize(msg, signer));
  }

  close(): void {
    for (const s of [this.shell, this.stdin, this.iopub, this.hb]) {
      s.close();
    }
  }
}

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) {
    cleanups.pop()?.();
  }
});

async function setup(
  sockets: Array<'shell' | 'stdin' | 'iopub' | 'hb'>
): Promise<{ kernel: FakeKernel; client: KernelClient; wireErrors: Array<[Channel, Error]> }> {
  const info = await newConnectionInfo('fake');
  const kernel = new FakeKernel(info);
  await kernel.bind(sockets);
  const client = new KernelClient(info, 'tester');
  const wireErrors: Array<[Channel, Error]> = [];
  client.onWireError = (channel, err) => wireErrors.push([channel, err]);
  cleanups.push(
    () => client.close(),
    () => kernel.close()
  );
  return { kernel, client, wireErrors };
}

describe('KernelClient with a fake kernel', () => {
  it('sends correctly signed requests and resolves a correctly signed reply', async () => {
    const { kernel, client, wireErrors } = await setup(['shell']);
    const { msgId, reply } = client.request('shell', 'kernel_info_request', {});
    const request = await kernel.nextShell(); // deserialize verified our signature
    assert.equal(request.header.msg_id, msgId);
    assert.equal(request.header.msg_type, 'kernel_info_request');
    assert.equal(request.header.session, client.session.session);
    assert.equal(request.header.username, 'tester');
    assert.equal(request.identities.length, 1);
    assert.match(request.identities[0].toString(), /^nbx-/);
    // The same frames fail verification under any other key.
    assert.throws(
      () => deserialize(serialize(request, kernel.signer), new Signer('not the key')),
      WireError
    );
    await kernel.replyShell(request);
    const answer = await reply;
    assert.equal(answer.header.msg_type, 'kernel_info_reply');
    assert.equal(parentId(answer), msgId);
    assert.deepEqual(answer.content.language_info, { name: 'fake' });
    assert.deepEqual(wireErrors, []);
  });

  it('drops a reply signed with the wrong key and reports it through onWireError', async () => {
    const { kernel, client, wireErrors } = await setup(['shell']);
    const { reply } = client.request('shell', 'kernel_info_request', {});
    const request = await kernel.nextShell();
    await kernel.replyShell(request, new Signer('the wrong key'));
    await waitFor(() => (wireErrors.length ? true : undefined), 3000, 'a wire error');
    assert.equal(await settledWithin(reply, 300), 'pending');
    assert.equal(wireErrors.length, 1);
    const [channel, err] = wireErrors[0];
    assert.equal(channel, 'shell');
    assert.ok(err instanceof WireError);
    assert.match(err.message, /signature/);
    // The client keeps listening: a correctly signed reply still resolves the request.
    await kernel.replyShell(request);
    assert.equal(parentId(await reply), request.header.msg_id);
  });

  it('ignores replies to requests it did not send or has released', async () => {
    const { kernel, client, wireErrors } = await setup(['shell']);
    const first = client.request('shell', 'kernel_info_request', {});
    const firstRequest = await kernel.nextShell();
    client.release(first.msgId);
    await kernel.replyShell(firstRequest);
    const second = client.request('shell', 'kernel_info_request', {});
    const secondRequest = await kernel.nextShell();
    await kernel.replyShell(secondRequest);
    assert.equal(parentId(await second.reply), second.msgId);
    assert.equal(await settledWithin(first.reply, 100), 'pending');
    assert.deepEqual(wireErrors, []);
  });

  it('routes iopub by parent, counts iopub traffic, and drops badly signed iopub', async () => {
    const { kernel, client, wireErrors } = await setup(['shell', 'iopub']);
    const unclaimed: IMessage[] = [];
    client.onUnclaimedIopub = msg => unclaimed.push(msg);
    assert.equal(client.lastIopubAt, 0);
    // A SUB socket misses what was published before it joined: publish until one arrives.
    for (let i = 0; unclaimed.length === 0; i++) {
      assert.ok(i < 100, 'no iopub message arrived within 5 s');
      await kernel.publish('status');
      await delay(50);
    }
    assert.ok(client.lastIopubAt > 0);
    const claimed: IMessage[] = [];
    const { msgId } = client.request('shell', 'execute_request', { code: '' }, msg =>
      claimed.push(msg)
    );
    const request = await kernel.nextShell();
    await kernel.publish('status', request, new Signer('bad'));
    await kernel.publish('stream', request);
    await waitFor(() => (claimed.length ? true : undefined), 3000, 'the claimed message');
    assert.equal(claimed.length, 1);
    assert.equal(claimed[0].header.msg_type, 'stream');
    assert.equal(parentId(claimed[0]), msgId);
    assert.deepEqual(
      wireErrors.map(([channel, err]) => [channel, err.name]),
      [['iopub', 'WireError']]
    );
    // Released: later messages of that request are unclaimed.
    client.release(msgId);
    const before = unclaimed.length;
    await kernel.publish('stream', request);
    await waitFor(() => (unclaimed.length > before ? true : undefined), 3000, 'unclaimed');
    assert.equal(parentId(unclaimed[unclaimed.length - 1]), msgId);
  });

  it('answers input_request on stdin, which shares the shell routing id', async () => {
    const { kernel, client, wireErrors } = await setup(['shell', 'stdin']);
    const prompts: string[] = [];
    client.onInputRequest = msg => {
      prompts.push(String(msg.content.prompt));
      return 'typed value';
    };
    const { reply } = client.request('shell', 'execute_request', {
      code: 'input()',
      allow_stdin: true
    });
    reply.catch(() => undefined); // never answered: rejected by close() at cleanup
    const request = await kernel.nextShell();
    const ask = createMessage(
      kernelSession,
      'input_request',
      { prompt: 'name? ', password: false },
      {
        parent: request
      }
    );
    // The routing id learned on shell addresses the client's stdin socket (once it has
    // connected: the router is mandatory, so sending before then fails and we retry).
    for (let i = 0; ; i++) {
      try {
        await kernel.stdin.send(serialize(ask, kernel.signer)); // to request.identities
        break;
      } catch (err) {
        assert.ok(i < 60, `stdin never routable: ${String(err)}`);
        await delay(50);
      }
    }
    const answer = deserialize(await kernel.stdin.receive(), kernel.signer);
    assert.equal(answer.header.msg_type, 'input_reply');
    assert.deepEqual(answer.content, { value: 'typed value' });
    assert.equal(parentId(answer), ask.header.msg_id);
    assert.deepEqual(answer.identities, request.identities);
    assert.deepEqual(prompts, ['name? ']);
    assert.deepEqual(wireErrors, []);
  });

  it('heartbeat: true when the peer echoes, false within the timeout when nobody does', async () => {
    const { kernel, client } = await setup(['hb']);
    const echo = (async () => {
      for await (const frames of kernel.hb) {
        await kernel.hb.send(frames);
      }
    })().catch(() => undefined);
    assert.equal(await client.heartbeat(2000), true);
    kernel.hb.close();
    await echo;
    const silent = new KernelClient(await newConnectionInfo());
    cleanups.push(() => silent.close());
    const start = Date.now();
    assert.equal(await silent.heartbeat(200), false);
    assert.ok(Date.now() - start < 1500, `took ${Date.now() - start} ms`);
  });

  it('close() rejects pending requests and refuses new ones', async () => {
    const { kernel, client } = await setup(['shell']);
    const pending = client.request('shell', 'kernel_info_request', {});
    await kernel.nextShell();
    client.close();
    assert.ok(client.closed);
    await assert.rejects(pending.reply, ClientClosedError);
    await assert.rejects(
      client.request('control', 'shutdown_request', {}).reply,
      ClientClosedError
    );
    client.close(); // idempotent
  });
});
