/**
 * `jupyterlab-nbx:run-view`: the `nbx:open-run` command, which opens a run (its executed
 * notebook, or with `which: 'snapshot'` the notebook as launched) in a main-area tab; the
 * tabs are tracked, follow the run as the service reports changes, and are restored with
 * the layout.
 */
import {
  ILayoutRestorer,
  type JupyterFrontEnd,
  type JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { type MainAreaWidget, WidgetTracker } from '@jupyterlab/apputils';
import { IEditorServices } from '@jupyterlab/codeeditor';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { CommandIDs } from '../commands';
import { INbxService } from '../tokens';
// Activation registers the command at once; the module itself imports types and JupyterLab only.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { addOpenRunCommand } from './commands';
import type { RunView } from './widget';

export const runViewPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-nbx:run-view',
  description: "Opens a run's record, executed notebook, output and scalars in the main area.",
  autoStart: true,
  requires: [INbxService, IRenderMimeRegistry, IEditorServices],
  optional: [ITranslator, ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    service: INbxService,
    rendermime: IRenderMimeRegistry,
    editorServices: IEditorServices,
    translator: ITranslator | null,
    restorer: ILayoutRestorer | null
  ) => {
    const tracker = new WidgetTracker<MainAreaWidget<RunView>>({ namespace: 'nbx-run' });
    addOpenRunCommand(app, {
      service,
      tracker,
      rendermime,
      editorServices,
      translator: translator ?? nullTranslator,
      trans: (translator ?? nullTranslator).load('nbx')
    });

    // The runs root the views read (the settings' or the service's own, as the service
    // resolves it), asked once: pushes about other roots are ignored.
    let root: Promise<string | null> | null = null;
    const viewsRoot = (): Promise<string | null> =>
      (root ??= service.request('info').then(
        reply => reply.result.root,
        () => {
          root = null;
          return null;
        }
      ));
    // `refresh: 'manual'` in nbx's settings: views fetch only on Refresh.
    service.runsChanged.connect((_sender, change) => {
      if (!service.settings.current.live || tracker.size === 0) {
        return;
      }
      void viewsRoot().then(known => {
        if (known === null || known === change.root) {
          tracker.forEach(widget => widget.content.runsChanged(change.ids));
        }
      });
    });
    service.settings.changed.connect(() => {
      root = null;
      tracker.forEach(widget => {
        widget.content.live = service.settings.current.live;
      });
    });

    void restorer?.restore(tracker, {
      command: CommandIDs.openRun,
      args: widget => ({ id: widget.content.runId, which: widget.content.which }),
      name: widget => `${widget.content.which}:${widget.content.runId}`
    });
  }
};
