/**
 * The Scalars panel: a toolbar of view options (search, x axis, smoothing, log scale,
 * outliers), and the keys by prefix, each group foldable, one plotly chart per key with a
 * trace per run (the raw series faint behind the smoothed one). What it draws comes from
 * its model (model.ts); plotly is loaded on first use (its own chunk, megabytes).
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';
import type { Config, Data, Layout, PlotlyHTMLElement } from 'plotly.js';
import { loadPlotly, type Plotly } from '../plotly';
import { axisNumber, linePath, plotArea } from './live-draw';
import type { IAppended, IChart, ScalarsModel, XAxis } from './model';

/** One key's card: its title, buttons and plot. */
interface ICard {
  key: string;
  node: HTMLElement;
  plot: HTMLElement;
  /** Live points drawn over the plot until it is redrawn (see live-draw). */
  live: SVGSVGElement;
  /** Trace index of each run's raw and smoothed trace, as last drawn. */
  traces: Map<string, [number, number]>;
  /** The model's revision of the chart as drawn (null: to be drawn). */
  drawn: string | null;
  /** How long the last drawing took (ms). */
  drawMs: number;
  /** The pending redraw that takes in the live points drawn over the plot, or 0. */
  settle: number;
}

/** A plotly chart's element as drawn: its traces and its laid-out axes. */
type DrawnPlot = HTMLElement & {
  data?: { x: Float64Array; y: Float64Array; customdata?: unknown[]; visible?: unknown }[];
  _fullLayout?: unknown;
};

/** Fewest ms between two redraws of a chart that take in live points. */
const SETTLE_MS = 1000;
const SVG = 'http://www.w3.org/2000/svg';

export class ScalarsPanel extends Widget {
  constructor(options: ScalarsPanel.IOptions) {
    super();
    this.model = options.model;
    this._trans = options.trans;
    this.addClass('nbx-Scalars');
    this.title.label = this._trans.__('Scalars');
    this.title.closable = true;
    this._buildToolbar();
    this._message = document.createElement('div');
    this._message.className = 'nbx-Scalars-message';
    this._legend = document.createElement('ul');
    this._legend.className = 'nbx-Scalars-legend';
    this._legend.setAttribute('aria-label', this._trans.__('Runs'));
    this._groups = document.createElement('div');
    this._groups.className = 'nbx-Scalars-groups';
    this.node.append(this._toolbar, this._legend, this._message, this._groups);
    this.model.changed.connect(this._scheduleRender, this);
    this.model.appended.connect(this._onAppended, this);
  }

  readonly model: ScalarsModel;

  /** The ids of the runs shown (for restoring the layout). */
  get runIds(): string[] {
    return this.model.runs.map(meta => meta.id);
  }

  /** Redraws with the theme's colours. */
  updateTheme(): void {
    for (const card of this._cards.values()) {
      card.drawn = null;
    }
    this._scheduleRender();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    for (const card of this._cards.values()) {
      clearTimeout(card.settle);
      this._plotly?.purge(card.plot);
    }
    this._cards.clear();
    this.model.dispose();
    super.dispose();
  }

  private _buildToolbar(): void {
    const trans = this._trans;
    const bar = document.createElement('div');
    bar.className = 'nbx-Scalars-toolbar';

    const search = document.createElement('input');
    search.type = 'search';
    search.className = 'jp-mod-styled nbx-Scalars-search';
    search.placeholder = trans.__('Search keys');
    search.setAttribute('aria-label', trans.__('Search keys'));
    search.addEventListener('input', () => (this.model.search = search.value));

    const axis = document.createElement('select');
    axis.className = 'jp-mod-styled nbx-Scalars-xAxis';
    axis.setAttribute('aria-label', trans.__('X axis'));
    const axes: [XAxis, string][] = [
      ['step', trans.__('Step')],
      ['time', trans.__('Wall time')],
      ['relative', trans.__('Relative time')]
    ];
    for (const [value, label] of axes) {
      axis.add(new Option(label, value, value === this.model.xAxis, value === this.model.xAxis));
    }
    axis.addEventListener('change', () => (this.model.xAxis = axis.value as XAxis));

    const smoothing = document.createElement('input');
    smoothing.type = 'range';
    smoothing.min = '0';
    smoothing.max = '0.99';
    smoothing.step = '0.01';
    smoothing.value = String(this.model.smoothing);
    smoothing.className = 'nbx-Scalars-smoothing';
    smoothing.setAttribute('aria-label', trans.__('Smoothing'));
    const smoothingValue = document.createElement('output');
    smoothingValue.className = 'nbx-Scalars-smoothingValue';
    smoothingValue.textContent = this.model.smoothing.toFixed(2);
    smoothing.addEventListener('input', () => {
      this.model.smoothing = Number(smoothing.value);
      smoothingValue.textContent = this.model.smoothing.toFixed(2);
    });

    const check = (label: string, className: string, onChange: (on: boolean) => void) => {
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.className = className;
      box.addEventListener('change', () => onChange(box.checked));
      const wrap = document.createElement('label');
      wrap.className = 'nbx-Scalars-check';
      wrap.append(box, label);
      return wrap;
    };

    const field = (label: string, ...controls: HTMLElement[]): HTMLElement => {
      const wrap = document.createElement('label');
      wrap.className = 'nbx-Scalars-field';
      wrap.append(label, ...controls);
      return wrap;
    };

    bar.append(
      search,
      field(trans.__('X axis'), axis),
      field(trans.__('Smoothing'), smoothing, smoothingValue),
      check(trans.__('Log scale'), 'nbx-Scalars-logY', on => (this.model.logY = on)),
      check(
        trans.__('Ignore outliers'),
        'nbx-Scalars-outliers',
        on => (this.model.ignoreOutliers = on)
      )
    );
    this._toolbar = bar;
  }

  private _scheduleRender(): void {
    if (this._frame === 0) {
      this._frame = requestAnimationFrame(() => {
        this._frame = 0;
        void this._render();
      });
    }
  }

  private async _render(): Promise<void> {
    const trans = this._trans;
    const model = this.model;
    this.title.label =
      model.runs.length > 0
        ? trans.__('Scalars (%1 runs)', model.runs.length)
        : trans.__('Scalars');
    const groups = model.groups;
    this._message.textContent =
      model.error ??
      (model.runs.length === 0
        ? trans.__('No runs: select runs in the Runs panel and choose Show Scalars.')
        : model.keys.length === 0
          ? trans.__('These runs have no scalars yet.')
          : groups.length === 0
            ? trans.__('No key matches the search.')
            : '');
    this._message.hidden = this._message.textContent === '';
    this._renderLegend();

    const plotly = await this._loadPlotly();
    if (this.isDisposed) {
      return;
    }
    const seen = new Set<string>();
    const sections: HTMLElement[] = [];
    for (const group of groups) {
      const section = this._section(group.prefix);
      const details = section.firstElementChild as HTMLDetailsElement;
      details.open = !group.folded;
      const summary = details.querySelector('summary') as HTMLElement;
      summary.textContent =
        (group.prefix === '' ? trans.__('Metrics') : group.prefix) + ` (${group.keys.length})`;
      const grid = details.querySelector('.nbx-Scalars-grid') as HTMLElement;
      const cards: HTMLElement[] = [];
      if (!group.folded) {
        for (const key of group.keys) {
          seen.add(key);
          const card = this._card(key);
          cards.push(card.node);
          // Only the charts whose points or options changed are drawn again.
          const revision = model.chartRevision(key);
          if (model.hasPoints(key) && card.drawn !== revision) {
            card.drawn = revision;
            this._draw(plotly, card, model.chart(key));
          }
        }
      }
      grid.replaceChildren(...cards);
      sections.push(section);
    }
    this._groups.replaceChildren(...sections);
    for (const [key, card] of this._cards) {
      if (!seen.has(key)) {
        clearTimeout(card.settle);
        plotly.purge(card.plot);
        this._cards.delete(key);
      }
    }
  }

  /**
   * One legend for every chart (the runs are the same in each, in the same colours): an
   * HTML list is drawn once, where a plotly legend per chart costs as much to draw as the
   * chart's lines.
   */
  private _renderLegend(): void {
    const items = this.model.legend.map(entry => {
      const item = document.createElement('li');
      item.className = 'nbx-Scalars-legendItem';
      item.dataset.run = entry.runId;
      item.title = [entry.runId, ...entry.flags].join('\n');
      const swatch = document.createElement('span');
      swatch.className = 'nbx-Scalars-swatch';
      swatch.style.backgroundColor = entry.color;
      item.append(swatch, entry.name);
      return item;
    });
    this._legend.replaceChildren(...items);
    this._legend.hidden = items.length === 0;
  }

  /** The section of a prefix's group (made once, kept while the panel lives). */
  private _section(prefix: string): HTMLElement {
    let section = this._sections.get(prefix);
    if (!section) {
      section = document.createElement('section');
      section.className = 'nbx-Scalars-group';
      section.dataset.prefix = prefix;
      const details = document.createElement('details');
      const summary = document.createElement('summary');
      const grid = document.createElement('div');
      grid.className = 'nbx-Scalars-grid';
      details.append(summary, grid);
      details.addEventListener('toggle', () => this.model.setFolded(prefix, !details.open));
      section.appendChild(details);
      this._sections.set(prefix, section);
    }
    return section;
  }

  /** The card of a key (made once, kept while the key is shown). */
  private _card(key: string): ICard {
    let card = this._cards.get(key);
    if (card) {
      return card;
    }
    const trans = this._trans;
    const node = document.createElement('div');
    node.className = 'nbx-Scalars-card';
    node.dataset.key = key;
    const head = document.createElement('div');
    head.className = 'nbx-Scalars-cardHead';
    const title = document.createElement('span');
    title.className = 'nbx-Scalars-key';
    title.textContent = key;
    title.title = key;
    const png = this._button(trans.__('PNG'), trans.__('Save the chart as a PNG image'), () =>
      this._savePng(key)
    );
    const csv = this._button(trans.__('CSV'), trans.__("Save the chart's points as CSV"), () =>
      this._saveCsv(key)
    );
    head.append(title, png, csv);
    const plot = document.createElement('div');
    plot.className = 'nbx-Scalars-plot';
    plot.textContent = trans.__('Loading…');
    const live = document.createElementNS(SVG, 'svg');
    live.classList.add('nbx-Scalars-live');
    const area = document.createElement('div');
    area.className = 'nbx-Scalars-plotArea';
    area.append(plot, live);
    node.append(head, area);
    card = { key, node, plot, live, traces: new Map(), drawn: null, drawMs: 0, settle: 0 };
    this._cards.set(key, card);
    return card;
  }

  private _button(label: string, caption: string, onClick: () => void): HTMLButtonElement {
    const button = document.createElement('button');
    button.className = 'jp-mod-styled nbx-Scalars-button';
    button.textContent = label;
    button.title = caption;
    button.addEventListener('click', onClick);
    return button;
  }

  private _draw(plotly: Plotly, card: ICard, chart: IChart): void {
    const model = this.model;
    const trans = this._trans;
    const data: Data[] = [];
    card.traces.clear();
    // Points pushed before this draw are in the model's chart already.
    this._appends = this._appends.filter(points => points.key !== chart.key);
    for (const trace of chart.traces) {
      card.traces.set(trace.runId, [data.length, data.length + 1]);
      const smoothed = trace.smoothed !== trace.raw;
      // For the hover text, which only the smoothed trace has.
      const customdata = Private.customData(trace.step, trace.raw);
      data.push({
        type: 'scatter',
        mode: 'lines',
        x: trace.x,
        y: trace.raw,
        name: trace.name,
        legendgroup: trace.runId,
        showlegend: false,
        hoverinfo: 'skip',
        // Faint behind the smoothed line; without smoothing the two are the same line.
        visible: smoothed,
        opacity: 0.3,
        line: { color: trace.color, width: 1 },
        meta: { run: trace.runId, series: 'raw' }
      } as Data);
      const flags = trace.flags.map(f => `<br>${Private.escape(f)}`).join('');
      data.push({
        type: 'scatter',
        mode: 'lines',
        x: trace.x,
        y: trace.smoothed,
        customdata,
        name: trace.name,
        legendgroup: trace.runId,
        line: { color: trace.color, width: 1.6 },
        hovertemplate:
          `<b>${Private.escape(trace.name)}</b><br>` +
          `${trans.__('step')} %{customdata[0]}<br>` +
          `${trans.__('value')} %{customdata[1]:.6g}` +
          (smoothed ? `<br>${trans.__('smoothed')} %{y:.6g}` : '') +
          `${flags}<extra></extra>`,
        meta: { run: trace.runId, series: 'smoothed' }
      } as Data);
    }
    const style = getComputedStyle(this.node);
    const color = (name: string, fallback: string): string =>
      style.getPropertyValue(name).trim() || fallback;
    const font = color('--jp-ui-font-color1', '#333');
    const grid = color('--jp-border-color2', '#ddd');
    const axisTitles: { [axis in XAxis]: string } = {
      step: trans.__('step'),
      time: trans.__('wall time'),
      relative: trans.__('relative time (s)')
    };
    const layout: Partial<Layout> = {
      height: 280,
      margin: { l: 56, r: 12, t: 8, b: 40 },
      paper_bgcolor: 'rgba(0,0,0,0)',
      plot_bgcolor: 'rgba(0,0,0,0)',
      font: { color: font, size: 11 },
      // The panel's legend serves every chart.
      showlegend: false,
      hovermode: 'closest',
      // Keeps the person's zoom across redraws of the same key and axis.
      uirevision: `${chart.key}:${model.xAxis}:${model.logY}`,
      xaxis: {
        title: { text: axisTitles[model.xAxis] },
        type: model.xAxis === 'time' ? 'date' : 'linear',
        gridcolor: grid,
        zeroline: false
      },
      yaxis: {
        type: model.logY ? 'log' : 'linear',
        gridcolor: grid,
        zeroline: false,
        ...(chart.yRange ? { range: chart.yRange, autorange: false } : { autorange: true })
      }
    };
    const config: Partial<Config> = { displaylogo: false, responsive: true };
    if (card.plot.textContent !== '' && !card.plot.classList.contains('js-plotly-plot')) {
      card.plot.textContent = '';
    }
    const first = !card.plot.classList.contains('js-plotly-plot');
    // The live points drawn over the plot are in its data now.
    clearTimeout(card.settle);
    card.settle = 0;
    card.live.replaceChildren();
    const start = performance.now();
    void plotly.react(card.plot, data, layout, config).then(plot => {
      card.drawMs = performance.now() - start;
      if (first) {
        this._listenZoom(plot, chart.key);
        // Plotly's own redraws (a resize, a zoom) draw every point of its data too.
        plot.on('plotly_afterplot', () => card.live.replaceChildren());
      }
    });
  }

  /** Zooming in fetches the window at full resolution; a reset goes back to the whole. */
  private _listenZoom(plot: PlotlyHTMLElement, key: string): void {
    plot.on('plotly_relayout', event => {
      const e = event as Record<string, unknown>;
      if (e['xaxis.autorange'] === true) {
        void this.model.zoom(key, null);
        return;
      }
      // A drag sends the ends apart; Plotly.relayout with `xaxis.range` sends the pair.
      const range = Array.isArray(e['xaxis.range']) ? (e['xaxis.range'] as unknown[]) : null;
      const from = axisNumber(range ? range[0] : e['xaxis.range[0]']);
      const to = axisNumber(range ? range[1] : e['xaxis.range[1]']);
      if (from !== null && to !== null) {
        void this.model.zoom(key, [from, to]);
      }
    });
  }

  private _onAppended(_model: ScalarsModel, appended: IAppended[]): void {
    // Each extendTraces redraws the whole chart (every trace of it): the points pushed
    // within a frame, of any number of runs, are drawn by one call per chart.
    this._appends.push(...appended);
    if (this._appendFrame === 0) {
      this._appendFrame = requestAnimationFrame(() => {
        this._appendFrame = 0;
        this._flushAppends();
      });
    }
  }

  private _flushAppends(): void {
    const appended = this._appends;
    this._appends = [];
    if (!this._plotly || this.isDisposed) {
      return;
    }
    // Per chart, per trace index: the points to add, in the order they came.
    const byCard = new Map<ICard, Map<number, IAppended[]>>();
    for (const points of appended) {
      const card = this._cards.get(points.key);
      const indices = card?.traces.get(points.runId);
      if (!card || card.drawn === null) {
        continue;
      }
      if (!indices || !card.plot.classList.contains('js-plotly-plot')) {
        // Not drawn yet as it is now: drawn whole.
        card.drawn = null;
        this._scheduleRender();
        continue;
      }
      let traces = byCard.get(card);
      if (!traces) {
        traces = new Map();
        byCard.set(card, traces);
      }
      traces.set(indices[0], [...(traces.get(indices[0]) ?? []), points]);
    }
    for (const [card, traces] of byCard) {
      this._drawLive(card, traces);
    }
  }

  /**
   * Draws a chart's live points over it (see live-draw) and adds them to its plotly
   * data, so any redraw has them; the chart is redrawn (axes rescaled, the points made
   * hoverable) once SETTLE_MS have passed, or four times its last drawing time.
   */
  private _drawLive(card: ICard, traces: Map<number, IAppended[]>): void {
    const plot = card.plot as DrawnPlot;
    const area = plotArea(plot._fullLayout);
    const data = plot.data;
    if (!area || !data) {
      card.drawn = null;
      this._scheduleRender();
      return;
    }
    const paths: SVGPathElement[] = [];
    for (const [raw, runs] of traces) {
      const points = Private.joined(runs);
      const custom = Private.customData(points.step, points.raw);
      for (const [index, y] of [
        [raw, points.raw],
        [raw + 1, points.smoothed]
      ] as const) {
        const trace = data[index] as (typeof data)[number] & {
          line?: { color?: string; width?: number };
          opacity?: number;
        };
        const n = trace.x.length;
        if (trace.visible !== false) {
          // From the last point drawn, so the line goes on.
          const x0 = n > 0 ? [trace.x[n - 1]] : [];
          const y0 = n > 0 ? [trace.y[n - 1]] : [];
          const path = document.createElementNS(SVG, 'path');
          path.setAttribute('d', linePath(area, [...x0, ...points.x], [...y0, ...y]));
          path.setAttribute('fill', 'none');
          path.setAttribute('stroke', trace.line?.color ?? '#888');
          path.setAttribute('stroke-width', String(trace.line?.width ?? 1));
          path.setAttribute('opacity', String(trace.opacity ?? 1));
          paths.push(path);
        }
        trace.x = Private.concat(trace.x, points.x);
        trace.y = Private.concat(trace.y, y);
      }
      // The hover data of the run's points (the smoothed trace's).
      data[raw + 1].customdata?.push(...custom);
    }
    card.live.append(...paths);
    if (card.settle === 0) {
      card.settle = window.setTimeout(
        () => {
          card.settle = 0;
          card.drawn = null;
          this._scheduleRender();
        },
        Math.max(SETTLE_MS, 4 * card.drawMs)
      );
    }
  }

  private async _savePng(key: string): Promise<void> {
    const card = this._cards.get(key);
    if (card && this._plotly && card.plot.classList.contains('js-plotly-plot')) {
      await this._plotly.downloadImage(card.plot, {
        format: 'png',
        filename: Private.fileName(key),
        width: card.plot.clientWidth || 800,
        height: card.plot.clientHeight || 280
      });
    }
  }

  private async _saveCsv(key: string): Promise<void> {
    const text = await this.model.csv(key);
    const url = URL.createObjectURL(new Blob([text], { type: 'text/csv' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = `${Private.fileName(key)}.csv`;
    link.click();
    URL.revokeObjectURL(url);
  }

  private async _loadPlotly(): Promise<Plotly> {
    // Its own chunk: the extension's first load does not carry it.
    this._plotly ??= await loadPlotly();
    return this._plotly;
  }

  private _trans: TranslationBundle;
  private _toolbar!: HTMLElement;
  private _message: HTMLElement;
  private _legend: HTMLElement;
  private _groups: HTMLElement;
  private _sections = new Map<string, HTMLElement>();
  private _cards = new Map<string, ICard>();
  private _plotly: Plotly | null = null;
  private _frame = 0;
  private _appends: IAppended[] = [];
  private _appendFrame = 0;
}

export namespace ScalarsPanel {
  export interface IOptions {
    model: ScalarsModel;
    trans: TranslationBundle;
  }

  /** The id of the panel's main-area widget (one Scalars panel). */
  export const WIDGET_ID = 'nbx-scalars';
}

namespace Private {
  /** Per point `[step, raw value]`, for the hover text. */
  export function customData(step: Float64Array, raw: Float64Array): [number, number][] {
    const out = new Array<[number, number]>(step.length);
    for (let i = 0; i < step.length; i++) {
      out[i] = [step[i], raw[i]];
    }
    return out;
  }

  /** One run's appends of a frame as one batch (a single append as it is). */
  export function joined(runs: IAppended[]): IAppended {
    if (runs.length === 1) {
      return runs[0];
    }
    const join = (pick: (points: IAppended) => Float64Array): Float64Array => {
      const out = new Float64Array(runs.reduce((n, points) => n + pick(points).length, 0));
      let at = 0;
      for (const points of runs) {
        out.set(pick(points), at);
        at += pick(points).length;
      }
      return out;
    };
    return {
      ...runs[0],
      x: join(p => p.x),
      step: join(p => p.step),
      raw: join(p => p.raw),
      smoothed: join(p => p.smoothed)
    };
  }

  /** `a` followed by `b`. */
  export function concat(a: Float64Array, b: Float64Array): Float64Array {
    const out = new Float64Array(a.length + b.length);
    out.set(a);
    out.set(b, a.length);
    return out;
  }

  /** HTML special characters of a name, escaped for plotly's hover text. */
  export function escape(text: string): string {
    return text.replace(/[&<>"]/g, c => `&#${c.charCodeAt(0)};`).replace(/%/g, '&#37;');
  }

  /** A file name for a key (`sys/gpu/0/util` → `sys-gpu-0-util`). */
  export function fileName(key: string): string {
    return key.replace(/[^\w.-]+/g, '-');
  }
}
