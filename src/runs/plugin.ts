/**
 * `jupyterlab-nbx:runs`: the Runs panel in the left sidebar, and the commands of its toolbar (stop,
 * delete, tag, compare, refresh), which act on the selected runs (or on `{ ids }`).
 */
import {
  ILayoutRestorer,
  type JupyterFrontEnd,
  type JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  Dialog,
  ICommandPalette,
  InputDialog,
  IThemeManager,
  Notification,
  showDialog
} from '@jupyterlab/apputils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import {
  deleteIcon,
  refreshIcon,
  stopIcon,
  tableRowsIcon,
  tagIcon
} from '@jupyterlab/ui-components';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';
// The sidebar tab exists from the start; both are light (the grid and Arrow load later).
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { RunsModel } from './model';
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { RUNS_MARKS, RUNS_PANEL_ID, RunsPanel } from './panel';
import { runsIcon } from '../status-icons';
import { isLive } from '../run-status';
import { shortId } from '../format';
import { RootedService } from '../client/rooted';
import { INbxService } from '../tokens';

/** The command ids of the Runs panel. */
namespace CommandIDs {
  export const showRuns = 'nbx:show-runs';
  export const refreshRuns = 'nbx:refresh-runs';
  export const stopRuns = 'nbx:stop-runs';
  export const deleteRuns = 'nbx:delete-runs';
  export const tagRuns = 'nbx:tag-runs';
  export const compareRuns = 'nbx:compare-runs';
}

/** Commands of other plugins the panel uses when they exist. */
namespace ExternalCommandIDs {
  /** Opens a run's view (`jupyterlab-nbx:run-view`). */
  export const openRun = 'nbx:open-run';
  /** Opens the Compare panel on `{ ids }` (when the compare plugin is installed). */
  export const compare = 'nbx:compare';
}

/** The palette category of nbx's commands. */
const PALETTE_CATEGORY = 'nbx';

/** Arguments of the commands that act on runs. */
const IDS_ARGS = {
  type: 'object',
  properties: {
    ids: {
      type: 'array',
      items: { type: 'string' },
      description: 'Run ids; the runs selected in the Runs panel when absent'
    }
  }
};

export const runsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-nbx:runs',
  description: 'The Runs panel: every run, live, filtered with the --where language.',
  autoStart: true,
  requires: [INbxService],
  optional: [ITranslator, ILayoutRestorer, ICommandPalette, ISettingRegistry, IThemeManager],
  activate: (
    app: JupyterFrontEnd,
    connection: INbxService,
    translator: ITranslator | null,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    settingRegistry: ISettingRegistry | null,
    themeManager: IThemeManager | null
  ) => {
    const trans = (translator ?? nullTranslator).load('nbx');
    const { commands, shell } = app;
    // Requests carry the runs root of nbx's settings, where "Run as Experiment" starts runs.
    const service = new RootedService(connection, settingRegistry);
    const model = new RunsModel({ service });
    const panel = new RunsPanel({
      model,
      commands,
      trans,
      toolbarCommands: [
        CommandIDs.stopRuns,
        CommandIDs.deleteRuns,
        CommandIDs.tagRuns,
        CommandIDs.compareRuns,
        CommandIDs.refreshRuns
      ],
      onOpen: id => {
        if (commands.hasCommand(ExternalCommandIDs.openRun)) {
          void commands.execute(ExternalCommandIDs.openRun, { id });
        }
      }
    });

    const idsOf = (args: ReadonlyPartialJSONObject): string[] =>
      Array.isArray(args.ids)
        ? args.ids.filter((id): id is string => typeof id === 'string')
        : model.selectedIds;
    const liveIds = (args: ReadonlyPartialJSONObject): string[] =>
      Array.isArray(args.ids)
        ? idsOf(args)
        : model.selectedIds.filter(id => isLive(model.status(model.rowOf(id))));

    commands.addCommand(CommandIDs.showRuns, {
      label: trans.__('Show Runs'),
      caption: trans.__('Show the Runs panel'),
      icon: runsIcon,
      describedBy: { args: { type: 'object', properties: {} } },
      execute: () => {
        shell.activateById(RUNS_PANEL_ID);
        panel.focusFilter();
      }
    });

    commands.addCommand(CommandIDs.refreshRuns, {
      label: trans.__('Refresh Runs'),
      caption: trans.__('List the runs again'),
      icon: refreshIcon,
      describedBy: { args: { type: 'object', properties: {} } },
      execute: () => model.refresh()
    });

    commands.addCommand(CommandIDs.stopRuns, {
      label: args => {
        const n = liveIds(args).length;
        return n > 1 ? trans.__('Stop %1 Runs', n) : trans.__('Stop Run');
      },
      caption: trans.__('Stop the selected runs'),
      icon: stopIcon,
      describedBy: { args: IDS_ARGS },
      isEnabled: args => liveIds(args).length > 0,
      execute: async args => {
        const ids = liveIds(args);
        if (ids.length === 0) {
          return;
        }
        await Private.act(service, 'stopRuns', ids, (id, error) =>
          trans.__('Could not stop run %1: %2', id, error)
        );
        await model.refresh();
      }
    });

    commands.addCommand(CommandIDs.deleteRuns, {
      label: args => {
        const n = idsOf(args).length;
        return n > 1 ? trans.__('Delete %1 Runs…', n) : trans.__('Delete Run…');
      },
      caption: trans.__('Delete the selected runs'),
      icon: deleteIcon,
      describedBy: { args: IDS_ARGS },
      isEnabled: args => idsOf(args).length > 0,
      execute: async args => {
        const ids = idsOf(args);
        if (ids.length === 0) {
          return;
        }
        const answer = await showDialog({
          title: trans._n('Delete %1 run?', 'Delete %1 runs?', ids.length),
          body: trans.__(
            'The run directories (%1), with their notebooks, logs, scalars and the files the runs wrote, are deleted for good. Running runs must be stopped first.',
            ids.slice(0, 5).map(shortId).join(', ') + (ids.length > 5 ? ', …' : '')
          ),
          buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: trans.__('Delete') })]
        });
        if (!answer.button.accept) {
          return;
        }
        await Private.act(service, 'deleteRuns', ids, (id, error) =>
          trans.__('Could not delete run %1: %2', id, error)
        );
        model.clearSelection();
        await model.refresh();
      }
    });

    commands.addCommand(CommandIDs.tagRuns, {
      label: trans.__('Tag Runs…'),
      caption: trans.__('Add or remove tags of the selected runs (+tag adds, -tag removes)'),
      icon: tagIcon,
      describedBy: {
        args: {
          type: 'object',
          properties: {
            ...IDS_ARGS.properties,
            changes: {
              type: 'string',
              description: "Tag changes such as '+best -debug'; asked for when absent"
            }
          }
        }
      },
      isEnabled: args => idsOf(args).length > 0,
      execute: async args => {
        const ids = idsOf(args);
        if (ids.length === 0) {
          return;
        }
        let text = typeof args.changes === 'string' ? args.changes : null;
        if (text === null) {
          const answer = await InputDialog.getText({
            title: trans._n('Tag %1 run', 'Tag %1 runs', ids.length),
            label: trans.__('Changes: +tag adds, -tag removes (a bare tag adds)'),
            placeholder: trans.__('+best -debug'),
            okLabel: trans.__('Apply')
          });
          text = answer.button.accept ? answer.value : null;
        }
        const changes = (text ?? '').split(/[\s,]+/).filter(change => change !== '');
        if (changes.length === 0) {
          return;
        }
        const results = await Promise.allSettled(
          ids.map(id => service.request('setTags', { id, changes }))
        );
        const failed = results.find(r => r.status === 'rejected');
        if (failed && failed.status === 'rejected') {
          Notification.error(
            trans.__('Could not tag the runs: %1', Private.message(failed.reason)),
            { autoClose: 8000 }
          );
        }
        await model.refresh();
      }
    });

    commands.addCommand(CommandIDs.compareRuns, {
      label: trans.__('Compare Runs'),
      caption: trans.__('Compare the selected runs'),
      icon: tableRowsIcon,
      describedBy: { args: IDS_ARGS },
      isVisible: () => commands.hasCommand(ExternalCommandIDs.compare),
      isEnabled: args => commands.hasCommand(ExternalCommandIDs.compare) && idsOf(args).length > 0,
      execute: async args => {
        const ids = idsOf(args);
        if (commands.hasCommand(ExternalCommandIDs.compare) && ids.length > 0) {
          await commands.execute(ExternalCommandIDs.compare, { ids });
        }
      }
    });

    const selectionCommands = [
      CommandIDs.stopRuns,
      CommandIDs.deleteRuns,
      CommandIDs.tagRuns,
      CommandIDs.compareRuns
    ];
    const notify = (): void => {
      for (const id of selectionCommands) {
        commands.notifyCommandChanged(id);
      }
    };
    model.selectionChanged.connect(notify);
    // Statuses change with new tables (a selected run stops running).
    model.changed.connect(notify);
    commands.commandChanged.connect((_sender, args) => {
      if (args.id === ExternalCommandIDs.compare) {
        commands.notifyCommandChanged(CommandIDs.compareRuns);
      }
    });

    // `refresh: 'manual'` in nbx's settings: only the Refresh button re-lists the runs.
    service.runsChanged.connect(() => {
      if (service.live) {
        panel.refresh();
      }
    });
    service.settingsChanged.connect(() => panel.refresh());
    themeManager?.themeChanged.connect(() => {
      // The theme's CSS variables apply from the next frame.
      requestAnimationFrame(() => panel.updateTheme());
    });

    if (settingRegistry) {
      settingRegistry
        .load(runsPlugin.id)
        .then(settings => {
          const apply = (): void => {
            const metric = settings.get('keyMetric').composite;
            model.metricSetting = typeof metric === 'string' ? metric : '';
          };
          apply();
          settings.changed.connect(apply);
        })
        .catch(() => {
          // No settings schema: the key metric is the first non-system scalar.
        });
    }

    // Once JupyterLab is idle after start: connect to (or start) the service kernel and
    // load the grid and Arrow, so that opening the panel costs only the listing itself.
    void app.restored.then(() =>
      Private.whenIdle(() => {
        void Promise.allSettled([
          service.request('info'),
          RunsPanel.preload(),
          RunsModel.preload()
        ]).then(() => performance.mark(RUNS_MARKS.preloaded));
      })
    );

    shell.add(panel, 'left', { rank: 650, type: 'Runs' });
    restorer?.add(panel, RUNS_PANEL_ID);
    palette?.addItem({ command: CommandIDs.showRuns, category: PALETTE_CATEGORY });
    palette?.addItem({ command: CommandIDs.refreshRuns, category: PALETTE_CATEGORY });
  }
};

namespace Private {
  /** Calls `callback` when the browser is idle (at most 2 s from now). */
  export function whenIdle(callback: () => void): void {
    if (typeof window.requestIdleCallback === 'function') {
      window.requestIdleCallback(callback, { timeout: 2000 });
    } else {
      window.setTimeout(callback, 500);
    }
  }

  /** The one-line message of a rejection. */
  export function message(reason: unknown): string {
    return reason instanceof Error ? reason.message : String(reason);
  }

  /**
   * Calls `stopRuns` or `deleteRuns` on `ids` and tells about the runs it failed for
   * (`failure` words it from the short id and the reason).
   */
  export async function act(
    service: INbxService,
    method: 'stopRuns' | 'deleteRuns',
    ids: string[],
    failure: (id: string, error: string) => string
  ): Promise<void> {
    try {
      const reply = await service.request(method, { ids });
      for (const outcome of reply.result.results.filter(r => !r.ok)) {
        Notification.warning(failure(shortId(outcome.id), outcome.error ?? ''), {
          autoClose: 8000
        });
      }
    } catch (err) {
      Notification.error(message(err), { autoClose: 8000 });
    }
  }
}
