/**
 * plotly.js for the Scalars and Compare charts, loaded on first use: `import()` puts the
 * prebuilt bundle (megabytes) in a chunk of its own, so the extension's first load does not
 * carry it. One loader, so both panels share one copy.
 */
import type * as PlotlyModule from 'plotly.js';

/** The plotly.js module. */
export type Plotly = typeof PlotlyModule;

let loading: Promise<Plotly> | undefined;

/** plotly.js, loaded once. */
export function loadPlotly(): Promise<Plotly> {
  loading ??= import('plotly.js-dist-min').then(module => {
    // The bundle is CommonJS: webpack hands it over as the module or as its default.
    const loaded = module as unknown as Plotly & { default?: Plotly };
    return loaded.default ?? loaded;
  });
  return loading;
}
