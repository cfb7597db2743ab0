/**
 * The browser end of the nbx service kernel: starts (or reuses) the kernel,
 * opens the `nbx` comm, matches replies to requests by id, and re-emits the
 * service's pushes (`runs-changed`, `scalars-appended`, `run-output`) as signals.
 */
import {
  KernelAPI,
  KernelSpecAPI,
  type Kernel,
  type KernelMessage,
  type ServiceManager
} from '@jupyterlab/services';
import { PromiseDelegate, type JSONObject } from '@lumino/coreutils';
import type { IDisposable } from '@lumino/disposable';
import { Signal, type ISignal } from '@lumino/signaling';
import type {
  CommTarget,
  IRunOutputEvent,
  IServiceRequest,
  ServiceEvent,
  ServiceKernelName,
  ServiceMethodName,
  ServiceReply,
  ServiceResult
} from '../../kernel/src/contract/service';
import type {
  INbxConnection,
  IRunsChanged,
  IScalarsAppended,
  IServiceReply,
  RequestParams
} from '../tokens';

// Both names are literal types of the contract: a spelling the service does not use
// does not compile.
/** Name of the service kernel's kernelspec. */
export const SERVICE_KERNEL: ServiceKernelName = 'nbx-service';
/** Comm target the service answers on. */
export const COMM_TARGET: CommTarget = 'nbx';

interface IPending {
  delegate: PromiseDelegate<IServiceReply<unknown>>;
}

export class NbxServiceConnection implements INbxConnection, IDisposable {
  constructor(private readonly _manager: ServiceManager.IManager) {}

  get runsChanged(): ISignal<this, IRunsChanged> {
    return this._runsChanged;
  }

  get scalarsAppended(): ISignal<this, IScalarsAppended> {
    return this._scalarsAppended;
  }

  get runOutput(): ISignal<this, IRunOutputEvent> {
    return this._runOutput;
  }

  get connected(): ISignal<this, void> {
    return this._connected;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  async request<M extends ServiceMethodName>(
    method: M,
    ...[params]: RequestParams<M>
  ): Promise<IServiceReply<ServiceResult<M>>> {
    const comm = await this._connect();
    const id = ++this._lastId;
    const delegate = new PromiseDelegate<IServiceReply<unknown>>();
    this._pending.set(id, { delegate });
    const request: IServiceRequest<M> = { id, method, params: params ?? {} };
    comm.send(request as unknown as JSONObject);
    // The reply to request `id` answers method `M` (the service echoes the id).
    return delegate.promise as Promise<IServiceReply<ServiceResult<M>>>;
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this._comm?.close();
    this._rejectAll('the nbx service connection was closed');
    Signal.clearData(this);
  }

  /** The open comm, starting the service kernel first when needed. */
  private _connect(): Promise<Kernel.IComm> {
    if (!this._connecting) {
      this._connecting = this._open().catch(err => {
        this._connecting = null;
        throw err;
      });
    }
    return this._connecting;
  }

  private async _open(): Promise<Kernel.IComm> {
    await this._manager.ready;
    const kernels = this._manager.kernels;
    // Listed by the server itself: the kernel manager's `running()` hides the service
    // kernel (see hidden-kernels.ts).
    const models = await KernelAPI.listRunning(this._manager.serverSettings);
    const running = models.find(k => k.name === SERVICE_KERNEL);
    // `path: ''` starts it in the server's root directory, where the notebook paths of
    // the contents API are relative to (without a path it would start in the server
    // process's working directory).
    const options: Kernel.IKernelOptions & { path: string } = { name: SERVICE_KERNEL, path: '' };
    if (!running) {
      await this._assertInstalled();
    }
    const kernel = running
      ? kernels.connectTo({ model: running })
      : await kernels.startNew(options);
    kernel.statusChanged.connect((_k, status) => {
      if (status === 'dead' || status === 'restarting' || status === 'autorestarting') {
        this._lost(`the nbx service kernel is ${status}`);
      }
    });
    kernel.disposed.connect(() => this._lost('the nbx service kernel was shut down'));
    const comm = kernel.createComm(COMM_TARGET);
    comm.onMsg = msg => this._onMsg(msg);
    comm.onClose = () => this._lost('the nbx service closed the connection');
    await comm.open({}).done;
    this._comm = comm;
    this._connected.emit();
    return comm;
  }

  /**
   * Fails with what to do when the server has no service kernelspec (the extension is
   * installed, the kernelspecs are not), instead of asking it to start one it cannot find.
   */
  private async _assertInstalled(): Promise<void> {
    // From the server itself: the kernelspec manager's listing hides the service kernel.
    const specs = await KernelSpecAPI.getSpecs(this._manager.serverSettings);
    if (!specs.kernelspecs[SERVICE_KERNEL]) {
      throw new Error(
        `the ${SERVICE_KERNEL} kernelspec is not installed in this Jupyter: run \`nbx install\` (\`nbx doctor\` shows what is missing)`
      );
    }
  }

  private _onMsg(msg: KernelMessage.ICommMsgMsg): void {
    const data = msg.content.data as unknown as ServiceReply | ServiceEvent;
    if ('event' in data) {
      if (data.event === 'runs-changed') {
        this._runsChanged.emit({
          root: data.root,
          ids: Private.strings(data.ids),
          removed: Private.strings(data.removed)
        });
      } else if (data.event === 'scalars-appended') {
        this._scalarsAppended.emit({
          id: data.id,
          keys: data.keys,
          buffers: dataViews(msg.buffers)
        });
      } else if (data.event === 'run-output') {
        this._runOutput.emit(data);
      }
      return;
    }
    const id = typeof data.id === 'number' ? data.id : null;
    const pending = id === null ? undefined : this._pending.get(id);
    if (!pending || id === null) {
      return;
    }
    this._pending.delete(id);
    if (data.ok === true) {
      pending.delegate.resolve({ result: data.result, buffers: dataViews(msg.buffers) });
    } else {
      pending.delegate.reject(new Error(String(data.error ?? 'the nbx service failed')));
    }
  }

  /** The connection is gone: fail what waits, and reconnect on the next request. */
  private _lost(why: string): void {
    this._comm = null;
    this._connecting = null;
    this._rejectAll(why);
  }

  private _rejectAll(why: string): void {
    for (const { delegate } of this._pending.values()) {
      delegate.reject(new Error(why));
    }
    this._pending.clear();
  }

  private _comm: Kernel.IComm | null = null;
  private _connecting: Promise<Kernel.IComm> | null = null;
  private _pending = new Map<number, IPending>();
  private _lastId = 0;
  private _disposed = false;
  private _runsChanged = new Signal<this, IRunsChanged>(this);
  private _scalarsAppended = new Signal<this, IScalarsAppended>(this);
  private _runOutput = new Signal<this, IRunOutputEvent>(this);
  private _connected = new Signal<this, void>(this);
}

/** A comm message's binary buffers as views. */
function dataViews(buffers: KernelMessage.ICommMsgMsg['buffers']): DataView[] {
  return (buffers ?? []).map(b =>
    b instanceof DataView ? b : new DataView(b instanceof ArrayBuffer ? b : b.buffer)
  );
}

namespace Private {
  /** The strings of a list pushed by the service ([] for anything else). */
  export function strings(value: unknown): string[] {
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  }
}
