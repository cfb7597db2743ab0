/**
 * The nbx JupyterLab extension: the browser side of nbx.
 *
 * For now one plugin, `jupyterlab-nbx:plugin`, with the "About nbx" command in the palette. The
 * panels (Runs, Scalars, Compare) and "Run as experiment" come as their own plugins and
 * talk to the nbx service kernel over Jupyter comms; nothing here touches the filesystem.
 */
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { Dialog, ICommandPalette, showDialog } from '@jupyterlab/apputils';
import { ITranslator, nullTranslator, type TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';
import { runExperimentPlugin } from './run-dialog/plugin';
import { kernelSpecsPlugin, kernelsPlugin } from './client/hidden-kernels';
import { runViewPlugin } from './run-view/plugin';
import { runsPlugin } from './runs/plugin';
import { NbxServiceConnection } from './client/connection';
import { INbxService } from './tokens';

/** The command ids of this plugin. */
namespace CommandIDs {
  export const about = 'nbx:about';
}

/** The palette category of nbx's commands. */
const PALETTE_CATEGORY = 'nbx';

/** The connection to the service kernel, shared by every nbx panel and command. */
const servicePlugin: JupyterFrontEndPlugin<INbxService> = {
  id: 'jupyterlab-nbx:service',
  description: 'Connects to the nbx service kernel, which reads and runs experiments.',
  autoStart: true,
  provides: INbxService,
  activate: (app: JupyterFrontEnd): INbxService => new NbxServiceConnection(app.serviceManager)
};

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-nbx:plugin',
  description: 'nbx: run notebooks as tracked experiments. Adds the "About nbx" command.',
  autoStart: true,
  requires: [ICommandPalette],
  optional: [ITranslator],
  activate: (app: JupyterFrontEnd, palette: ICommandPalette, translator: ITranslator | null) => {
    const trans = (translator ?? nullTranslator).load('nbx');

    app.commands.addCommand(CommandIDs.about, {
      label: trans.__('About nbx'),
      caption: trans.__('Show what nbx is'),
      describedBy: { args: { type: 'object', properties: {} } },
      execute: async () => {
        await showDialog({
          title: trans.__('About nbx'),
          body: Private.aboutBody(trans),
          buttons: [Dialog.okButton({ label: trans.__('Close') })]
        });
      }
    });
    palette.addItem({ command: CommandIDs.about, category: PALETTE_CATEGORY });
  }
};

export default [
  servicePlugin,
  plugin,
  runsPlugin,
  runViewPlugin,
  runExperimentPlugin,
  kernelSpecsPlugin,
  kernelsPlugin
];

namespace Private {
  /** The body of the About dialog. */
  export function aboutBody(trans: TranslationBundle): Widget {
    const node = document.createElement('div');
    node.className = 'nbx-AboutDialog';
    const tagline = document.createElement('p');
    tagline.className = 'nbx-AboutDialog-tagline';
    tagline.textContent = trans.__('Notebooks as tracked experiments.');
    const details = document.createElement('p');
    details.textContent = trans.__(
      'Run a notebook headlessly with its flags, record everything about the run, and compare runs. From the command line: %1.',
      'nbx run NOTEBOOK [FLAG=VALUE ...]'
    );
    node.append(tagline, details);
    return new Widget({ node });
  }
}
