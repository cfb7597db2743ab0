/**
 * The request/response protocol the nbx frontend speaks over the `nbx` comm.
 *
 * The frontend sends `{ id, method, params }` as a comm message's data; the service
 * answers with a comm message `{ id, ok: true, result }` (binary results such as
 * Arrow IPC bytes travel in the message's buffers) or `{ id, ok: false, error }` with
 * a one-line error. The service also pushes events, e.g.
 * `{ event: 'runs-changed', root, ids }`. The methods, their params and results, and the
 * events are declared in the contract (contract/service.ts); this module is the
 * dispatcher, which also answers requests that break it.
 */
import { errorMessage, UserError } from '../base/errors';
import type {
  CommTarget,
  IRunsChangedEvent,
  ServiceMethodName,
  ServiceParams,
  ServiceResult
} from '../contract';
import type { BinaryBuffer } from '../protocol/server';
import { isObject, ParamError, type Params } from './params';
import type { ServiceConnection } from './connection';
import type { RunWatch } from './run-watch';
import type { ScalarsWatch } from './scalars-watch';
import type { ServiceStandby } from './standby';

/** The name of the comm target the frontend opens. */
export const COMM_TARGET: CommTarget = 'nbx';

/** A request from the frontend. */
export interface IServiceRequest {
  /** Chosen by the frontend; echoed in the reply. */
  id: number;
  method: string;
  params: Params;
}

/** A successful reply; `result` is JSON, binary payloads are in the comm buffers. */
export interface IServiceOk {
  id: number;
  ok: true;
  result: unknown;
}

/** A failed reply; `id` is null when the request had no usable id. */
export interface IServiceError {
  id: number | null;
  ok: false;
  /** One line, meant to be shown to a person. */
  error: string;
}

/** What the service answers to a request. */
export type ServiceReply = IServiceOk | IServiceError;

export type { IRunsChangedEvent };

/** What a method produces: JSON for `result`, and binary buffers sent beside it. */
export interface IMethodResult<R = unknown> {
  json?: R;
  buffers?: BinaryBuffer[];
}

/** Where a method runs: the service's directory and environment, and helpers. */
export interface IServiceContext {
  /** The kernel's working directory (JupyterLab starts it in the session's directory). */
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** The runs root for a request: its `root` param if given, else the one found from `cwd`. */
  rootFor(params: Params): string;
  /** Diagnostics, one line each. */
  log(line: string): void;
  /** The live scalars pushed to the frontend (the service kernel has them). */
  scalars?: ScalarsWatch;
  /** The standby kernel runs started from JupyterLab take (see service/standby.ts). */
  standby?: ServiceStandby;
  /** The runs whose output is pushed to the frontend (the service kernel has them). */
  runs?: RunWatch;
  /** The connection (comm) the request came on: it holds the watches the request makes. */
  connection?: ServiceConnection;
}

/** A method of the service, as the dispatcher calls it. */
export type ServiceMethod = (
  params: Params,
  context: IServiceContext
) => IMethodResult | Promise<IMethodResult>;

/**
 * The params of method `M` as they arrive: the names the contract declares, each still
 * unchecked (the method validates what it reads, see params.ts). Reading a name the
 * contract does not declare does not compile.
 */
export type RequestOf<M extends ServiceMethodName> = {
  readonly [K in keyof ServiceParams<M>]?: unknown;
};

/** What method `M` produces: the result the contract declares, and any buffers. */
export interface IMethodReply<M extends ServiceMethodName> {
  json: ServiceResult<M>;
  buffers?: BinaryBuffer[];
}

/** Method `M` as the contract declares it. */
export type MethodOf<M extends ServiceMethodName> = (
  params: RequestOf<M>,
  context: IServiceContext
) => IMethodReply<M> | Promise<IMethodReply<M>>;

/** Every method of the contract, by name. */
export type ServiceMethodTable = { readonly [M in ServiceMethodName]: MethodOf<M> };

/** A reply ready to send: its data and buffers. */
export interface IReplyMessage {
  reply: ServiceReply;
  buffers: BinaryBuffer[];
}

/** Reads a request out of comm data; a `ParamError` says what is wrong with it. */
export function parseRequest(data: unknown): IServiceRequest {
  if (!isObject(data)) {
    throw new ParamError('malformed request: expected { id, method, params }');
  }
  const { id, method, params } = data;
  if (typeof id !== 'number' || !Number.isSafeInteger(id)) {
    throw new ParamError('malformed request: "id" must be an integer');
  }
  if (typeof method !== 'string' || method === '') {
    throw new ParamError('malformed request: "method" must be a non-empty string');
  }
  if (params !== undefined && params !== null && !isObject(params)) {
    throw new ParamError('malformed request: "params" must be an object');
  }
  return { id, method, params: isObject(params) ? params : {} };
}

/** The request id of comm data, if it has a usable one (for error replies). */
function requestId(data: unknown): number | null {
  return isObject(data) && typeof data.id === 'number' && Number.isSafeInteger(data.id)
    ? data.id
    : null;
}

/** The one-line message of an error, for the frontend. */
export function oneLine(err: unknown): string {
  const text = errorMessage(err).trim();
  const first = text.split(/\r?\n/).find(line => line.trim() !== '') ?? 'unknown error';
  return first.trim();
}

/**
 * Routes requests to methods. Never throws: every problem (malformed request,
 * unknown method, bad params, a failing method) becomes an error reply.
 */
export class Dispatcher {
  constructor(
    private readonly _methods: Readonly<Record<string, ServiceMethod>>,
    private readonly _context: IServiceContext
  ) {}

  /** The method names, sorted. */
  get methods(): string[] {
    return Object.keys(this._methods).sort();
  }

  /** Handles one request's comm data (from `connection`) and resolves with the reply to send. */
  async handle(data: unknown, connection?: ServiceConnection): Promise<IReplyMessage> {
    let request: IServiceRequest;
    try {
      request = parseRequest(data);
    } catch (err) {
      return failure(requestId(data), err);
    }
    const method = Object.prototype.hasOwnProperty.call(this._methods, request.method)
      ? this._methods[request.method]
      : undefined;
    if (!method) {
      return failure(
        request.id,
        new ParamError(`unknown method '${request.method}'; methods: ${this.methods.join(', ')}`)
      );
    }
    try {
      const context = connection ? { ...this._context, connection } : this._context;
      const result = await method(request.params, context);
      return {
        reply: { id: request.id, ok: true, result: result.json ?? null },
        buffers: result.buffers ?? []
      };
    } catch (err) {
      if (!(err instanceof UserError) && !(err instanceof ParamError)) {
        this._context.log(
          `nbx service: ${request.method} failed: ${(err as Error).stack ?? String(err)}`
        );
      }
      return failure(request.id, err);
    }
  }
}

function failure(id: number | null, err: unknown): IReplyMessage {
  return { reply: { id, ok: false, error: oneLine(err) }, buffers: [] };
}
