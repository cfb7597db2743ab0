/**
 * Wire format of Jupyter messages over ZeroMQ: identities, the `<IDS|MSG>`
 * delimiter, an HMAC signature, four JSON frames, then binary buffers.
 */
import { createHmac, timingSafeEqual } from 'crypto';
import type { Content, IHeader, IMessage } from './messages';

const DELIMITER = Buffer.from('<IDS|MSG>');

/** Raised for frames that are not a well-formed, correctly signed message. */
export class WireError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WireError';
  }
}

/**
 * Signs messages and checks signatures with one key.
 *
 * An empty key disables signing, as the spec allows; tslab cannot work without
 * one, so the launcher always generates a key.
 */
export class Signer {
  constructor(
    private readonly _key: string,
    scheme = 'hmac-sha256'
  ) {
    if (scheme !== 'hmac-sha256') {
      throw new WireError(`unsupported signature scheme '${scheme}' (only hmac-sha256 is)`);
    }
  }

  sign(frames: Buffer[]): string {
    if (!this._key) {
      return '';
    }
    const hmac = createHmac('sha256', this._key);
    for (const frame of frames) {
      hmac.update(frame);
    }
    return hmac.digest('hex');
  }

  verify(signature: string, frames: Buffer[]): boolean {
    if (!this._key) {
      return true;
    }
    const expected = Buffer.from(this.sign(frames));
    const given = Buffer.from(signature);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }
}

/** Frames to send for `msg`, identities first. */
export function serialize(msg: IMessage, signer: Signer): Buffer[] {
  const parts = [msg.header, msg.parent_header, msg.metadata, msg.content].map(part =>
    Buffer.from(JSON.stringify(part))
  );
  return [...msg.identities, DELIMITER, Buffer.from(signer.sign(parts)), ...parts, ...msg.buffers];
}

/** Parses received frames; throws `WireError` on a bad signature or shape. */
export function deserialize(frames: Buffer[], signer: Signer): IMessage {
  const delim = frames.findIndex(f => f.equals(DELIMITER));
  if (delim < 0 || frames.length < delim + 6) {
    throw new WireError('malformed message: missing delimiter or frames');
  }
  const signature = frames[delim + 1].toString();
  const parts = frames.slice(delim + 2, delim + 6);
  if (!signer.verify(signature, parts)) {
    throw new WireError('message signature does not match the connection key');
  }
  const [header, parentHeader, metadata, content] = parts.map(p => parseJson(p));
  if (!isHeader(header)) {
    throw new WireError('malformed message: header lacks msg_id or msg_type');
  }
  return {
    identities: frames.slice(0, delim),
    header,
    parent_header: (parentHeader ?? {}) as Partial<IHeader>,
    metadata: (metadata ?? {}) as Content,
    content: (content ?? {}) as Content,
    buffers: frames.slice(delim + 6)
  };
}

function parseJson(frame: Buffer): unknown {
  try {
    return JSON.parse(frame.toString('utf8'));
  } catch {
    throw new WireError('malformed message: a frame is not JSON');
  }
}

function isHeader(value: unknown): value is IHeader {
  if (typeof value !== 'object' || value === null) {
    return false;
  }
  const h = value as Record<string, unknown>;
  return typeof h.msg_id === 'string' && typeof h.msg_type === 'string';
}
