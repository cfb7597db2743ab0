/**
 * The charts of a comparison, drawn by plotly (loaded with import(), in its own chunk):
 * parallel coordinates over chosen flags and one metric, coloured by that metric, whose
 * brushed axis ranges filter the grid (through the model's range filters), and a scatter
 * of any flag or metric against any metric, over the rows the grid shows.
 *
 * Loaded on demand by the Compare panel.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';
import type * as PlotlyModule from 'plotly.js';
import { loadPlotly, type Plotly } from '../plotly';
import { brushFilters, parcoordsAxes, scatterPoints, type IAxis } from './chart-data';
import type { CompareModel } from './model';

/** The most flag axes chosen by default (the flags that differ, in column order). */
const DEFAULT_FLAG_AXES = 6;

/** The parallel coordinates and the scatter of a comparison. */
export class CompareCharts extends Widget {
  constructor(options: CompareCharts.IOptions) {
    super();
    this._trans = options.trans;
    this._preferredMetric = options.metric ?? null;
    const trans = this._trans;
    this.addClass('nbx-CompareCharts');

    const controls = document.createElement('div');
    controls.className = 'nbx-CompareCharts-controls';
    this._metric = this._select(trans.__('Metric'), 'nbx-CompareCharts-metric');
    this._axisChoice = document.createElement('details');
    this._axisChoice.className = 'nbx-CompareCharts-flags';
    const summary = document.createElement('summary');
    summary.textContent = trans.__('Axes');
    this._axisChoice.append(summary);
    this._axisChoice.addEventListener('change', () => this._chooseAxes());
    this._x = this._select(trans.__('Scatter x'), 'nbx-CompareCharts-x');
    this._y = this._select(trans.__('Scatter y'), 'nbx-CompareCharts-y');
    const clear = document.createElement('button');
    clear.type = 'button';
    clear.className = 'jp-Button jp-mod-styled jp-mod-reject nbx-CompareCharts-clear';
    clear.textContent = trans.__('Clear Brush');
    clear.addEventListener('click', () => this._model?.setRangeFilters([]));
    controls.append(
      this._metric.parentElement as HTMLElement,
      this._axisChoice,
      this._x.parentElement as HTMLElement,
      this._y.parentElement as HTMLElement,
      clear
    );
    this._metric.addEventListener('change', () => void this.update());
    this._x.addEventListener('change', () => void this._drawScatter());
    this._y.addEventListener('change', () => void this._drawScatter());

    this.parcoordsNode = document.createElement('div');
    this.parcoordsNode.className = 'nbx-CompareCharts-parcoords';
    this.scatterNode = document.createElement('div');
    this.scatterNode.className = 'nbx-CompareCharts-scatter';
    this.node.append(controls, this.parcoordsNode, this.scatterNode);
  }

  /** Where the parallel coordinates are drawn. */
  readonly parcoordsNode: HTMLDivElement;
  /** Where the scatter is drawn. */
  readonly scatterNode: HTMLDivElement;

  /** The axes drawn last (flags, then the metric). */
  get axes(): readonly IAxis[] {
    return this._axes;
  }

  /** Charts the comparison of `model` (null: nothing). */
  setModel(model: CompareModel | null): void {
    if (model === this._model) {
      return;
    }
    this._model?.changed.disconnect(this._onModel, this);
    this._model = model;
    model?.changed.connect(this._onModel, this);
    this._fillChoices();
    void this.update();
  }

  /** Draws both charts again (after a theme change, new axes or a new metric). */
  async update(): Promise<void> {
    await this._drawParcoords();
    await this._drawScatter();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._model?.changed.disconnect(this._onModel, this);
    if (this._plotly) {
      this._plotly.purge(this.parcoordsNode);
      this._plotly.purge(this.scatterNode);
    }
    super.dispose();
  }

  private _select(label: string, className: string): HTMLSelectElement {
    const wrap = document.createElement('label');
    wrap.className = 'nbx-CompareCharts-field';
    const select = document.createElement('select');
    select.className = `jp-mod-styled ${className}`;
    wrap.append(label, select);
    return select;
  }

  /** Fills the metric, axes and scatter choices from the model's columns. */
  private _fillChoices(): void {
    const model = this._model;
    const columns = model ? model.columns.filter(name => model.kind(name) !== 'list') : [];
    const metrics = columns.filter(name => name.startsWith('#') && model?.kind(name) === 'number');
    const flags = columns.filter(name => name.startsWith('='));
    const keep = (select: HTMLSelectElement, names: string[], fallback: string): void => {
      const value = select.value;
      select.replaceChildren(
        ...names.map(name => {
          const option = document.createElement('option');
          option.value = option.textContent = name;
          return option;
        })
      );
      select.value = names.includes(value) ? value : fallback;
    };
    const preferred = this._preferredMetric;
    const firstMetric =
      (preferred !== null && metrics.includes(preferred) ? preferred : null) ??
      metrics.find(name => !name.startsWith('#sys/') && !name.includes(':')) ??
      metrics[0] ??
      '';
    keep(this._metric, metrics, firstMetric);
    keep(
      this._x,
      [...flags, ...metrics],
      flags.find(name => model?.differs(name)) ?? flags[0] ?? ''
    );
    keep(this._y, metrics, firstMetric);
    if (this._chosenFlags === null || !this._chosenFlags.every(name => flags.includes(name))) {
      this._chosenFlags = flags.filter(name => model?.differs(name)).slice(0, DEFAULT_FLAG_AXES);
    }
    const boxes = flags.map(name => {
      const label = document.createElement('label');
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.dataset.column = name;
      box.checked = this._chosenFlags?.includes(name) ?? false;
      label.append(box, name);
      return label;
    });
    this._axisChoice.replaceChildren(this._axisChoice.firstElementChild as HTMLElement, ...boxes);
  }

  private _chooseAxes(): void {
    this._chosenFlags = [...this._axisChoice.querySelectorAll('input')]
      .filter(box => box.checked)
      .map(box => box.dataset.column as string);
    void this._drawParcoords();
  }

  private async _loadPlotly(): Promise<Plotly> {
    this._plotly ??= await loadPlotly();
    return this._plotly;
  }

  private _plotLayout(): Partial<PlotlyModule.Layout> {
    const style = getComputedStyle(this.node);
    const color = style.getPropertyValue('--jp-ui-font-color1').trim() || '#000';
    const grid = style.getPropertyValue('--jp-border-color2').trim() || '#ccc';
    return {
      paper_bgcolor: 'rgba(0,0,0,0)',
      plot_bgcolor: 'rgba(0,0,0,0)',
      font: { color, family: style.getPropertyValue('--jp-ui-font-family').trim() || undefined },
      margin: { l: 60, r: 40, t: 40, b: 40 },
      xaxis: { gridcolor: grid, zerolinecolor: grid },
      yaxis: { gridcolor: grid, zerolinecolor: grid }
    };
  }

  private async _drawParcoords(): Promise<void> {
    const model = this._model;
    const metric = this._metric.value;
    if (!model || !metric || this.isDisposed) {
      return;
    }
    const plotly = await this._loadPlotly();
    const columns = [...(this._chosenFlags ?? []).filter(name => name !== metric), metric];
    this._axes = parcoordsAxes(model, columns);
    const colours = this._axes[this._axes.length - 1].values;
    const trace = {
      type: 'parcoords',
      line: {
        color: colours.map(v => v ?? NaN),
        colorscale: 'Viridis',
        showscale: true,
        reversescale: model.direction(metric) === 'ascending',
        colorbar: { title: { text: metric } }
      },
      dimensions: this._axes.map(axis => ({ ...axis, values: axis.values.map(v => v ?? NaN) }))
    } as unknown as PlotlyModule.Data;
    const node = this.parcoordsNode as unknown as PlotlyModule.PlotlyHTMLElement;
    await plotly.react(node, [trace], { ...this._plotLayout(), height: 360 }, { responsive: true });
    if (!this._listening) {
      this._listening = true;
      node.on('plotly_restyle', () => this._onBrush());
    }
  }

  private async _drawScatter(): Promise<void> {
    const model = this._model;
    const x = this._x.value;
    const y = this._y.value;
    if (!model || !x || !y || this.isDisposed) {
      return;
    }
    const plotly = await this._loadPlotly();
    const points = scatterPoints(model, x, y);
    const labels = points.rows.map(row =>
      String(model.tableCell(row, 'label') ?? model.tableCell(row, 'id'))
    );
    const layout = this._plotLayout();
    const trace: PlotlyModule.Data = {
      type: 'scatter',
      mode: 'markers',
      x: points.x as PlotlyModule.Datum[],
      y: points.y,
      text: labels,
      hovertemplate: `%{text}<br>${x}: %{x}<br>${y}: %{y}<extra></extra>`
    };
    await plotly.react(
      this.scatterNode,
      [trace],
      {
        ...layout,
        height: 320,
        xaxis: { ...layout.xaxis, title: { text: x } },
        yaxis: { ...layout.yaxis, title: { text: y } }
      },
      { responsive: true }
    );
  }

  /** A brush on an axis: the axes' constraint ranges become the grid's row filter. */
  private _onBrush(): void {
    const model = this._model;
    const node = this.parcoordsNode as unknown as { data?: { dimensions?: unknown[] }[] };
    const dimensions = node.data?.[0]?.dimensions;
    if (!model || !Array.isArray(dimensions)) {
      return;
    }
    const axes = dimensions.map((d, i) => ({
      column: this._axes[i]?.column ?? '',
      constraintrange: (d as { constraintrange?: unknown }).constraintrange
    }));
    this._brushing = true;
    try {
      model.setRangeFilters(brushFilters(axes, column => model.kind(column)));
    } finally {
      this._brushing = false;
    }
  }

  private _onModel(_sender: CompareModel, change: CompareModel.Change): void {
    if (change === 'rows') {
      // The brush itself is drawn by plotly; the scatter follows the rows shown. A filter
      // cleared elsewhere (Clear Brush, a view) redraws the axes' ranges too.
      if (!this._brushing) {
        void this._drawParcoords();
      }
      void this._drawScatter();
    }
  }

  private readonly _trans: TranslationBundle;
  private readonly _preferredMetric: string | null;
  private readonly _metric: HTMLSelectElement;
  private readonly _axisChoice: HTMLDetailsElement;
  private readonly _x: HTMLSelectElement;
  private readonly _y: HTMLSelectElement;
  private _model: CompareModel | null = null;
  private _chosenFlags: string[] | null = null;
  private _axes: IAxis[] = [];
  private _plotly: Plotly | null = null;
  private _listening = false;
  private _brushing = false;
}

/** The statics of CompareCharts. */
export namespace CompareCharts {
  export interface IOptions {
    trans: TranslationBundle;
    /** The metric to colour by first, when the table has it. */
    metric?: string | null;
  }
}
