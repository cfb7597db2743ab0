/**
 * `jupyterlab-nbx:compare`: the `nbx:compare` command, which opens runs side by side in
 * the Compare panel (main area): the runs given (`{ ids }`, e.g. the Runs panel's
 * selection), a batch's trials (`{ batch }`), a run from its view (`{ run }`: a batch's
 * trials, else the runs of its notebook), or every run (the palette's "Compare Runs"). Panels are tracked and restored with the layout; saved views are kept in the
 * state database per runs root.
 */
import {
  ILayoutRestorer,
  type JupyterFrontEnd,
  type JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, IThemeManager, WidgetTracker } from '@jupyterlab/apputils';
import { IStateDB } from '@jupyterlab/statedb';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { tableRowsIcon } from '@jupyterlab/ui-components';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import { CommandIDs, PALETTE_CATEGORY, type ICompareArgs } from '../commands';
import { errorMessage } from '../errors';
import { INbxService } from '../tokens';
import { viewsFromJSON, viewsKey, viewsToJSON } from './views';
import type { ComparePanel, IViewStore } from './widget';

export const comparePlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-nbx:compare',
  description: 'The Compare panel: runs side by side, sorted, filtered and charted.',
  autoStart: true,
  requires: [INbxService],
  optional: [ITranslator, ICommandPalette, ILayoutRestorer, IStateDB, IThemeManager],
  activate: (
    app: JupyterFrontEnd,
    service: INbxService,
    translator: ITranslator | null,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null,
    state: IStateDB | null,
    themeManager: IThemeManager | null
  ) => {
    const trans = (translator ?? nullTranslator).load('nbx');
    const tracker = new WidgetTracker<ComparePanel>({ namespace: 'nbx-compare' });
    const views = (): IViewStore => {
      const key = viewsKey(service.settings.current.runsRoot);
      return {
        load: async () => (state ? viewsFromJSON(await state.fetch(key)) : []),
        save: async list => {
          await state?.save(key, viewsToJSON(list));
        }
      };
    };

    app.commands.addCommand(CommandIDs.compare, {
      label: args =>
        Private.argsOf(args).batch ? trans.__('Compare Trials') : trans.__('Compare Runs'),
      icon: args => (Private.argsOf(args).run ? tableRowsIcon : undefined),
      caption: trans.__('Open runs side by side in the Compare panel'),
      describedBy: {
        args: {
          type: 'object',
          properties: {
            ids: { type: 'array', items: { type: 'string' }, description: 'Runs to compare' },
            batch: { type: 'string', description: 'A batch whose trials to compare' },
            run: {
              type: 'string',
              description: "A run: a batch's trials, else the runs of its notebook"
            },
            where: { type: 'string', description: 'A --where filter to start with' }
          }
        }
      },
      execute: async args => {
        const { ids, run, where } = Private.argsOf(args);
        let { batch } = Private.argsOf(args);
        let runs = ids;
        let notebook: string | null = null;
        if (run) {
          const { result } = await service.request('getRun', { id: run });
          if (result.kind === 'batch') {
            batch = result.id;
          } else {
            notebook = result.notebookName;
          }
        }
        if (batch) {
          const { result } = await service.request('getRun', { id: batch });
          runs = result.trials;
        }
        // The runs of a notebook: the --where filter the panel starts with (and shows).
        const start = notebook !== null ? `notebook = ${JSON.stringify(notebook)}` : where;
        const id =
          notebook !== null ? `nbx-compare-notebook-${notebook}` : Private.widgetId(runs, batch);
        const open = tracker.find(panel => panel.id === id);
        if (open) {
          app.shell.activateById(id);
          return open;
        }
        // The panel, grid and Arrow load with the first comparison opened.
        const [{ CompareSession }, { ComparePanel }, { shortId }] = await Promise.all([
          import('./session'),
          import('./widget'),
          import('../format')
        ]);
        const session = new CompareSession({ service, ids: runs, where: start });
        const label = batch
          ? trans.__('Trials of %1', shortId(batch))
          : notebook !== null
            ? trans.__('Runs of %1', notebook)
            : runs
              ? trans._n('Compare %1 run', 'Compare %1 runs', runs.length)
              : trans.__('Compare Runs');
        const panel = new ComparePanel({ session, trans, views: views(), id, label });
        Private.restoreArgs.set(panel, { ids, batch, run, where });
        void tracker.add(panel);
        app.shell.add(panel, 'main');
        app.shell.activateById(id);
        await session.load().catch(err => console.error(errorMessage(err)));
        return panel;
      }
    });
    palette?.addItem({ command: CommandIDs.compare, category: PALETTE_CATEGORY });

    themeManager?.themeChanged.connect(() => {
      // The theme's CSS variables apply from the next frame.
      requestAnimationFrame(() => tracker.forEach(panel => panel.updateTheme()));
    });
    void restorer?.restore(tracker, {
      command: CommandIDs.compare,
      args: panel => (Private.restoreArgs.get(panel) ?? {}) as ReadonlyPartialJSONObject,
      name: panel => panel.id
    });
  }
};

namespace Private {
  /** The arguments each panel was opened with (to reopen it with the layout). */
  export const restoreArgs = new WeakMap<ComparePanel, ICompareArgs>();

  /** The command's arguments, ignoring malformed ones. */
  export function argsOf(args: ReadonlyPartialJSONObject): ICompareArgs {
    const ids = Array.isArray(args.ids)
      ? args.ids.filter((id): id is string => typeof id === 'string')
      : undefined;
    return {
      ids: ids && ids.length ? ids : undefined,
      batch: typeof args.batch === 'string' ? args.batch : undefined,
      run: typeof args.run === 'string' ? args.run : undefined,
      where: typeof args.where === 'string' ? args.where : undefined
    };
  }

  /** One panel per set of runs: its id from the runs (order ignored) or the batch. */
  export function widgetId(ids: readonly string[] | undefined, batch: string | undefined): string {
    if (batch) {
      return `nbx-compare-batch-${batch}`;
    }
    if (!ids) {
      return 'nbx-compare-all';
    }
    let hash = 0;
    for (const id of [...ids].sort().join(',')) {
      hash = (Math.imul(hash, 31) + id.charCodeAt(0)) | 0;
    }
    return `nbx-compare-${(hash >>> 0).toString(16)}-${ids.length}`;
  }
}
