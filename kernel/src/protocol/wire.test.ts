/**
 * The wire format without sockets: framing, HMAC-SHA256 signing and
 * verification, and the errors raised for frames we must not trust.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';

import { createMessage, newSession, parentId, PROTOCOL_VERSION, str } from './messages';
import type { IMessage } from './messages';
import { deserialize, serialize, Signer, WireError } from './wire';

const KEY = 'a0b1c2d3-secret-key';
const DELIMITER = '<IDS|MSG>';

function sampleMessage(): IMessage {
  const session = newSession('tester');
  const msg = createMessage(
    session,
    'comm_msg',
    { comm_id: 'c1', data: { text: 'héllo ✓', n: 3, nested: [1, null, true] } },
    {
      metadata: { tag: 'm' },
      buffers: [Buffer.from([0, 1, 2, 253, 254, 255]), Buffer.alloc(0), Buffer.from('<IDS|MSG>')]
    }
  );
  msg.identities = [Buffer.from('router-id-1'), Buffer.from([0, 0xff, 0x10])];
  return msg;
}

/** The four JSON frames of a message, found independently of `serialize`. */
function jsonFrames(frames: Buffer[]): Buffer[] {
  const delim = frames.findIndex(f => f.toString() === DELIMITER);
  return frames.slice(delim + 2, delim + 6);
}

describe('serialize / deserialize', () => {
  it('lays out identities, delimiter, signature, four JSON frames and buffers', () => {
    const msg = sampleMessage();
    const frames = serialize(msg, new Signer(KEY));
    assert.equal(frames.length, 2 + 1 + 1 + 4 + 3);
    assert.deepEqual(frames.slice(0, 2), msg.identities);
    assert.equal(frames[2].toString(), DELIMITER);
    assert.match(frames[3].toString(), /^[0-9a-f]{64}$/);
    assert.deepEqual(JSON.parse(frames[4].toString()), msg.header);
    assert.deepEqual(JSON.parse(frames[5].toString()), {});
    assert.deepEqual(JSON.parse(frames[6].toString()), { tag: 'm' });
    assert.deepEqual(JSON.parse(frames[7].toString()), msg.content);
    assert.deepEqual(frames.slice(8), msg.buffers);
  });

  it('round-trips identities, header, content and binary buffers', () => {
    const msg = sampleMessage();
    const signer = new Signer(KEY);
    const back = deserialize(serialize(msg, signer), signer);
    assert.deepEqual(back, msg);
    // A buffer that equals the delimiter does not confuse the parser: it comes after it.
    assert.equal(back.buffers[2].toString(), DELIMITER);
  });

  it('signs with HMAC-SHA256 of the four JSON frames, as node crypto computes it', () => {
    const frames = serialize(sampleMessage(), new Signer(KEY));
    const expected = createHmac('sha256', KEY)
      .update(Buffer.concat(jsonFrames(frames)))
      .digest('hex');
    assert.equal(frames[3].toString(), expected);
  });

  it('accepts a message signed independently with the key', () => {
    const header = {
      msg_id: 'abc',
      msg_type: 'status',
      session: 's',
      username: 'u',
      date: '2024-01-01T00:00:00.000Z',
      version: '5.3'
    };
    const parts = [header, { msg_id: 'p' }, {}, { execution_state: 'idle' }].map(p =>
      Buffer.from(JSON.stringify(p))
    );
    const hmac = createHmac('sha256', KEY);
    parts.forEach(p => hmac.update(p));
    const frames = [Buffer.from(DELIMITER), Buffer.from(hmac.digest('hex')), ...parts];
    const msg = deserialize(frames, new Signer(KEY));
    assert.deepEqual(msg.header, header);
    assert.equal(parentId(msg), 'p');
    assert.equal(str(msg.content, 'execution_state'), 'idle');
    assert.deepEqual(msg.identities, []);
    assert.deepEqual(msg.buffers, []);
  });

  it('rejects a tampered content frame with WireError', () => {
    const signer = new Signer(KEY);
    const frames = serialize(sampleMessage(), signer);
    frames[7] = Buffer.from(JSON.stringify({ comm_id: 'c1', data: { evil: true } }));
    assert.throws(() => deserialize(frames, signer), WireError);
    assert.throws(() => deserialize(frames, signer), /signature does not match/);
  });

  it('rejects a tampered header, a tampered signature and a truncated signature', () => {
    const signer = new Signer(KEY);
    const good = serialize(sampleMessage(), signer);
    const header = [...good];
    header[4] = Buffer.from(header[4].toString().replace('comm_msg', 'execute_request'));
    assert.throws(() => deserialize(header, signer), WireError);
    const sig = [...good];
    const hex = sig[3].toString();
    sig[3] = Buffer.from((hex[0] === '0' ? '1' : '0') + hex.slice(1));
    assert.throws(() => deserialize(sig, signer), WireError);
    const short = [...good];
    short[3] = Buffer.from(hex.slice(0, 32));
    assert.throws(() => deserialize(short, signer), WireError);
  });

  it('rejects a message signed with another key', () => {
    const frames = serialize(sampleMessage(), new Signer('another key'));
    assert.throws(() => deserialize(frames, new Signer(KEY)), WireError);
  });

  it('rejects frames without the delimiter, or with too few frames after it', () => {
    const signer = new Signer(KEY);
    const frames = serialize(sampleMessage(), signer);
    const noDelim = frames.filter(f => f.toString() !== DELIMITER);
    assert.throws(() => deserialize(noDelim, signer), WireError);
    assert.throws(() => deserialize(noDelim, signer), /missing delimiter/);
    assert.throws(() => deserialize(frames.slice(0, 7), signer), WireError);
    assert.throws(() => deserialize([], signer), WireError);
  });

  it('rejects a correctly signed frame that is not JSON, or a header without msg_id', () => {
    const signer = new Signer(KEY);
    const sign = (parts: Buffer[]): Buffer[] => [
      Buffer.from(DELIMITER),
      Buffer.from(signer.sign(parts)),
      ...parts
    ];
    const notJson = [Buffer.from('{"msg_id":'), Buffer.from('{}'), Buffer.from('{}')];
    assert.throws(() => deserialize(sign([...notJson, Buffer.from('{}')]), signer), /not JSON/);
    const noId = [{ msg_type: 'status' }, {}, {}, {}].map(p => Buffer.from(JSON.stringify(p)));
    assert.throws(() => deserialize(sign(noId), signer), /lacks msg_id/);
  });

  it('with an empty key, signs nothing and verifies nothing', () => {
    const unsigned = new Signer('');
    const frames = serialize(sampleMessage(), unsigned);
    assert.equal(frames[3].length, 0);
    assert.equal(unsigned.sign([Buffer.from('x')]), '');
    assert.ok(unsigned.verify('anything', [Buffer.from('x')]));
    // A wrong signature and tampered content both pass: there is nothing to check against.
    frames[3] = Buffer.from('0'.repeat(64));
    frames[7] = Buffer.from('{"changed":1}');
    assert.deepEqual(deserialize(frames, unsigned).content, { changed: 1 });
    // And a message signed with a key is accepted too.
    const signed = serialize(sampleMessage(), new Signer(KEY));
    assert.equal(deserialize(signed, unsigned).header.msg_type, 'comm_msg');
  });

  it('throws for an unsupported signature scheme', () => {
    assert.throws(() => new Signer(KEY, 'hmac-sha1'), WireError);
    assert.throws(() => new Signer(KEY, 'hmac-md5'), /unsupported signature scheme 'hmac-md5'/);
    assert.doesNotThrow(() => new Signer(KEY, 'hmac-sha256'));
  });
});

describe('createMessage', () => {
  it('fills the header from the session and answers a parent on its identities', () => {
    const session = newSession('alice');
    const request = createMessage(session, 'execute_request', { code: '1' });
    assert.equal(request.header.session, session.session);
    assert.equal(request.header.username, 'alice');
    assert.equal(request.header.version, PROTOCOL_VERSION);
    assert.match(request.header.date, /^\d{4}-\d\d-\d\dT/);
    assert.deepEqual(request.parent_header, {});
    assert.equal(parentId(request), undefined);
    request.identities = [Buffer.from('peer')];
    const kernel = newSession('kernel');
    const reply = createMessage(kernel, 'execute_reply', { status: 'ok' }, { parent: request });
    assert.deepEqual(reply.identities, [Buffer.from('peer')]);
    assert.equal(parentId(reply), request.header.msg_id);
    assert.notEqual(reply.header.msg_id, request.header.msg_id);
    assert.equal(str(reply.content, 'status'), 'ok');
    assert.equal(str(reply.content, 'missing', 'dflt'), 'dflt');
  });
});
