/**
 * The commands of the Runs panel's toolbar (stop, delete, tag, compare, refresh) and
 * "Show Runs": they act on the runs selected in the panel, or on `{ ids }`.
 */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import { Dialog, InputDialog, Notification, showDialog } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import {
  deleteIcon,
  refreshIcon,
  stopIcon,
  tableRowsIcon,
  tagIcon
} from '@jupyterlab/ui-components';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import { CommandIDs } from '../commands';
import { shortId } from '../format';
import { isLive } from '../run-status';
import { scalarsIcon } from '../scalars/icon';
import { runsIcon } from '../status-icons';
import type { INbxService } from '../tokens';
import type { RunsModel } from './model';
import { RUNS_PANEL_ID, type RunsPanel } from './panel';
import { errorMessage } from '../errors';

/** The commands of the panel's toolbar, in order. */
export const TOOLBAR_COMMANDS = [
  CommandIDs.stopRuns,
  CommandIDs.deleteRuns,
  CommandIDs.tagRuns,
  CommandIDs.compareRuns,
  CommandIDs.scalarsRuns,
  CommandIDs.refreshRuns
];

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

/** What the commands act on. */
export interface IRunsCommandsOptions {
  service: INbxService;
  model: RunsModel;
  panel: RunsPanel;
  trans: TranslationBundle;
}

/** Adds the Runs panel's commands, enabled as the selection allows. */
export function addRunsCommands(app: JupyterFrontEnd, options: IRunsCommandsOptions): void {
  const { service, model, panel, trans } = options;
  const { commands, shell } = app;
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
        Notification.error(trans.__('Could not tag the runs: %1', errorMessage(failed.reason)), {
          autoClose: 8000
        });
      }
      await model.refresh();
    }
  });

  // The selected runs, else every run the panel lists (as filtered); a sweep's batch
  // stands for its trials (the batch itself records no metrics).
  const compareIds = (args: ReadonlyPartialJSONObject): string[] => {
    const given = idsOf(args);
    const ids = given.length > 0 || Array.isArray(args.ids) ? given : model.listedIds;
    return [...new Set(ids.flatMap(id => model.sweep(id)?.trials.map(trial => trial.id) ?? [id]))];
  };
  commands.addCommand(CommandIDs.compareRuns, {
    label: trans.__('Compare Runs'),
    caption: trans.__('Compare the selected runs (or all the listed ones) in the main area'),
    icon: tableRowsIcon,
    describedBy: { args: IDS_ARGS },
    isVisible: () => commands.hasCommand(CommandIDs.compare),
    isEnabled: args => commands.hasCommand(CommandIDs.compare) && compareIds(args).length > 0,
    execute: async args => {
      const ids = compareIds(args);
      if (commands.hasCommand(CommandIDs.compare) && ids.length > 0) {
        await commands.execute(CommandIDs.compare, { ids });
      }
    }
  });

  commands.addCommand(CommandIDs.scalarsRuns, {
    label: trans.__('Show Scalars'),
    caption: trans.__("Chart the selected runs' scalars"),
    icon: scalarsIcon,
    describedBy: { args: IDS_ARGS },
    isVisible: () => commands.hasCommand(CommandIDs.scalars),
    isEnabled: args => commands.hasCommand(CommandIDs.scalars) && idsOf(args).length > 0,
    execute: async args => {
      const ids = idsOf(args);
      if (commands.hasCommand(CommandIDs.scalars) && ids.length > 0) {
        await commands.execute(CommandIDs.scalars, { ids });
      }
    }
  });

  const selectionCommands = [
    CommandIDs.stopRuns,
    CommandIDs.deleteRuns,
    CommandIDs.tagRuns,
    CommandIDs.compareRuns,
    CommandIDs.scalarsRuns
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
    if (args.id === CommandIDs.compare) {
      commands.notifyCommandChanged(CommandIDs.compareRuns);
    }
    if (args.id === CommandIDs.scalars) {
      commands.notifyCommandChanged(CommandIDs.scalarsRuns);
    }
  });
}

namespace Private {
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
      Notification.error(errorMessage(err), { autoClose: 8000 });
    }
  }
}
