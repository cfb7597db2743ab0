/**
 * The Scalars panel in a real JupyterLab: charts of three runs (two generated with 3000
 * steps of scalars, downsampled by the service, one real run of a notebook printing `step=N loss=…`), the
 * smoothing slider (the smoothed traces are checked against the debiased EMA computed
 * here), the x axis (step, relative and wall time) and the log scale; and a real run's
 * chart growing while it runs, from the points the service pushes. Screenshots of the
 * panel in the light and dark themes are attached to the report.
 *
 * The runs root is an absolute directory made here (the `runsRoot` setting), so the
 * generated runs can be written into it before the panel reads it.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { expect, galata, test } from '@jupyterlab/galata';
import { writeScalarPoints } from '../../kernel/lib/bench/gen-scalars';
import { generateRuns } from '../../kernel/lib/bench/gen-runs';
import {
  callService,
  nbxSettings,
  pythonNotebook,
  saveScreenshot,
  type Page
} from './runs-helpers';

const runsRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'nbx-ui-scalars-'));

/** A python3 notebook printing `step=N loss=…` lines, `pause` seconds apart. */
function printingNotebook(steps: number, pause: number): string {
  const source =
    'import time, math\n' +
    `for step in range(${steps}):\n` +
    '    print(f"step={step} loss={2 * math.exp(-step / 10):.4f}", flush=True)\n' +
    `    time.sleep(${pause})`;
  return pythonNotebook(source);
}

test.use({
  mockSettings: { ...galata.DEFAULT_SETTINGS, 'jupyterlab-nbx:plugin': nbxSettings(runsRoot) }
});

/** Starts a run of the notebook at `notebook` (server path); its id. */
async function startRun(page: Page, notebook: string, label: string): Promise<string> {
  const { id } = await callService<{ id: string }>(page, 'startRun', {
    path: notebook,
    root: runsRoot,
    label
  });
  return id;
}

/** The status of run `id`. */
async function runStatus(page: Page, id: string): Promise<string> {
  return (await callService<{ status: string }>(page, 'getRun', { id, root: runsRoot })).status;
}

/** A trace of a chart as the page holds it. */
interface ITraceData {
  run: string;
  series: 'raw' | 'smoothed';
  visible: unknown;
  x: number[];
  y: number[];
}

/** The traces and axis types of the chart of `key`, or null before it is drawn. */
function chartData(
  page: Page,
  key: string
): Promise<{ traces: ITraceData[]; xType: string; yType: string } | null> {
  return page.evaluate(key => {
    const plot = document.querySelector(
      `.nbx-Scalars-card[data-key="${key}"] .js-plotly-plot`
    ) as unknown as {
      data: {
        meta: { run: string; series: 'raw' | 'smoothed' };
        visible: unknown;
        x: ArrayLike<number>;
        y: ArrayLike<number>;
      }[];
      _fullLayout: { xaxis: { type: string }; yaxis: { type: string } };
    } | null;
    if (!plot?.data || !plot._fullLayout) {
      return null;
    }
    return {
      traces: plot.data.map(t => ({
        run: t.meta.run,
        series: t.meta.series,
        visible: t.visible,
        x: Array.from(t.x),
        y: Array.from(t.y)
      })),
      xType: plot._fullLayout.xaxis.type,
      yType: plot._fullLayout.yaxis.type
    };
  }, key);
}

/** Whether the y axis of the chart of `key` ranges itself. */
function yAutorange(page: Page, key: string): Promise<boolean> {
  return page.evaluate(key => {
    const plot = document.querySelector(`.nbx-Scalars-card[data-key="${key}"] .js-plotly-plot`);
    return (plot as unknown as { _fullLayout: { yaxis: { autorange: boolean } } })._fullLayout.yaxis
      .autorange;
  }, key);
}

/**
 * Zooms the chart of `key` by dragging the mouse across its plot area, from `from` to `to`
 * (fractions of its width): a horizontal drag zooms the x axis.
 */
async function zoom(page: Page, key: string, from: number, to: number): Promise<void> {
  const area = page.locator(`.nbx-Scalars-card[data-key="${key}"] .nsewdrag`).first();
  const box = await area.boundingBox();
  if (!box) {
    throw new Error(`the chart of ${key} has no plot area`);
  }
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + box.width * from, y);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * ((from + to) / 2), y, { steps: 4 });
  await page.mouse.move(box.x + box.width * to, y, { steps: 4 });
  await page.mouse.up();
}

/** TensorBoard's debiased EMA, written out here independently of the extension. */
function debiasedEma(values: number[], weight: number): number[] {
  let last = 0;
  let n = 0;
  return values.map(y => {
    n++;
    last = last * weight + (1 - weight) * y;
    return last / (1 - Math.pow(weight, n));
  });
}

/** Opens the Scalars panel on `ids` (as the Runs panel's "Show Scalars" does). */
async function showScalars(page: Page, ids: string[]): Promise<void> {
  await page.evaluate(ids => window.jupyterapp.commands.execute('nbx:scalars', { ids }), ids);
  await expect(page.locator('.nbx-Scalars')).toBeVisible();
}

test('charts three runs: smoothing, x axis and log scale', async ({ page, tmpPath }, testInfo) => {
  // A real run, three charts redrawn in two themes: close to the default minute when loaded.
  test.setTimeout(150_000);
  const generated = generateRuns(runsRoot, { count: 2, seed: 7 });
  const start = Date.now() - 3_600_000;
  generated.forEach((id, i) =>
    writeScalarPoints(runsRoot, id, { points: 3000, seed: i + 1, start })
  );
  await page.contents.uploadContent(printingNotebook(8, 0.05), 'text', `${tmpPath}/print.ipynb`);
  const real = await startRun(page, `${tmpPath}/print.ipynb`, 'printing run');
  await expect.poll(() => runStatus(page, real), { timeout: 90_000 }).toBe('completed');

  await showScalars(page, [...generated, real]);
  // Keys of the three runs; system metrics folded.
  await expect(page.locator('.nbx-Scalars-card[data-key="acc"]')).toBeVisible();
  await expect(page.locator('.nbx-Scalars-card[data-key="sys/cpu"]')).toHaveCount(0);
  await expect.poll(async () => (await chartData(page, 'loss'))?.traces.length).toBe(6);
  const initial = await chartData(page, 'loss');
  expect(new Set(initial?.traces.map(t => t.run))).toEqual(new Set([...generated, real]));
  const realTrace = initial?.traces.find(t => t.run === real && t.series === 'raw');
  expect(realTrace?.x).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  // Long series come downsampled (at most 1500 points, the first and last kept).
  const long = initial?.traces.find(t => t.run === generated[0] && t.series === 'raw');
  expect(long?.x.length).toBeLessThanOrEqual(1500);
  expect([long?.x[0], long?.x[(long?.x.length ?? 0) - 1]]).toEqual([0, 2999]);
  // The hover names the run, step and value, and the flags that differ.
  const hover = await page.evaluate(() => {
    const plot = document.querySelector('.nbx-Scalars-card[data-key="loss"] .js-plotly-plot');
    return (plot as unknown as { data: { hovertemplate?: string }[] }).data[1].hovertemplate;
  });
  expect(hover).toContain('%{customdata[0]}');
  expect(hover).toMatch(/<br>lr=/);

  // The smoothing slider: every smoothed trace is the EMA of its raw trace.
  const slider = page.locator('.nbx-Scalars-smoothing');
  for (const weight of [0.9, 0.3]) {
    await slider.fill(String(weight));
    await expect
      .poll(async () => {
        const chart = await chartData(page, 'loss');
        const traces = chart?.traces ?? [];
        let worst = traces.length === 6 ? 0 : Infinity;
        for (let i = 0; i < traces.length; i += 2) {
          const expected = debiasedEma(traces[i].y, weight);
          traces[i + 1].y.forEach((y, j) => {
            worst = Math.max(
              worst,
              Math.abs(y - expected[j]) / Math.max(1e-12, Math.abs(expected[j]))
            );
          });
        }
        return worst;
      })
      .toBeLessThan(1e-9);
  }
  await expect(page.locator('.nbx-Scalars-smoothingValue')).toHaveText('0.30');

  // The x axis: relative time in seconds from each run's first point, then wall time.
  await page.locator('.nbx-Scalars-xAxis').selectOption('relative');
  await expect
    .poll(async () => {
      const trace = (await chartData(page, 'loss'))?.traces.find(t => t.run === generated[0]);
      return trace?.x.slice(-1)[0];
    })
    .toBe(2999);
  const relative = (await chartData(page, 'loss'))?.traces.find(t => t.run === generated[0]);
  expect(relative?.x[0]).toBe(0);
  await page.locator('.nbx-Scalars-xAxis').selectOption('time');
  await expect.poll(async () => (await chartData(page, 'loss'))?.xType).toBe('date');
  const wall = (await chartData(page, 'loss'))?.traces.find(t => t.run === generated[0]);
  expect(wall?.x[0]).toBe(start);

  // Log scale.
  await page.locator('.nbx-Scalars-logY').check();
  await expect.poll(async () => (await chartData(page, 'loss'))?.yType).toBe('log');
  await page.locator('.nbx-Scalars-xAxis').selectOption('step');

  // Ignore outliers: the y range is set, no longer plotly's autorange.
  await page.locator('.nbx-Scalars-outliers').check();
  await expect.poll(() => yAutorange(page, 'loss')).toBe(false);
  await page.locator('.nbx-Scalars-outliers').uncheck();
  await expect.poll(() => yAutorange(page, 'loss')).toBe(true);

  // Zooming in fetches the window at full resolution.
  await zoom(page, 'loss', 0.4, 0.45);
  // About 5% of 3000 steps, every one of them (downsampled, they were about half).
  await expect
    .poll(async () => {
      const trace = (await chartData(page, 'loss'))?.traces.find(t => t.run === generated[0]);
      const x = trace?.x ?? [];
      const contiguous = x.every((step, i) => i === 0 || step === x[i - 1] + 1);
      return contiguous && x.length > 80 && x.length < 250;
    })
    .toBe(true);
  // A double click goes back to the whole series, of every run.
  await page.locator('.nbx-Scalars-card[data-key="loss"] .nsewdrag').first().dblclick();
  await expect.poll(async () => (await chartData(page, 'loss'))?.traces.length).toBe(6);

  // Unfolding the system metrics charts them too.
  await page.locator('.nbx-Scalars-group[data-prefix="sys"] summary').click();
  await expect(page.locator('.nbx-Scalars-card[data-key="sys/cpu"] .js-plotly-plot')).toBeVisible();

  const panel = page.locator('.nbx-Scalars');
  await saveScreenshot(testInfo, 'scalars-light', await panel.screenshot());
  await page.theme.setDarkTheme();
  await expect.poll(async () => (await chartData(page, 'loss'))?.traces.length).toBe(6);
  await saveScreenshot(testInfo, 'scalars-dark', await panel.screenshot());
});

test("a running run's chart grows from the points the service pushes", async ({
  page,
  tmpPath
}) => {
  await page.contents.uploadContent(printingNotebook(120, 0.25), 'text', `${tmpPath}/slow.ipynb`);
  const id = await startRun(page, `${tmpPath}/slow.ipynb`, 'slow run');
  await showScalars(page, [id]);
  // Its first points make the chart (a new key), later ones extend it.
  await expect(page.locator('.nbx-Scalars-card[data-key="loss"] .js-plotly-plot')).toBeVisible({
    timeout: 90_000
  });
  const lengthNow = async (): Promise<number> =>
    (await chartData(page, 'loss'))?.traces.find(t => t.series === 'raw')?.x.length ?? 0;
  const first = await lengthNow();
  await expect.poll(lengthNow, { timeout: 30_000 }).toBeGreaterThan(first + 3);
  const grown = (await chartData(page, 'loss'))?.traces.find(t => t.series === 'raw');
  // Steps in order, none twice: pushes continue where the fetch ended.
  expect(grown?.x).toEqual(Array.from({ length: grown?.x.length ?? 0 }, (_, i) => i));
  expect(await runStatus(page, id)).toBe('running');
  await callService(page, 'stopRuns', { ids: [id], root: runsRoot });
});
