/**
 * The browser half of `npm run bench -- panels` (kernel/src/bench/panels.ts), skipped
 * unless NBX_BENCH=1. The bench generates 10,000 runs in the server's runs root, 20 of
 * them with 100,000 points per scalar key, and passes their ids (NBX_BENCH_SCALAR_IDS);
 * it also writes the Plotly anchor's input into the server's root: `anchor-loss.f64` (the
 * 20 runs' `loss` values, 100,000 each, Float64).
 *
 * Every step is timed inside the page, from the action to the next paint after its
 * result is in the DOM or on the canvas (a frame, then a task: the paint has happened).
 *
 *   Compare      `nbx:compare` on every run, on a fresh idle page: to the grid's first
 *                rows painted; then a click's sort by `#val_loss` (the first reads the
 *                column) and a second (the direction flips), each to the repaint.
 *   its anchor   `nbx compare --csv` of the same runs and the columns the panel showed,
 *                fetched by a blank page at the server's origin and rendered as an HTML
 *                table: to the first rows painted (fetch, parse, DOM); a sort by the same
 *                column, re-rendering the body, to the repaint.
 *   Scalars      `nbx:scalars` on the 20 runs, on a fresh idle page: to every chart of
 *                the open groups drawn; a zoom of `loss` to steps 50,000..51,000 (plotly's
 *                relayout, as a drag does) to the window drawn at full resolution; then
 *                live appends: one point of one run pushed to the model (as a push from
 *                the service is handled), to the repaint, 40 times. The first opening
 *                (the runs' series caches not built yet) is reported on its own, before
 *                the rounds.
 *   its anchor   Plotly.newPlot of the 20 full `loss` series (2,000,000 points), once,
 *                with a 120 s limit (null when it does not finish).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import type { Page } from '@playwright/test';
import { expect, test } from '@jupyterlab/galata';
import { freshPage, ROUNDS, shutDownServiceKernels, writeResult } from './bench-helpers';

const REPO = path.resolve(__dirname, '..', '..');
const SORT_COLUMN = '#val_loss';
const ZOOM: [number, number] = [50_000, 51_000];
const APPENDS = 40;

test.skip(!process.env.NBX_BENCH, 'a benchmark: npm run bench -- panels (sets NBX_BENCH=1)');

declare global {
  interface Window {
    /** Resolves after the next paint: a frame, then a task after it. */
    nbxNextPaint?: () => Promise<number>;
  }
}

/** Installs `nbxNextPaint` in the page. */
async function installNextPaint(page: Page): Promise<void> {
  await page.evaluate(() => {
    window.nbxNextPaint = () =>
      new Promise(resolve =>
        requestAnimationFrame(() => setTimeout(() => resolve(performance.now()), 0))
      );
  });
}

/**
 * A fresh JupyterLab page, idle: the service connected and the panels' modules loaded
 * (what the extension loads when the browser is idle after start, plotly included).
 */
async function idlePage(page: Page): Promise<void> {
  await page.waitForFunction(
    () =>
      ['nbx-runs-preloaded', 'nbx-scalars-preloaded'].every(
        mark => performance.getEntriesByName(mark, 'mark').length > 0
      ),
    undefined,
    { timeout: 60_000 }
  );
  await installNextPaint(page);
}

/** One opening of Compare: first rows, then two sorts (ms). */
interface ICompareRound {
  firstRows: number;
  sort: number;
  flip: number;
  rows: number;
  tableColumns: number;
  shownColumns: string[];
}

function openCompare(page: Page): Promise<ICompareRound> {
  return page.evaluate(async column => {
    type Model = {
      rowCount: number;
      columns: readonly string[];
      visibleColumns: readonly string[];
      sortByHeader(column: string, add?: boolean): void;
    };
    type Panel = { id: string; grid: unknown; session: { model: Model | null } };
    const find = (): Panel | null => {
      for (const widget of window.jupyterapp.shell.widgets('main')) {
        if (widget.id === 'nbx-compare-all') {
          return widget as unknown as Panel;
        }
      }
      return null;
    };
    const paint = window.nbxNextPaint as () => Promise<number>;
    const start = performance.now();
    void window.jupyterapp.commands.execute('nbx:compare', {});
    const deadline = start + 120_000;
    let panel = find();
    while (!(panel?.grid && (panel.session.model?.rowCount ?? 0) > 0)) {
      if (performance.now() > deadline) {
        throw new Error('no rows within 120 s');
      }
      await new Promise(requestAnimationFrame);
      panel = find();
    }
    const firstRows = (await paint()) - start;
    const model = panel.session.model as Model;
    let t = performance.now();
    model.sortByHeader(column);
    const sort = (await paint()) - t;
    t = performance.now();
    model.sortByHeader(column);
    const flip = (await paint()) - t;
    return {
      firstRows,
      sort,
      flip,
      rows: model.rowCount,
      tableColumns: model.columns.length,
      shownColumns: [...model.visibleColumns]
    };
  }, SORT_COLUMN);
}

/** The anchor: the CSV in a plain HTML table (ms). */
interface IAnchorRound {
  firstRows: number;
  sort: number;
  cells: number;
}

function htmlTable(page: Page, csvUrl: string, column: string): Promise<IAnchorRound> {
  return page.evaluate(
    async ({ csvUrl, column }) => {
      const paint = window.nbxNextPaint as () => Promise<number>;
      /** RFC 4180: quoted fields with doubled quotes, commas and newlines inside. */
      const parse = (text: string): string[][] => {
        const rows: string[][] = [];
        let row: string[] = [];
        let field = '';
        let quoted = false;
        for (let i = 0; i < text.length; i++) {
          const c = text[i];
          if (quoted) {
            if (c === '"' && text[i + 1] === '"') {
              field += '"';
              i++;
            } else if (c === '"') {
              quoted = false;
            } else {
              field += c;
            }
          } else if (c === '"') {
            quoted = true;
          } else if (c === ',') {
            row.push(field);
            field = '';
          } else if (c === '\n') {
            row.push(field);
            rows.push(row);
            row = [];
            field = '';
          } else if (c !== '\r') {
            field += c;
          }
        }
        if (field !== '' || row.length > 0) {
          row.push(field);
          rows.push(row);
        }
        return rows;
      };
      const body = (rows: string[][]): HTMLTableSectionElement => {
        const tbody = document.createElement('tbody');
        for (const cells of rows) {
          const tr = tbody.insertRow();
          for (const cell of cells) {
            tr.insertCell().textContent = cell;
          }
        }
        return tbody;
      };
      const start = performance.now();
      const [header, ...rows] = parse(await (await fetch(csvUrl)).text());
      const table = document.createElement('table');
      const head = table.createTHead().insertRow();
      for (const name of header) {
        const th = document.createElement('th');
        th.textContent = name;
        head.appendChild(th);
      }
      table.appendChild(body(rows));
      document.body.replaceChildren(table);
      const firstRows = (await paint()) - start;
      const at = header.indexOf(column);
      const t = performance.now();
      const key = (cells: string[]): number => (cells[at] === '' ? Infinity : Number(cells[at]));
      rows.sort((a, b) => key(a) - key(b));
      table.replaceChild(body(rows), table.tBodies[0]);
      const sort = (await paint()) - t;
      return { firstRows, sort, cells: rows.length * header.length };
    },
    { csvUrl, column }
  );
}

/** One opening of Scalars: charts drawn, then a zoom to full resolution (ms). */
interface IScalarsRound {
  charts: number;
  chartCount: number;
  zoom: number;
  zoomPoints: number;
}

function openScalars(page: Page, ids: string[], zoom: [number, number]): Promise<IScalarsRound> {
  return page.evaluate(
    async ({ ids, zoom }) => {
      type Plot = HTMLElement & { data?: { x: ArrayLike<number> }[] };
      const paint = window.nbxNextPaint as () => Promise<number>;
      const cards = (): Plot[] =>
        [
          ...document.querySelectorAll<HTMLElement>('#nbx-scalars details[open] .nbx-Scalars-plot')
        ].map(node => node as Plot);
      const drawn = (): boolean =>
        cards().length > 0 &&
        cards().every(
          plot => plot.classList.contains('js-plotly-plot') && plot.data?.length === ids.length * 2
        );
      const until = async (test: () => boolean, what: string): Promise<void> => {
        const deadline = performance.now() + 120_000;
        while (!test()) {
          if (performance.now() > deadline) {
            throw new Error(`${what}: not within 120 s`);
          }
          await new Promise(requestAnimationFrame);
        }
      };
      const start = performance.now();
      void window.jupyterapp.commands.execute('nbx:scalars', { ids });
      await until(drawn, 'charts');
      const charts = (await paint()) - start;
      const plot = document.querySelector<HTMLElement>(
        '#nbx-scalars .nbx-Scalars-card[data-key="loss"] .nbx-Scalars-plot'
      ) as Plot;
      const widget = [...window.jupyterapp.shell.widgets('main')].find(
        w => w.id === 'nbx-scalars'
      ) as unknown as {
        content: { _plotly: { relayout(n: HTMLElement, u: object): Promise<unknown> } };
      };
      const full = zoom[1] - zoom[0] + 1;
      const t = performance.now();
      void widget.content._plotly.relayout(plot, { 'xaxis.range': [zoom[0], zoom[1]] });
      await until(
        () => (plot.data ?? []).every(trace => trace.x.length === full),
        'the zoom window at full resolution'
      );
      const zoomMs = (await paint()) - t;
      return { charts, chartCount: cards().length, zoom: zoomMs, zoomPoints: full };
    },
    { ids, zoom }
  );
}

/** Live appends to the open Scalars panel: ms per update (model to repaint). */
function appendLive(page: Page, ids: string[], count: number): Promise<number[]> {
  return page.evaluate(
    async ({ ids, count }) => {
      type Points = { step: Float64Array; time: Float64Array; value: Float64Array };
      type Model = {
        zoom(key: string, range: null): Promise<void>;
        chart(key: string): { traces: { runId: string; step: Float64Array; x: Float64Array }[] };
        appendLive(id: string, points: Map<string, Points>): void;
      };
      const paint = window.nbxNextPaint as () => Promise<number>;
      const widget = [...window.jupyterapp.shell.widgets('main')].find(
        w => w.id === 'nbx-scalars'
      ) as unknown as { content: { model: Model } };
      const model = widget.content.model;
      await model.zoom('loss', null);
      await paint();
      await paint();
      const times: number[] = [];
      for (let i = 0; i < count; i++) {
        const id = ids[i % ids.length];
        const trace = model.chart('loss').traces.find(t => t.runId === id);
        const last = trace ? trace.step[trace.step.length - 1] : 0;
        const step = last + 1;
        const point: Points = {
          step: Float64Array.of(step),
          time: Float64Array.of(Date.now() + i),
          value: Float64Array.of(0.5)
        };
        const t = performance.now();
        model.appendLive(id, new Map([['loss', point]]));
        times.push((await paint()) - t);
      }
      return times;
    },
    { ids, count }
  );
}

/** The anchor: Plotly.newPlot of the full series, or null when it does not finish. */
function plotlyFull(page: Page, runs: number): Promise<number | null> {
  return page.evaluate(async runs => {
    const paint = window.nbxNextPaint as () => Promise<number>;
    const widget = [...window.jupyterapp.shell.widgets('main')].find(
      w => w.id === 'nbx-scalars'
    ) as unknown as {
      content: { _plotly: { newPlot(n: HTMLElement, d: object[], l: object): Promise<unknown> } };
    };
    const values = new Float64Array(
      await (
        await fetch(
          `${window.jupyterapp.serviceManager.serverSettings.baseUrl}files/anchor-loss.f64`
        )
      ).arrayBuffer()
    );
    const n = values.length / runs;
    const steps = Float64Array.from({ length: n }, (_, i) => i);
    const node = document.createElement('div');
    node.style.cssText = 'position:fixed;left:0;top:0;width:800px;height:280px;z-index:1000';
    document.body.appendChild(node);
    const traces = Array.from({ length: runs }, (_, r) => ({
      type: 'scatter',
      mode: 'lines',
      x: steps,
      y: values.subarray(r * n, (r + 1) * n)
    }));
    const t = performance.now();
    const done = widget.content._plotly.newPlot(node, traces, { height: 280 }).then(() => paint());
    const limit = new Promise<null>(resolve => setTimeout(() => resolve(null), 120_000));
    const end = await Promise.race([done, limit]);
    return end === null ? null : end - t;
  }, runs);
}

test.afterEach(async ({ request }) => {
  await shutDownServiceKernels(request);
});

test('Compare on 10,000 runs and Scalars on 20 runs × 100,000 points, beside their anchors', async ({
  browser,
  baseURL,
  request
}) => {
  test.setTimeout(600_000 + ROUNDS * 180_000);
  const base = baseURL ?? '';
  const project = process.env.JUPYTERLAB_GALATA_ROOT_DIR ?? '';
  const ids = (process.env.NBX_BENCH_SCALAR_IDS ?? '').split(',').filter(Boolean);
  expect(project).not.toBe('');
  expect(ids.length).toBeGreaterThan(0);
  await shutDownServiceKernels(request);

  const compare: ICompareRound[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const page = await freshPage(browser, base);
    await idlePage(page);
    compare.push(await openCompare(page));
    await page.context().close();
  }
  expect(compare[0].rows).toBe(10_000);

  // The anchor's table: the same runs and the columns the panel showed.
  const csv = execFileSync(
    process.execPath,
    [
      path.join(REPO, 'kernel', 'bin', 'nbx.js'),
      'compare',
      '--columns',
      compare[0].shownColumns.filter(name => name !== 'id').join(','),
      '--csv'
    ],
    { env: { ...process.env, NBX_HOME: path.join(project, '.nbx') }, maxBuffer: 1 << 30 }
  );
  fs.writeFileSync(path.join(project, 'anchor.csv'), csv);
  const anchor: IAnchorRound[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    // A blank page at the server's origin (the server's own pages forbid fetching by CSP).
    await page.route(`${base}/nbx-bench-anchor`, route =>
      route.fulfill({ contentType: 'text/html', body: '<!doctype html><body></body>' })
    );
    await page.goto(`${base}/nbx-bench-anchor`);
    await installNextPaint(page);
    anchor.push(await htmlTable(page, `${base}/files/anchor.csv`, SORT_COLUMN));
    await context.close();
  }

  const scalars: IScalarsRound[] = [];
  let scalarsFirst: IScalarsRound | null = null;
  let appends: number[] = [];
  let full: number | null = null;
  for (let round = -1; round < ROUNDS; round++) {
    const page = await freshPage(browser, base);
    await idlePage(page);
    const opened = await openScalars(page, ids, ZOOM);
    if (round < 0) {
      scalarsFirst = opened;
    } else {
      scalars.push(opened);
    }
    if (round === ROUNDS - 1) {
      appends = await appendLive(page, ids, APPENDS);
      full = await plotlyFull(page, ids.length);
    }
    await page.context().close();
  }
  writeResult('nbx-bench-panels', {
    compare,
    anchor,
    scalars,
    scalarsFirst,
    appends,
    plotlyFull: full
  });
});
