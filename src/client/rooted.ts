/**
 * The nbx service with nbx's settings: every request carries the runs root of the
 * settings (`runsRoot`, where "Run as Experiment" starts runs and the panels look), and
 * `startRun` whether the service keeps a standby kernel (`standbyKernel`).
 */
import type { ServiceMethodName, ServiceResult } from '../../kernel/src/contract/service';
import type { INbxSettings } from '../settings';
import type { INbxConnection, INbxService, IServiceReply, RequestParams } from '../tokens';

/** The service connection, with the runs root of the settings. */
export class RootedService implements INbxService {
  constructor(connection: INbxConnection, settings: INbxSettings) {
    this._connection = connection;
    this.settings = settings;
  }

  readonly settings: INbxSettings;

  get runsChanged(): INbxConnection['runsChanged'] {
    return this._connection.runsChanged;
  }

  get scalarsAppended(): INbxConnection['scalarsAppended'] {
    return this._connection.scalarsAppended;
  }

  get runOutput(): INbxConnection['runOutput'] {
    return this._connection.runOutput;
  }

  get connected(): INbxConnection['connected'] {
    return this._connection.connected;
  }

  async request<M extends ServiceMethodName>(
    method: M,
    ...[params]: RequestParams<M>
  ): Promise<IServiceReply<ServiceResult<M>>> {
    await this.settings.ready;
    const { runsRoot: root, standbyKernel } = this.settings.current;
    // Every method takes `root` (the contract's IRootParams); `startRun` takes `standby`.
    const added = {
      ...(root !== '' ? { root } : {}),
      ...(method === 'startRun' && standbyKernel === false ? { standby: false } : {})
    };
    const rooted = { ...added, ...params } as RequestParams<M>[0];
    return this._connection.request<M>(method, ...([rooted] as RequestParams<M>));
  }

  private _connection: INbxConnection;
}
