/**
 * `jupyterlab-nbx:runs`: the Runs panel in the left sidebar, and the commands of its toolbar
 * (stop, delete, tag, compare, refresh), which act on the selected runs (or on `{ ids }`).
 */
import {
  ILayoutRestorer,
  type JupyterFrontEnd,
  type JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, IThemeManager } from '@jupyterlab/apputils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { CommandIDs, PALETTE_CATEGORY } from '../commands';
import { whenIdle } from '../idle';
import { INbxService } from '../tokens';
// Commands are added at activation; what they open loads on first use.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { addRunsCommands, TOOLBAR_COMMANDS } from './commands';
// The sidebar tab exists from the start; both are light (the grid and Arrow load later).
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { RunsModel } from './model';
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { RUNS_MARKS, RUNS_PANEL_ID, RunsPanel } from './panel';

export const runsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-nbx:runs',
  description: 'The Runs panel: every run, live, filtered with the --where language.',
  autoStart: true,
  requires: [INbxService],
  optional: [ITranslator, ILayoutRestorer, ICommandPalette, ISettingRegistry, IThemeManager],
  activate: (
    app: JupyterFrontEnd,
    service: INbxService,
    translator: ITranslator | null,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    settingRegistry: ISettingRegistry | null,
    themeManager: IThemeManager | null
  ) => {
    const trans = (translator ?? nullTranslator).load('nbx');
    const { commands, shell } = app;
    const model = new RunsModel({ service });
    const panel = new RunsPanel({
      model,
      commands,
      trans,
      toolbarCommands: TOOLBAR_COMMANDS,
      onOpen: id => {
        if (commands.hasCommand(CommandIDs.openRun)) {
          void commands.execute(CommandIDs.openRun, { id });
        }
      }
    });
    addRunsCommands(app, { service, model, panel, trans });

    // `refresh: 'manual'` in nbx's settings: only the Refresh button re-lists the runs.
    service.runsChanged.connect((_sender, change) => {
      if (service.settings.current.live) {
        panel.runsChanged(change);
      }
    });
    service.settings.changed.connect(() => panel.refresh());
    themeManager?.themeChanged.connect(() => {
      // The theme's CSS variables apply from the next frame.
      requestAnimationFrame(() => panel.updateTheme());
    });
    settingRegistry
      ?.load(runsPlugin.id)
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

    // Once JupyterLab is idle after start: connect to (or start) the service kernel and
    // load the grid and Arrow, so that opening the panel costs only the listing itself.
    void app.restored.then(() =>
      whenIdle(() => {
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
    palette?.addItem({ command: CommandIDs.scalarsRuns, category: PALETTE_CATEGORY });
  }
};
