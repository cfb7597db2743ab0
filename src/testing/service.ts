/**
 * Test support (Node only, never in the bundle): the nbx service's real methods, in this
 * process, behind the frontend's connection interface. A request goes through the
 * service's own dispatcher (params checked, errors as one line) over a runs root on disk,
 * and its JSON travels as over the comm (serialized and parsed again); only the Jupyter
 * kernel and comm between them are left out.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Signal } from '@lumino/signaling';
import type {
  IListRunsParams,
  IRunOutputEvent,
  IScalarsAppendedEvent,
  ServiceMethodName,
  ServiceResult
} from '../../kernel/src/contract/service';
import { ServiceConnection } from '../../kernel/lib/service/connection';
import { createContext } from '../../kernel/lib/service/context';
import { SERVICE_METHODS } from '../../kernel/lib/service/methods';
import { Dispatcher } from '../../kernel/lib/service/protocol';
import { RunWatch } from '../../kernel/lib/service/run-watch';
import { ScalarsWatch } from '../../kernel/lib/service/scalars-watch';
import { RootedService } from '../client/rooted';
import { NbxSettings } from '../settings';
import type {
  INbxConnection,
  INbxService,
  IRunsChanged,
  IScalarsAppended,
  IServiceReply,
  RequestParams
} from '../tokens';

/** A project directory with its runs root, removed when the process exits. */
export interface IProject {
  /** The service's directory (JupyterLab's root directory). */
  dir: string;
  /** The runs root (`NBX_HOME`). */
  root: string;
  /** The environment the service runs in. */
  env: NodeJS.ProcessEnv;
}

/** A fresh project directory; `env` is added to the service's environment. */
export function tempProject(env: NodeJS.ProcessEnv = {}): IProject {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'nbx-front-')));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  const root = path.join(dir, '.nbx');
  return { dir, root, env: { ...process.env, ...env, NBX_HOME: root } };
}

/** The service's methods for `project`, as the frontend's connection. */
export class LocalConnection implements INbxConnection {
  constructor(project: IProject) {
    this._dispatcher = new Dispatcher(
      SERVICE_METHODS,
      createContext({
        cwd: project.dir,
        env: project.env,
        log: () => undefined,
        scalars: this._scalars,
        runs: this._runs
      })
    );
  }

  /** Stops the live watches. */
  dispose(): void {
    this._connection.close();
    this._scalars.close();
    this._runs.close();
  }

  /** The watches this connection holds in the service. */
  get watches(): number {
    return this._connection.watches;
  }

  /** The requests made so far, by method name. */
  readonly requests: ServiceMethodName[] = [];

  readonly runsChanged: Signal<INbxConnection, IRunsChanged> = new Signal(this);

  readonly scalarsAppended: Signal<INbxConnection, IScalarsAppended> = new Signal(this);

  readonly runOutput: Signal<INbxConnection, IRunOutputEvent> = new Signal(this);

  /** Never emitted: this connection does not go away. */
  readonly connected: Signal<INbxConnection, void> = new Signal(this);

  async request<M extends ServiceMethodName>(
    method: M,
    ...[params]: RequestParams<M>
  ): Promise<IServiceReply<ServiceResult<M>>> {
    this.requests.push(method);
    const data: unknown = JSON.parse(JSON.stringify({ id: this.requests.length, method, params }));
    const { reply, buffers } = await this._dispatcher.handle(data, this._connection);
    if (!reply.ok) {
      throw new Error(reply.error);
    }
    return {
      result: JSON.parse(JSON.stringify(reply.result)) as ServiceResult<M>,
      buffers: buffers.map(dataView)
    };
  }

  private _dispatcher: Dispatcher;
  private _scalars = new ScalarsWatch({ delayMs: 20 });
  private _runs = new RunWatch({ pushMs: 50 });
  // Pushes as the service kernel does, without the comm (JSON serialized and parsed again,
  // buffers as the comm delivers them).
  private _connection = new ServiceConnection((event, buffers) => {
    const data = JSON.parse(JSON.stringify(event)) as typeof event;
    if (data.event === 'scalars-appended') {
      const scalars: IScalarsAppendedEvent = data;
      this.scalarsAppended.emit({
        id: scalars.id,
        keys: scalars.keys,
        buffers: buffers.map(dataView)
      });
    } else if (data.event === 'run-output') {
      this.runOutput.emit(data);
    }
  });
}

/** A binary buffer as the comm delivers it. */
function dataView(b: ArrayBuffer | ArrayBufferView): DataView {
  return ArrayBuffer.isView(b)
    ? new DataView(b.buffer, b.byteOffset, b.byteLength)
    : new DataView(b);
}

/**
 * The service over `connection` as the panels take it (default settings), with the params
 * of every `listRuns` request it sends kept in `listings`, in order.
 */
export function countingListings(connection: INbxConnection): {
  service: INbxService;
  listings: IListRunsParams[];
} {
  const rooted = new RootedService(connection, new NbxSettings(null));
  const listings: IListRunsParams[] = [];
  const service: INbxService = {
    settings: rooted.settings,
    runsChanged: rooted.runsChanged,
    scalarsAppended: rooted.scalarsAppended,
    runOutput: rooted.runOutput,
    connected: rooted.connected,
    request: ((method, ...params) => {
      if (method === 'listRuns') {
        listings.push((params[0] ?? {}) as IListRunsParams);
      }
      return rooted.request(method, ...params);
    }) as INbxService['request']
  };
  return { service, listings };
}
