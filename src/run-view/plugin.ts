/**
 * `jupyterlab-nbx:run-view`: the `nbx:open-run` command, which opens a run (its executed notebook,
 * or with `which: 'snapshot'` the notebook as launched) in a main-area tab; the tabs are
 * tracked and restored with the layout.
 */
import {
  ILayoutRestorer,
  type JupyterFrontEnd,
  type JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { MainAreaWidget, Notification, WidgetTracker } from '@jupyterlab/apputils';
import { IEditorServices } from '@jupyterlab/codeeditor';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import type { IRunViewActions, RunNotebook, RunView } from './widget';
import { RootedService } from '../client/rooted';
import { INbxService } from '../tokens';
import type { RunMeta } from '../../kernel/src/contract/run';

/** The command ids of the run view. */
namespace CommandIDs {
  export const openRun = 'nbx:open-run';
}

/** Commands of other plugins the view uses when they exist. */
namespace ExternalCommandIDs {
  /** "Run as experiment" with `{ path, flags }` prefilled. */
  export const runExperiment = 'nbx:run-experiment';
}

export const runViewPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-nbx:run-view',
  description: "Opens a run's record, executed notebook, output and scalars in the main area.",
  autoStart: true,
  requires: [INbxService, IRenderMimeRegistry, IEditorServices],
  optional: [ITranslator, ILayoutRestorer, ISettingRegistry],
  activate: (
    app: JupyterFrontEnd,
    connection: INbxService,
    rendermime: IRenderMimeRegistry,
    editorServices: IEditorServices,
    translator: ITranslator | null,
    restorer: ILayoutRestorer | null,
    settingRegistry: ISettingRegistry | null
  ) => {
    const trans = (translator ?? nullTranslator).load('nbx');
    const { commands, shell } = app;
    // Requests carry the runs root of nbx's settings; `refresh: 'manual'` stops following.
    const service = new RootedService(connection, settingRegistry);
    const tracker = new WidgetTracker<MainAreaWidget<RunView>>({ namespace: 'nbx-run' });
    let serviceCwd: Promise<string | null> | null = null;

    const actions: IRunViewActions = {
      openSnapshot: id => void commands.execute(CommandIDs.openRun, { id, which: 'snapshot' }),
      canRerun: () => commands.hasCommand(ExternalCommandIDs.runExperiment),
      rerun: async (record: RunMeta) => {
        serviceCwd ??= Private.serviceCwd(service);
        const path = Private.relativePath(record.notebook, await serviceCwd);
        // The dialog opens prefilled with the run's notebook, flags, kernel, label and tags.
        await commands.execute(ExternalCommandIDs.runExperiment, {
          path,
          flags: record.flags,
          ...(record.kernel ? { kernel: record.kernel.name } : {}),
          ...(record.label ? { label: record.label } : {}),
          tags: record.tags
        });
      },
      error: message => {
        Notification.error(message, { autoClose: 8000 });
      }
    };

    commands.addCommand(CommandIDs.openRun, {
      label: args =>
        args.which === 'snapshot' ? trans.__('Open Run Snapshot') : trans.__('Open Run'),
      caption: trans.__("Open a run's record, notebook, output and scalars"),
      describedBy: {
        args: {
          type: 'object',
          properties: {
            id: { type: 'string', description: 'The run id (or a unique prefix)' },
            which: {
              type: 'string',
              description: "'executed' (default) or 'snapshot': the notebook to show"
            }
          },
          required: ['id']
        }
      },
      execute: async args => {
        const id = typeof args.id === 'string' ? args.id.trim() : '';
        if (id === '') {
          return;
        }
        const which: RunNotebook = args.which === 'snapshot' ? 'snapshot' : 'executed';
        const existing = tracker.find(
          w => w.content.which === which && (w.content.runId === id || w.content.record?.id === id)
        );
        if (existing) {
          shell.activateById(existing.id);
          return existing;
        }
        // The view (and JupyterLab's notebook widgets) load when a run is first opened.
        const { RunView } = await import('./widget');
        const content = new RunView({
          id,
          live: service.live,
          which,
          service,
          rendermime,
          editorServices,
          translator: translator ?? nullTranslator,
          trans,
          actions
        });
        const widget = new MainAreaWidget({ content });
        widget.id = RunView.widgetId(id, which);
        widget.addClass('nbx-RunViewPanel');
        for (const [name, item] of content.toolbarItems) {
          widget.toolbar.addItem(name, item);
        }
        content.title.changed.connect(() => {
          widget.title.icon = content.title.icon;
          widget.title.className = content.title.className;
          widget.title.caption = content.title.caption;
        });
        void tracker.add(widget);
        shell.add(widget, 'main');
        shell.activateById(widget.id);
        return widget;
      }
    });

    service.runsChanged.connect((_sender, ids) => {
      if (service.live) {
        tracker.forEach(widget => widget.content.runsChanged(ids));
      }
    });
    service.settingsChanged.connect(() => {
      tracker.forEach(widget => {
        widget.content.live = service.live;
      });
    });

    if (restorer) {
      void restorer.restore(tracker, {
        command: CommandIDs.openRun,
        args: widget => ({ id: widget.content.runId, which: widget.content.which }),
        name: widget => `${widget.content.which}:${widget.content.runId}`
      });
    }
  }
};

namespace Private {
  /** The service kernel's directory (JupyterLab's root directory), or null. */
  export async function serviceCwd(service: INbxService): Promise<string | null> {
    try {
      return (await service.request('info')).result.cwd;
    } catch {
      return null;
    }
  }

  /** `file` relative to `dir` when inside it (as JupyterLab names files), else as it is. */
  export function relativePath(file: string, dir: string | null): string {
    if (dir === null) {
      return file;
    }
    const base = dir.endsWith('/') ? dir : `${dir}/`;
    return file.startsWith(base) ? file.slice(base.length) : file;
  }
}
