/**
 * `jupyterlab-nbx:service`: the connection to the service kernel, shared by every nbx
 * panel and command, with nbx's settings.
 */
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { NbxSettings } from '../settings';
import { INbxService } from '../tokens';
import { NbxServiceConnection } from './connection';
import { RootedService } from './rooted';

export const servicePlugin: JupyterFrontEndPlugin<INbxService> = {
  id: 'jupyterlab-nbx:service',
  description: 'Connects to the nbx service kernel, which reads and runs experiments.',
  autoStart: true,
  provides: INbxService,
  optional: [ISettingRegistry],
  activate: (app: JupyterFrontEnd, settingRegistry: ISettingRegistry | null): INbxService =>
    new RootedService(
      new NbxServiceConnection(app.serviceManager),
      new NbxSettings(settingRegistry)
    )
};
