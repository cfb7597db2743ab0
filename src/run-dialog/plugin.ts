/**
 * `jupyterlab-nbx:run-experiment`: "Run as Experiment…" (`nbx:run-experiment`) in the
 * palette, the notebook toolbar, the file browser's context menu for notebooks and a
 * keyboard shortcut (those three are declared in `schema/run-experiment.json`).
 */
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { CommandIDs, PALETTE_CATEGORY } from '../commands';
import { INbxService } from '../tokens';
// Commands are added at activation; what they open loads on first use.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { addRunExperimentCommand } from './commands';

export const runExperimentPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-nbx:run-experiment',
  description:
    'Adds "Run as Experiment…" to the palette, the notebook toolbar, the file browser and a shortcut.',
  autoStart: true,
  requires: [INbxService, INotebookTracker],
  optional: [ICommandPalette, IDefaultFileBrowser, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    service: INbxService,
    tracker: INotebookTracker,
    palette: ICommandPalette | null,
    browser: IDefaultFileBrowser | null,
    translator: ITranslator | null
  ) => {
    const trans = (translator ?? nullTranslator).load('nbx');
    addRunExperimentCommand(app, { service, tracker, browser, translator, trans });
    palette?.addItem({ command: CommandIDs.runExperiment, category: PALETTE_CATEGORY });
  }
};
