/**
 * `nbx:open-run`: opens a run (its executed notebook, or with `which: 'snapshot'` the
 * notebook as launched) in a main-area tab, or shows the tab already open.
 */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import { MainAreaWidget, Notification, type WidgetTracker } from '@jupyterlab/apputils';
import type { IEditorServices } from '@jupyterlab/codeeditor';
import type { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import type { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import { CommandToolbarButton } from '@jupyterlab/ui-components';
import type { RunMeta } from '../../kernel/src/contract/run';
import { CommandIDs } from '../commands';
import type { INbxService } from '../tokens';
import type { RunNotebook } from './model';
import type { IRunViewActions, RunView } from './widget';

/** What opening a run needs. */
export interface IOpenRunOptions {
  service: INbxService;
  tracker: WidgetTracker<MainAreaWidget<RunView>>;
  rendermime: IRenderMimeRegistry;
  editorServices: IEditorServices;
  translator: ITranslator;
  trans: TranslationBundle;
}

/** Adds `nbx:open-run`. */
export function addOpenRunCommand(app: JupyterFrontEnd, options: IOpenRunOptions): void {
  const { service, tracker, trans } = options;
  const { commands, shell } = app;
  const actions = runViewActions(app, service);

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
      const widget = await openRunView(id, which, options, actions);
      if (commands.hasCommand(CommandIDs.compare)) {
        // A batch's trials, or the runs of the same notebook, in the Compare panel.
        widget.toolbar.addItem(
          'compare',
          new CommandToolbarButton({ commands, id: CommandIDs.compare, args: { run: id } })
        );
      }
      void tracker.add(widget);
      shell.add(widget, 'main');
      shell.activateById(widget.id);
      return widget;
    }
  });
}

/** A new main-area widget showing notebook `which` of run `id`. */
async function openRunView(
  id: string,
  which: RunNotebook,
  options: IOpenRunOptions,
  actions: IRunViewActions
): Promise<MainAreaWidget<RunView>> {
  const { service } = options;
  // The view (and JupyterLab's notebook widgets) load when a run is first opened.
  const [{ RunView }, { RunViewModel }] = await Promise.all([
    import('./widget'),
    import('./model')
  ]);
  const content = new RunView({
    model: new RunViewModel({ id, which, service }),
    live: service.settings.current.live,
    rendermime: options.rendermime,
    editorServices: options.editorServices,
    translator: options.translator,
    trans: options.trans,
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
  return widget;
}

/** What a run view asks of the rest of the extension. */
function runViewActions(app: JupyterFrontEnd, service: INbxService): IRunViewActions {
  const { commands } = app;
  let serviceCwd: Promise<string | null> | null = null;
  return {
    openSnapshot: id => void commands.execute(CommandIDs.openRun, { id, which: 'snapshot' }),
    openRun: id => void commands.execute(CommandIDs.openRun, { id }),
    canRerun: () => commands.hasCommand(CommandIDs.runExperiment),
    rerun: async (record: RunMeta) => {
      serviceCwd ??= Private.serviceCwd(service);
      const path = Private.relativePath(record.notebook, await serviceCwd);
      // The dialog opens prefilled with the run's notebook, flags, kernel, label and tags.
      await commands.execute(CommandIDs.runExperiment, {
        path,
        flags: record.flags,
        ...(record.kernel ? { kernel: record.kernel.name } : {}),
        ...(record.label ? { label: record.label } : {}),
        tags: record.tags
      });
    },
    error: message => {
      Notification.error(message, { autoClose: 8000 });
    },
    canShowScalars: () => commands.hasCommand(CommandIDs.scalars),
    showScalars: id => void commands.execute(CommandIDs.scalars, { ids: [id] })
  };
}

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
