/**
 * `jupyterlab-nbx:scalars`: the Scalars panel in the main area, opened by `nbx:scalars`
 * with `{ ids }` (the Runs panel's selection, a run view's Scalars tab, the Compare panel);
 * one panel, shown again with the new runs; restored with the layout.
 */
import {
  ILayoutRestorer,
  type JupyterFrontEnd,
  type JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { IThemeManager, MainAreaWidget, WidgetTracker } from '@jupyterlab/apputils';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { CommandIDs } from '../commands';
import { whenIdle } from '../idle';
import { loadPlotly } from '../plotly';
import { INbxService } from '../tokens';
// The command's icon exists from the start; the panel and plotly load when the browser is
// idle after start, or on first use.
import { scalarsIcon } from './icon';
import type { ScalarsPanel } from './widget';

/** Performance mark set once the panel's modules and plotly are loaded. */
const SCALARS_PRELOADED = 'nbx-scalars-preloaded';

export const scalarsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-nbx:scalars',
  description: "Charts of runs' scalars (plotly), live while they run.",
  autoStart: true,
  requires: [INbxService],
  optional: [ITranslator, ILayoutRestorer, IThemeManager],
  activate: (
    app: JupyterFrontEnd,
    service: INbxService,
    translator: ITranslator | null,
    restorer: ILayoutRestorer | null,
    themeManager: IThemeManager | null
  ) => {
    const trans = (translator ?? nullTranslator).load('nbx');
    const { commands, shell } = app;
    const tracker = new WidgetTracker<MainAreaWidget<ScalarsPanel>>({ namespace: 'nbx-scalars' });

    commands.addCommand(CommandIDs.scalars, {
      label: trans.__('Show Scalars'),
      caption: trans.__("Chart the runs' scalars"),
      icon: scalarsIcon,
      describedBy: {
        args: {
          type: 'object',
          properties: {
            ids: {
              type: 'array',
              items: { type: 'string' },
              description: 'Run ids (or unique prefixes); without them the panel is shown as it is'
            }
          }
        }
      },
      execute: async args => {
        const ids = Array.isArray(args.ids)
          ? args.ids.filter((id): id is string => typeof id === 'string' && id !== '')
          : null;
        let widget = tracker.currentWidget;
        if (!widget) {
          const [{ ScalarsPanel }, { ScalarsModel }] = await Promise.all([
            import('./widget'),
            import('./model')
          ]);
          const content = new ScalarsPanel({ model: new ScalarsModel({ service }), trans });
          // MainAreaWidget mirrors its content's title.
          content.title.icon = scalarsIcon;
          widget = new MainAreaWidget({ content });
          widget.id = ScalarsPanel.WIDGET_ID;
          void tracker.add(widget);
          shell.add(widget, 'main');
        }
        shell.activateById(widget.id);
        if (ids !== null) {
          await widget.content.model.setRuns(ids);
          // The restorer saves the runs shown.
          void tracker.save(widget);
        }
        return widget;
      }
    });

    // Once JupyterLab is idle after start: the panel's modules and plotly (megabytes, its
    // own chunk), so that opening the panel costs the points and the drawing only.
    void app.restored.then(() =>
      whenIdle(() => {
        void Promise.allSettled([import('./widget'), import('./model'), loadPlotly()]).then(() =>
          performance.mark(SCALARS_PRELOADED)
        );
      })
    );

    themeManager?.themeChanged.connect(() => {
      // The theme's CSS variables apply from the next frame.
      requestAnimationFrame(() => tracker.forEach(widget => widget.content.updateTheme()));
    });

    void restorer?.restore(tracker, {
      command: CommandIDs.scalars,
      args: widget => ({ ids: widget.content.runIds }),
      name: () => 'scalars'
    });
  }
};
