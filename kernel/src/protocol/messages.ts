/**
 * Jupyter messaging protocol (v5.3) message shapes.
 *
 * See https://jupyter-client.readthedocs.io/en/latest/messaging.html. Content
 * types are kept loose (`Record<string, unknown>`): each consumer narrows the
 * fields it reads, which is what lets us talk to kernels that bend the spec
 * (tslab, for one, omits fields the spec calls required).
 */
import { randomUUID } from 'crypto';

export const PROTOCOL_VERSION = '5.3';

export type Channel = 'shell' | 'control' | 'iopub' | 'stdin';

export interface IHeader {
  msg_id: string;
  msg_type: string;
  session: string;
  username: string;
  date: string;
  version: string;
}

export type Content = Record<string, unknown>;

export interface IMessage<C extends Content = Content> {
  /** ZeroMQ routing identities that preceded the `<IDS|MSG>` delimiter. */
  identities: Buffer[];
  header: IHeader;
  /** Empty object when the message has no parent. */
  parent_header: Partial<IHeader>;
  metadata: Content;
  content: C;
  buffers: Buffer[];
}

/** Identity of one side of a conversation: fills the session fields of headers. */
export interface ISessionInfo {
  session: string;
  username: string;
}

export function newSession(username: string): ISessionInfo {
  return { session: randomUUID(), username };
}

/** A message ready to send: header filled in, no identities. */
export function createMessage<C extends Content>(
  session: ISessionInfo,
  msgType: string,
  content: C,
  options: { parent?: IMessage; metadata?: Content; buffers?: Buffer[] } = {}
): IMessage<C> {
  return {
    identities: options.parent ? options.parent.identities : [],
    header: {
      msg_id: randomUUID(),
      msg_type: msgType,
      session: session.session,
      username: session.username,
      date: new Date().toISOString(),
      version: PROTOCOL_VERSION
    },
    parent_header: options.parent ? options.parent.header : {},
    metadata: options.metadata ?? {},
    content,
    buffers: options.buffers ?? []
  };
}

/** The `msg_id` of the request a message answers, if any. */
export function parentId(msg: IMessage): string | undefined {
  return msg.parent_header.msg_id;
}

/** A string field of a content object, or `fallback`. */
export function str(content: Content, key: string, fallback = ''): string {
  const v = content[key];
  return typeof v === 'string' ? v : fallback;
}
