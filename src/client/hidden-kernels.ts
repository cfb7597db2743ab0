/**
 * Keeps the nbx service kernel out of sight: not a card in the Launcher, not a choice in
 * the notebook kernel picker (neither to start nor, once running, to connect to), not a
 * kernel in the Running panel. JupyterLab reads all of those from the kernelspec manager
 * (`IKernelSpecManager`) and the kernel manager (`IKernelManager`); these two plugins
 * provide the same managers with the service kernel filtered out of what they list. A
 * plugin providing a service overrides the core one (Lumino's plugin registry), and
 * federated extensions register after the core, so no core plugin has to be disabled —
 * and disabling these plugins brings the core managers back.
 *
 * The service kernel still starts and runs: `kernels.startNew({ name })` and `connectTo`
 * work for any name, and only the listings skip it. A kernelspec is hidden when its
 * `metadata.nbx.service` is true (see kernel/src/service/install.ts); a running kernel is
 * hidden when its kernelspec is.
 */
import {
  IConnectionStatus,
  IKernelManager,
  IKernelSpecManager,
  IServerSettings,
  Kernel,
  KernelManager,
  KernelSpec,
  KernelSpecAPI,
  KernelSpecManager,
  ServerConnection,
  type ServiceManagerPlugin
} from '@jupyterlab/services';
import { Signal, type ISignal } from '@lumino/signaling';
import { SERVICE_KERNEL } from './connection';

/** Names of the kernelspecs to hide (the service's, and any other marked as nbx services). */
const HIDDEN_KERNELS = new Set<string>([SERVICE_KERNEL]);

/** True for a kernelspec that `metadata.nbx.service` marks as an nbx service kernel. */
export function isServiceKernelSpec(spec: KernelSpecAPI.ISpecModel): boolean {
  const nbx = spec.metadata?.nbx;
  return (
    spec.name === SERVICE_KERNEL ||
    (typeof nbx === 'object' && nbx !== null && !Array.isArray(nbx) && nbx.service === true)
  );
}

/** True for a running kernel of a hidden kernelspec. */
export function isHiddenKernel(model: Kernel.IModel): boolean {
  return HIDDEN_KERNELS.has(model.name);
}

/** The kernelspecs the server lists, without the service kernels. */
class FilteredKernelSpecAPIClient implements KernelSpec.IKernelSpecAPIClient {
  constructor(serverSettings?: ServerConnection.ISettings) {
    this._client = new KernelSpecAPI.KernelSpecAPIClient({ serverSettings });
    this.serverSettings = this._client.serverSettings;
  }

  readonly serverSettings: ServerConnection.ISettings;

  async get(): Promise<KernelSpecAPI.ISpecModels> {
    const models = await this._client.get();
    const kernelspecs: { [key: string]: KernelSpecAPI.ISpecModel | undefined } = {};
    for (const [name, spec] of Object.entries(models.kernelspecs)) {
      if (spec && isServiceKernelSpec(spec)) {
        HIDDEN_KERNELS.add(name);
      } else {
        kernelspecs[name] = spec;
      }
    }
    return { ...models, kernelspecs };
  }

  private readonly _client: KernelSpecAPI.KernelSpecAPIClient;
}

/**
 * The kernel manager, listing running kernels without the service kernel. The kernels
 * are all tracked as usual (a connection to the service kernel stays alive); only
 * `running()`, `runningCount` and `runningChanged` leave it out.
 */
export class FilteredKernelManager extends KernelManager {
  constructor(options: KernelManager.IOptions = {}) {
    super(options);
    super.runningChanged.connect((_, models) => {
      this._filteredChanged.emit(models.filter(model => !isHiddenKernel(model)));
    });
  }

  get runningChanged(): ISignal<this, Kernel.IModel[]> {
    return this._filteredChanged;
  }

  *running(): IterableIterator<Kernel.IModel> {
    for (const model of super.running()) {
      if (!isHiddenKernel(model)) {
        yield model;
      }
    }
  }

  get runningCount(): number {
    let count = 0;
    for (const model of super.running()) {
      if (!isHiddenKernel(model)) {
        count++;
      }
    }
    return count;
  }

  /** Every running kernel, the hidden ones included. */
  *runningAll(): IterableIterator<Kernel.IModel> {
    yield* super.running();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    super.dispose();
    Signal.clearData(this);
  }

  private _filteredChanged = new Signal<this, Kernel.IModel[]>(this);
}

/** When the managers stop polling: as the core plugins do. */
function standbyOf(status: IConnectionStatus | null): () => boolean | 'when-hidden' {
  return () => !status?.isConnected || 'when-hidden';
}

/** The kernelspec manager, without the service kernel (Launcher, kernel picker). */
export const kernelSpecsPlugin: ServiceManagerPlugin<KernelSpec.IManager> = {
  id: 'jupyterlab-nbx:kernelspecs',
  description:
    'Lists kernelspecs without the nbx service kernel, so it is neither in the Launcher nor in the kernel picker.',
  autoStart: true,
  provides: IKernelSpecManager,
  optional: [IServerSettings, IConnectionStatus],
  // The rule cannot resolve IServerSettings' type (Token<ServerConnection.ISettings>).
  // eslint-disable-next-line jupyter/plugin-activation-args
  activate: (
    _: null,
    serverSettings: ServerConnection.ISettings | null,
    status: IConnectionStatus | null
  ): KernelSpec.IManager =>
    new KernelSpecManager({
      serverSettings: serverSettings ?? undefined,
      standby: standbyOf(status),
      kernelSpecAPIClient: new FilteredKernelSpecAPIClient(serverSettings ?? undefined)
    })
};

/** The kernel manager, without the running service kernel (kernel picker, Running panel). */
export const kernelsPlugin: ServiceManagerPlugin<Kernel.IManager> = {
  id: 'jupyterlab-nbx:kernels',
  description:
    'Lists running kernels without the nbx service kernel, so the kernel picker does not offer it.',
  autoStart: true,
  provides: IKernelManager,
  optional: [IServerSettings, IConnectionStatus],
  // The rule cannot resolve IServerSettings' type (Token<ServerConnection.ISettings>).
  // eslint-disable-next-line jupyter/plugin-activation-args
  activate: (
    _: null,
    serverSettings: ServerConnection.ISettings | null,
    status: IConnectionStatus | null
  ): Kernel.IManager =>
    new FilteredKernelManager({
      serverSettings: serverSettings ?? undefined,
      standby: standbyOf(status)
    })
};
