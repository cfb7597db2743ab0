/**
 * A run view's graph tab: a pipeline's steps (or a run and the runs it used) drawn as a
 * small graph — a box per run with its status, arrows from step to step and from each
 * run to the runs that used its files — and a list linking each run to its own view.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';
import { shortId } from '../format';
import { statusElement, statusLabel } from '../status-icons';
import type { IGraphNode, IRunGraph } from './graph';

const SVG = 'http://www.w3.org/2000/svg';

/** Box size and the gap between boxes, in pixels. */
const BOX = { width: 150, height: 44, gap: 48, top: 36 };

/** The graph of a pipeline or of a run's dependencies. */
export class RunGraphView extends Widget {
  constructor(options: RunGraphView.IOptions) {
    super();
    this._trans = options.trans;
    this._openRun = options.openRun;
    this.addClass('nbx-RunGraph');
    this.title.label = options.pipeline ? this._trans.__('Steps') : this._trans.__('Dependencies');
  }

  /** Shows `graph`. Redraws only when it changed. */
  render(graph: IRunGraph): void {
    const signature = JSON.stringify(graph);
    if (signature === this._shown) {
      return;
    }
    this._shown = signature;
    this.node.replaceChildren(this._drawing(graph), this._list(graph));
  }

  /** The boxes in one row, `next` arrows between neighbours, `uses` arcs above them. */
  private _drawing(graph: IRunGraph): SVGSVGElement {
    const x = new Map(graph.nodes.map((n, i) => [n.id, i * (BOX.width + BOX.gap)]));
    const width = Math.max(1, graph.nodes.length) * (BOX.width + BOX.gap) - BOX.gap;
    const svg = Private.svg('svg', {
      class: 'nbx-RunGraph-drawing',
      width: String(width + 2),
      height: String(BOX.top + BOX.height + 2),
      role: 'img',
      'aria-label': this._trans.__('Graph of %1 runs', graph.nodes.length)
    });
    const defs = Private.svg('defs', {});
    const marker = Private.svg('marker', {
      id: 'nbx-RunGraph-arrow',
      viewBox: '0 0 8 8',
      refX: '8',
      refY: '4',
      markerWidth: '8',
      markerHeight: '8',
      orient: 'auto'
    });
    marker.appendChild(Private.svg('path', { d: 'M0,0 L8,4 L0,8 z', class: 'nbx-RunGraph-head' }));
    defs.appendChild(marker);
    svg.appendChild(defs);
    for (const edge of graph.edges) {
      const from = x.get(edge.from);
      const to = x.get(edge.to);
      if (from === undefined || to === undefined) {
        continue;
      }
      const y = BOX.top + BOX.height / 2;
      const d =
        edge.kind === 'next' && to > from
          ? `M${from + BOX.width},${y} L${to},${y}`
          : Private.arc(from + BOX.width / 2, to + BOX.width / 2, BOX.top);
      svg.appendChild(
        Private.svg('path', {
          d,
          class: `nbx-RunGraph-edge nbx-mod-${edge.kind}`,
          'marker-end': 'url(#nbx-RunGraph-arrow)'
        })
      );
    }
    for (const node of graph.nodes) {
      svg.appendChild(this._box(node, x.get(node.id) ?? 0));
    }
    return svg;
  }

  /** One run: a box with its name and status; a click opens its view. */
  private _box(node: IGraphNode, left: number): SVGGElement {
    const trans = this._trans;
    const status = node.status === null ? trans.__('unknown') : statusLabel(trans, node.status);
    const group = Private.svg('g', {
      class: `nbx-RunGraph-node nbx-mod-${node.status ?? 'unknown'} nbx-mod-${node.role}`,
      transform: `translate(${left + 1},${BOX.top + 1})`,
      tabindex: '0',
      role: 'button',
      'aria-label': trans.__('Open run %1 (%2, %3)', shortId(node.id), node.name, status)
    });
    group.appendChild(
      Private.svg('rect', { width: String(BOX.width), height: String(BOX.height), rx: '4' })
    );
    const name = Private.svg('text', { x: '8', y: '18', class: 'nbx-RunGraph-name' });
    name.textContent = node.name;
    const detail = Private.svg('text', { x: '8', y: '35', class: 'nbx-RunGraph-detail' });
    detail.textContent = `${shortId(node.id)} · ${status}`;
    const tip = Private.svg('title', {});
    tip.textContent = `${node.notebook} ${node.id}`;
    group.append(tip, name, detail);
    group.addEventListener('click', () => this._openRun(node.id));
    group.addEventListener('keydown', event => {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        this._openRun(node.id);
      }
    });
    return group;
  }

  /** Each run of the graph as a line: status, a button opening it, what it is. */
  private _list(graph: IRunGraph): HTMLElement {
    const trans = this._trans;
    const list = document.createElement('ul');
    list.className = 'nbx-RunGraph-list';
    for (const node of graph.nodes) {
      const item = document.createElement('li');
      item.dataset.id = node.id;
      if (node.status !== null) {
        item.appendChild(statusElement(trans, node.status));
      }
      const open = document.createElement('button');
      open.type = 'button';
      open.className = 'jp-Button jp-mod-minimal nbx-RunGraph-open';
      open.textContent = shortId(node.id);
      open.title = trans.__('Open run %1', node.id);
      open.addEventListener('click', () => this._openRun(node.id));
      const what =
        node.role === 'step'
          ? trans.__('step %1: %2', node.name, node.notebook)
          : node.role === 'dependency'
            ? trans.__('used: %1', node.notebook)
            : trans.__('this run: %1', node.notebook);
      item.append(open, document.createTextNode(` ${what}`));
      list.appendChild(item);
    }
    return list;
  }

  private _trans: TranslationBundle;
  private _openRun: (id: string) => void;
  private _shown = '';
}

/** The statics of `RunGraphView`. */
export namespace RunGraphView {
  export interface IOptions {
    trans: TranslationBundle;
    /** A pipeline's steps (else a run's dependencies): names the tab. */
    pipeline: boolean;
    /** Opens a run's view. */
    openRun: (id: string) => void;
  }
}

namespace Private {
  /** An SVG element with attributes. */
  export function svg<K extends keyof SVGElementTagNameMap>(
    tag: K,
    attributes: Record<string, string>
  ): SVGElementTagNameMap[K] {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attributes)) {
      node.setAttribute(name, value);
    }
    return node;
  }

  /** An arc from the top of one box to the top of another, above the row. */
  export function arc(from: number, to: number, top: number): string {
    const lift = Math.min(top - 4, 12 + Math.abs(to - from) / 12);
    return `M${from},${top} C${from},${top - lift} ${to},${top - lift} ${to},${top}`;
  }
}
