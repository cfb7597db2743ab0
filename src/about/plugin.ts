/**
 * `jupyterlab-nbx:plugin`: the "About nbx" command in the palette (the plugin also holds
 * nbx's settings, schema/plugin.json).
 */
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { Dialog, ICommandPalette, showDialog } from '@jupyterlab/apputils';
import { ITranslator, nullTranslator, type TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';
import { CommandIDs, PALETTE_CATEGORY } from '../commands';
import { SETTINGS_PLUGIN } from '../settings';

export const aboutPlugin: JupyterFrontEndPlugin<void> = {
  id: SETTINGS_PLUGIN,
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
