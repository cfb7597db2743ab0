/**
 * The request dispatcher on its own: envelopes, unknown methods, bad params, failing
 * methods and binary results all become replies, never exceptions.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { UserError } from '../base/errors';
import {
  Dispatcher,
  oneLine,
  parseRequest,
  type IServiceContext,
  type ServiceMethod
} from './protocol';
import { requireString } from './params';

function context(logs: string[]): IServiceContext {
  return { cwd: '/', env: {}, rootFor: () => '/runs-root', log: line => logs.push(line) };
}

const methods: Record<string, ServiceMethod> = {
  echo: params => ({ json: { text: requireString(params, 'text') } }),
  bytes: () => ({ json: { n: 3 }, buffers: [new Uint8Array([1, 2, 3])] }),
  nothing: () => ({}),
  refuse: () => {
    throw new UserError('no run matches');
  },
  crash: async () => {
    throw new TypeError('x is undefined\n    at somewhere');
  }
};

describe('Dispatcher', () => {
  const logs: string[] = [];
  const dispatcher = new Dispatcher(methods, context(logs));

  it('answers with the method result and its buffers', async () => {
    assert.deepEqual(await dispatcher.handle({ id: 1, method: 'echo', params: { text: 'hi' } }), {
      reply: { id: 1, ok: true, result: { text: 'hi' } },
      buffers: []
    });
    const bytes = await dispatcher.handle({ id: 2, method: 'bytes' });
    assert.deepEqual(bytes.reply, { id: 2, ok: true, result: { n: 3 } });
    assert.deepEqual(bytes.buffers, [new Uint8Array([1, 2, 3])]);
    const nothing = await dispatcher.handle({ id: 3, method: 'nothing', params: null });
    assert.deepEqual(nothing.reply, { id: 3, ok: true, result: null });
  });

  it('refuses malformed requests with a usable id when there is one', async () => {
    for (const data of [null, 'listRuns', [1], { method: 'echo' }, { id: 'a', method: 'echo' }]) {
      const { reply } = await dispatcher.handle(data);
      assert.equal(reply.ok, false);
      assert.equal(reply.id, null);
      assert.match((reply as { error: string }).error, /^malformed request/);
    }
    const { reply } = await dispatcher.handle({ id: 7, method: 'echo', params: [1] });
    assert.deepEqual(reply, {
      id: 7,
      ok: false,
      error: 'malformed request: "params" must be an object'
    });
  });

  it('names unknown methods and lists the known ones', async () => {
    for (const method of ['nope', 'toString', '__proto__']) {
      const { reply } = await dispatcher.handle({ id: 4, method, params: {} });
      assert.equal(reply.ok, false);
      assert.equal(
        (reply as { error: string }).error,
        `unknown method '${method}'; methods: bytes, crash, echo, nothing, refuse`
      );
    }
  });

  it('turns bad params and failures into one-line errors', async () => {
    const missing = await dispatcher.handle({ id: 5, method: 'echo', params: {} });
    assert.deepEqual(missing.reply, {
      id: 5,
      ok: false,
      error: "missing parameter 'text' (a string)"
    });
    const wrong = await dispatcher.handle({ id: 6, method: 'echo', params: { text: 3 } });
    assert.equal(
      (wrong.reply as { error: string }).error,
      "parameter 'text' must be a non-empty string, not number 3"
    );
    const refused = await dispatcher.handle({ id: 8, method: 'refuse' });
    assert.deepEqual(refused.reply, { id: 8, ok: false, error: 'no run matches' });
    assert.equal(logs.length, 0, 'expected errors are not logged');
    const crashed = await dispatcher.handle({ id: 9, method: 'crash' });
    assert.deepEqual(crashed.reply, { id: 9, ok: false, error: 'x is undefined' });
    assert.equal(logs.length, 1, 'a bug is logged with its stack');
    assert.match(logs[0], /crash failed: TypeError/);
  });
});

describe('parseRequest and oneLine', () => {
  it('defaults params to {}', () => {
    assert.deepEqual(parseRequest({ id: 0, method: 'm' }), { id: 0, method: 'm', params: {} });
  });

  it('keeps the first non-empty line', () => {
    assert.equal(oneLine(new Error('\n  first\nsecond')), 'first');
    assert.equal(oneLine('plain'), 'plain');
  });
});
