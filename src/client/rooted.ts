/**
 * The nbx service as the Runs panel and the run views use it: every request carries the
 * runs root of nbx's settings (`runsRoot` of `jupyterlab-nbx:plugin`, where "Run as Experiment"
 * starts runs), and `live` follows its `refresh` setting (`manual`: only the Refresh
 * buttons fetch).
 */
import type { ISettingRegistry } from '@jupyterlab/settingregistry';
import { Signal, type ISignal } from '@lumino/signaling';
import type { ServiceMethodName, ServiceResult } from '../../kernel/src/contract/service';
import type { INbxService, IServiceReply, RequestParams } from '../tokens';

/** The plugin holding nbx's general settings. */
export const NBX_SETTINGS = 'jupyterlab-nbx:plugin';

/** The service connection, with the runs root and refresh mode of the settings. */
export class RootedService implements INbxService {
  constructor(service: INbxService, settingRegistry: ISettingRegistry | null) {
    this._service = service;
    this.ready = settingRegistry
      ? settingRegistry
          .load(NBX_SETTINGS)
          .then(settings => {
            this._read(settings);
            settings.changed.connect(this._read, this);
          })
          .catch(() => {
            // No nbx settings: the service's own runs root, live.
          })
      : Promise.resolve();
  }

  /** Resolves once the settings are read (or found missing). */
  readonly ready: Promise<void>;

  /** The `runsRoot` setting ('' for the service's own choice). */
  get root(): string {
    return this._root;
  }

  /** False when the `refresh` setting is `manual`. */
  get live(): boolean {
    return this._live;
  }

  /** Emitted when the runs root or the refresh mode changed. */
  get settingsChanged(): ISignal<this, void> {
    return this._settingsChanged;
  }

  get runsChanged(): ISignal<INbxService, string[]> {
    return this._service.runsChanged;
  }

  async request<M extends ServiceMethodName>(
    method: M,
    ...[params]: RequestParams<M>
  ): Promise<IServiceReply<ServiceResult<M>>> {
    await this.ready;
    const root = this._root;
    // Every method takes `root` (contract: IRootParams).
    const rooted = (root !== '' ? { ...params, root } : (params ?? {})) as RequestParams<M>[0];
    return this._service.request<M>(method, ...([rooted] as RequestParams<M>));
  }

  private _read(settings: ISettingRegistry.ISettings): void {
    const root = settings.get('runsRoot').composite;
    const refresh = settings.get('refresh').composite;
    const next = { root: typeof root === 'string' ? root.trim() : '', live: refresh !== 'manual' };
    if (next.root !== this._root || next.live !== this._live) {
      this._root = next.root;
      this._live = next.live;
      this._settingsChanged.emit();
    }
  }

  private _service: INbxService;
  private _root = '';
  private _live = true;
  private _settingsChanged = new Signal<this, void>(this);
}
