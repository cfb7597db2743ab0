/**
 * The Runs panel at JupyterLab's default sidebar width, and sweeps in the UI:
 *
 * - with 200 generated runs, the columns a person needs (status, name, elapsed, the key
 *   metric) lie inside the panel, the horizontal scroll bar to the rest is drawn from the
 *   first paint, and header clicks sort each column first in its natural direction;
 * - a real 3-trial sweep started from "Run as Experiment" with an objective: the objective
 *   reaches the batch record, the batch row shows its progress and best value and expands
 *   to its trials (mouse and keys), and the batch's run view marks the best trial.
 *
 * Light and dark screenshots of the panel and the batch view are attached to the report.
 */
import * as path from 'path';
import type { Locator } from '@playwright/test';
import { expect, galata, test } from '@jupyterlab/galata';
import { removeAfterEach } from './cleanup';
import { generateRuns } from '../../kernel/lib/bench/gen-runs';
import {
  callService,
  nbxSettings,
  openRunsPanel,
  panelRows,
  saveScreenshot,
  type Page
} from './runs-helpers';

removeAfterEach(['runs-root']);

test.use({
  mockSettings: async ({ tmpPath }, use) => {
    await use({
      ...galata.DEFAULT_SETTINGS,
      'jupyterlab-nbx:plugin': nbxSettings(`${tmpPath}/runs-root`)
    });
  }
});

/** What the tests read of the panel's grid and model in the page. */
interface IGridState {
  panelWidth: number;
  viewportWidth: number;
  /** Left and right edges (px from the viewport's left) of each column, by header. */
  columns: { header: string; left: number; right: number }[];
  /** The horizontal scroll bar's box, or null when it is hidden. */
  hScrollBar: { x: number; y: number; width: number; height: number } | null;
  panelBox: { x: number; y: number; width: number; height: number };
  /** The top of the panel's footer (the count line), px from the page's top. */
  footerTop: number;
}

/** The grid's column boxes and scroll bar (the grid paints on a canvas). */
function gridState(page: Page): Promise<IGridState> {
  return page.evaluate(() => {
    for (const widget of window.jupyterapp.shell.widgets('left')) {
      if (widget.id !== 'nbx-runs') {
        continue;
      }
      interface IGrid {
        viewport: { node: HTMLElement };
        dataModel: { columnCount(region: 'body'): number; data(...args: unknown[]): unknown };
        columnSize(region: 'body', index: number): number;
        node: HTMLElement;
      }
      const grid = (widget as unknown as { grid: IGrid }).grid;
      const columns = [];
      let left = 0;
      for (let i = 0; i < grid.dataModel.columnCount('body'); i++) {
        const size = grid.columnSize('body', i);
        const header = String(grid.dataModel.data('column-header', 0, i) ?? '');
        columns.push({ header, left, right: left + size });
        left += size;
      }
      const bar = grid.node.querySelector<HTMLElement>(
        '.lm-ScrollBar[data-orientation="horizontal"]'
      );
      const box = (node: HTMLElement) => {
        const r = node.getBoundingClientRect();
        return { x: r.x, y: r.y, width: r.width, height: r.height };
      };
      return {
        panelWidth: widget.node.getBoundingClientRect().width,
        viewportWidth: grid.viewport.node.clientWidth,
        columns,
        hScrollBar: bar && !bar.classList.contains('lm-mod-hidden') ? box(bar) : null,
        panelBox: box(widget.node),
        footerTop:
          widget.node.querySelector('.nbx-RunsPanel-footer')?.getBoundingClientRect().y ?? NaN
      };
    }
    throw new Error('no Runs panel');
  });
}

/** Calls a method of the panel's model (`model[name](...args)`) in the page. */
function panelModel<T>(page: Page, name: string, ...args: unknown[]): Promise<T> {
  return page.evaluate(
    ({ name, args }) => {
      for (const widget of window.jupyterapp.shell.widgets('left')) {
        if (widget.id === 'nbx-runs') {
          const model = (widget as unknown as { model: Record<string, unknown> }).model;
          const member = model[name];
          return typeof member === 'function'
            ? (member as (...a: unknown[]) => unknown).apply(model, args)
            : member;
        }
      }
      throw new Error('no Runs panel');
    },
    { name, args }
  ) as Promise<T>;
}

/** The text the grid paints in a body cell. */
function cellText(page: Page, row: number, column: number): Promise<string> {
  return page.evaluate(
    ({ row, column }) => {
      for (const widget of window.jupyterapp.shell.widgets('left')) {
        if (widget.id === 'nbx-runs') {
          const grid = (
            widget as unknown as {
              grid: { dataModel: { data(r: string, row: number, column: number): unknown } };
            }
          ).grid;
          return String(grid.dataModel.data('body', row, column) ?? '');
        }
      }
      return '';
    },
    { row, column }
  );
}

/** The page point in the middle of a cell (`row` -1: the header), `dx` px into it. */
async function cellPoint(
  page: Page,
  row: number,
  column: number,
  dx?: number
): Promise<{ x: number; y: number }> {
  const state = await gridState(page);
  const box = await page.locator('#nbx-runs .nbx-RunsGrid').boundingBox();
  expect(box).not.toBeNull();
  const col = state.columns[column];
  const header = 26;
  const height = 24;
  return {
    x: (box?.x ?? 0) + col.left + (dx ?? (col.right - col.left) / 2),
    y: (box?.y ?? 0) + (row < 0 ? header / 2 : header + height * row + height / 2)
  };
}

/** The index of the grid column whose header starts with `text`. */
async function columnIndex(page: Page, text: string): Promise<number> {
  const { columns } = await gridState(page);
  const index = columns.findIndex(c => c.header.startsWith(text));
  expect(index, `column ${text}`).toBeGreaterThanOrEqual(0);
  return index;
}

/**
 * Attaches a screenshot of `locator` in the light theme, then in the dark one, each once
 * `ready` (when given) is visible again after the theme's styles reloaded.
 */
async function attachLightAndDark(
  page: Page,
  locator: Locator,
  name: string,
  attach: (name: string, body: Buffer) => Promise<void>,
  ready?: Locator
): Promise<void> {
  for (const [theme, suffix] of [
    ['JupyterLab Light', 'light'],
    ['JupyterLab Dark', 'dark']
  ]) {
    if ((await page.theme.getTheme()) !== theme) {
      await page.theme.setTheme(theme);
    }
    if (ready) {
      await expect(ready).toBeVisible();
    }
    await attach(`${name}-${suffix}`, await locator.screenshot());
  }
  await page.theme.setLightTheme();
}

/** The horizontal scroll bar of the Runs panel's grid. */
function hScrollBar(page: Page): Locator {
  return page.locator('#nbx-runs .lm-ScrollBar[data-orientation="horizontal"]');
}

test('the Runs panel fits its default width, with the scroll bar to the rest', async ({
  page,
  tmpPath
}, testInfo) => {
  test.setTimeout(120_000);
  await openRunsPanel(page);
  // 200 generated runs (flags, scalars, labels, statuses) in the test's runs root, under
  // the server's root (the service kernel's directory).
  const info = await callService<{ cwd: string }>(page, 'info', {});
  generateRuns(path.join(info.cwd, tmpPath, 'runs-root'), { count: 200, seed: 12 });
  // A fresh page: the panel's first paint is of the 200 runs.
  await page.reload();
  await openRunsPanel(page);
  const panel = page.locator('#nbx-runs');
  await expect(panel).toHaveAttribute('data-nbx-row-count', '200');
  await expect(panel).toHaveAttribute('data-nbx-first-rows', 'painted');

  // Status, name, elapsed and the key metric lie inside the panel; the id is not a column.
  const state = await gridState(page);
  testInfo.annotations.push({
    type: 'widths',
    description: `panel ${state.panelWidth} px, grid viewport ${state.viewportWidth} px`
  });
  const headers = state.columns.map(c => c.header);
  expect(headers.slice(0, 4)).toEqual(['', 'Run', 'Elapsed', 'loss']);
  expect(headers).not.toContain('Label');
  for (const column of state.columns.slice(0, 4)) {
    expect(column.right, `${column.header || 'status'} column`).toBeLessThanOrEqual(
      state.viewportWidth
    );
  }
  expect(state.columns[1].right - state.columns[1].left).toBeGreaterThanOrEqual(72);
  // The name takes the rest: the metric column ends at the viewport's right edge.
  expect(state.columns[3].right).toBeGreaterThanOrEqual(state.viewportWidth - 1);
  // The columns after them (Started, Notebook) are reached by the horizontal scroll bar,
  // drawn from the first paint, inside the panel.
  expect(state.columns.at(-1)?.right ?? 0).toBeGreaterThan(state.viewportWidth);
  expect(state.hScrollBar).not.toBeNull();
  const bar = state.hScrollBar ?? { x: 0, y: 0, width: 0, height: 0 };
  expect(bar.height).toBeGreaterThan(0);
  expect(bar.x).toBeGreaterThanOrEqual(state.panelBox.x - 1);
  expect(bar.x + bar.width).toBeLessThanOrEqual(state.panelBox.x + state.panelBox.width + 1);
  // Above the count line, not hidden under it.
  expect(bar.y + bar.height).toBeLessThanOrEqual(state.footerTop + 1);

  // The name's tooltip gives the run id.
  const first = await panelRows(page);
  const name = await cellPoint(page, 0, 1);
  await page.mouse.move(name.x, name.y);
  await expect(page.locator('#nbx-runs .nbx-RunsGrid .lm-DataGrid-viewport')).toHaveAttribute(
    'title',
    new RegExp(`^Run ${first[0].id}`)
  );

  // The first click on a header sorts in the column's natural direction: loss and
  // elapsed time lowest first, the start time newest first, names A to Z.
  const metric = await cellPoint(page, -1, 3);
  await page.mouse.click(metric.x, metric.y);
  await expect.poll(() => panelModel(page, 'sort')).toEqual({ column: '#loss', descending: false });
  await expect
    .poll(async () => {
      const values = (await panelRows(page)).flatMap(row =>
        row.metric === null ? [] : [row.metric]
      );
      return values.length > 0 && values.every((v, i) => i === 0 || values[i - 1] <= v);
    })
    .toBe(true);
  const elapsed = await cellPoint(page, -1, 2);
  await page.mouse.click(elapsed.x, elapsed.y);
  await expect
    .poll(() => panelModel(page, 'sort'))
    .toEqual({ column: 'duration', descending: false });
  await page.mouse.click(name.x, metric.y);
  await expect.poll(() => panelModel(page, 'sort')).toEqual({ column: 'label', descending: false });

  // Still there, above the count line, after the sorts replaced the rows.
  await expect(hScrollBar(page)).toBeVisible();
  const after = await gridState(page);
  expect((after.hScrollBar?.y ?? Infinity) + (after.hScrollBar?.height ?? 0)).toBeLessThanOrEqual(
    after.footerTop + 1
  );
  await attachLightAndDark(
    page,
    panel,
    'runs-panel-default-width',
    (n, body) => saveScreenshot(testInfo, n, body),
    hScrollBar(page)
  );
});

/** A Python notebook whose flags cell is `lr`; it prints `acc` (best at lr = 0.05) and `loss`. */
const SWEEP_NOTEBOOK = JSON.stringify({
  cells: [
    {
      cell_type: 'code',
      id: 'flags',
      execution_count: null,
      metadata: { tags: ['parameters'] },
      outputs: [],
      source: 'lr = 0.1\nepochs = 2'
    },
    {
      cell_type: 'code',
      id: 'train',
      execution_count: null,
      metadata: {},
      outputs: [],
      source:
        'for step in range(epochs):\n' +
        '    acc = round(1 - abs(lr - 0.05) - 0.1 / (step + 1), 4)\n' +
        '    print(f"step={step} acc={acc} loss={round(1 - acc, 4)}", flush=True)'
    }
  ],
  metadata: {
    kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' },
    language_info: { name: 'python' }
  },
  nbformat: 4,
  nbformat_minor: 5
});

test('a sweep started with an objective expands in the panel and marks its best trial', async ({
  page,
  tmpPath
}, testInfo) => {
  test.setTimeout(240_000);
  await page.contents.uploadContent(SWEEP_NOTEBOOK, 'text', `${tmpPath}/sweep.ipynb`);
  await page.notebook.openByPath(`${tmpPath}/sweep.ipynb`);
  await page.notebook.activate('sweep.ipynb');
  await page
    .locator('.jp-NotebookPanel-toolbar [data-command="nbx:run-experiment"]')
    .first()
    .click();
  const dialog = page.locator('.jp-Dialog', { has: page.locator('.nbx-RunDialog') });
  await expect(dialog).toBeVisible();
  await dialog.locator('input[name="flag-lr"]').fill('[0.01, 0.05, 0.2]');
  await expect(dialog.locator('.nbx-RunDialog-trials')).toHaveText('3 trials (grid)');
  await dialog.locator('input[name="parallel"]').fill('2');
  const run = dialog.getByRole('button', { name: 'Run the experiment' });

  // The objective is checked by the display rules: one scalar key, `-` for highest best.
  const objective = dialog.locator('input[name="objective"]');
  await objective.fill('# #');
  await expect(dialog.locator('.nbx-RunDialog-fieldError', { hasText: "'-#acc'" })).toBeVisible();
  await expect(run).toBeDisabled();
  await objective.fill('-#acc');
  await expect(run).toBeEnabled();
  await run.click();
  await expect(dialog).toHaveCount(0);

  // One row for the sweep (its trials folded under it), with its progress.
  await openRunsPanel(page);
  await expect.poll(async () => (await panelRows(page)).length, { timeout: 60_000 }).toBe(1);
  const [batch] = await panelRows(page);
  expect(await panelModel(page, 'isBatch', 0)).toBe(true);

  // The objective reached the batch record.
  const record = await callService<{ kind: string; batch: { objective: string | null } }>(
    page,
    'getRun',
    { id: batch.id, root: `${tmpPath}/runs-root` }
  );
  expect(record.kind).toBe('batch');
  expect(record.batch.objective).toBe('-#acc');

  // Its progress shows while it runs, and its best value once the trials are done.
  await expect
    .poll(() => panelModel<{ done: number } | null>(page, 'sweep', batch.id), { timeout: 180_000 })
    .toMatchObject({ done: 3, total: 3 });
  await expect.poll(() => cellText(page, 0, 1)).toMatch(/^▸ 3\/3 · sweep /);
  const metric = await columnIndex(page, 'acc');
  await expect.poll(() => cellText(page, 0, metric)).toBe('★ 0.95');

  // The triangle opens it: its trials under it, named by their flag, the best starred.
  const triangle = await cellPoint(page, 0, 1, 10);
  await page.mouse.click(triangle.x, triangle.y);
  await expect.poll(async () => (await panelRows(page)).length).toBe(4);
  expect(await cellText(page, 0, 1)).toMatch(/^▾ /);
  const names = await Promise.all([1, 2, 3].map(row => cellText(page, row, 1)));
  expect(names.map(n => n.trim()).sort()).toEqual(['#1 lr=0.01', '#2 lr=0.05', '#3 lr=0.2']);
  const best = names.findIndex(n => n.includes('lr=0.05')) + 1;
  expect(await cellText(page, best, metric)).toBe('★ 0.95');
  expect(await panelModel(page, 'depth', best)).toBe(1);

  // Keys: left closes it, right opens it again (the click focused the grid and left the
  // cursor on the batch).
  await expect(page.getByRole('grid', { name: 'Runs' })).toBeFocused();
  await page.keyboard.press('ArrowLeft');
  await expect.poll(async () => (await panelRows(page)).length).toBe(1);
  await page.keyboard.press('ArrowRight');
  await expect.poll(async () => (await panelRows(page)).length).toBe(4);
  // Fitted to the viewport here too (no vertical scroll bar with 4 rows).
  await expect
    .poll(async () => {
      const { columns, viewportWidth } = await gridState(page);
      return columns[3].right === viewportWidth && viewportWidth >= 248;
    })
    .toBe(true);
  await attachLightAndDark(
    page,
    page.locator('#nbx-runs'),
    'runs-panel-sweep',
    (n, body) => saveScreenshot(testInfo, n, body),
    hScrollBar(page)
  );

  // The batch's run view: the sweep's settings, its trials in the Compare grid sorted by
  // the objective (best first) with the best trial's row marked, and the parallel
  // coordinates coloured by the objective.
  const row = await cellPoint(page, 0, 2);
  await page.mouse.dblclick(row.x, row.y);
  const view = page.locator(`#nbx-run-executed-${batch.id}`);
  const trials = view.locator('.nbx-SweepTrials');
  await expect(trials).toBeVisible();
  await expect(trials.locator('.nbx-SweepTrials-objective')).toHaveText('-#acc (highest best)');
  await expect(trials.locator('.nbx-SweepTrials-progress')).toContainText('3 of 3 done');
  await expect(trials.locator('.nbx-SweepTrials-best')).toContainText('-#acc = 0.95');
  const compare = trials.locator('.nbx-Compare');
  await expect(compare).toHaveAttribute('data-nbx-state', 'ready', { timeout: 60_000 });
  await expect(compare).toHaveAttribute('data-nbx-row-count', '3');
  const grid = await page.evaluate(id => {
    const node = document.getElementById(`nbx-sweep-trials-${id}`);
    type Model = {
      rowCount: number;
      sort: { column: string; direction: string }[];
      marked: string | null;
      isMarked(row: number): boolean;
      cell(row: number, column: string): unknown;
    };
    for (const widget of window.jupyterapp.shell.widgets('main')) {
      const trialsWidget = (
        widget as unknown as {
          content?: {
            _trials?: { compare: { node: HTMLElement; session: { model: Model | null } } | null };
          };
        }
      ).content?._trials;
      const panel = trialsWidget?.compare;
      if (panel && panel.node === node && panel.session.model) {
        const model = panel.session.model;
        return {
          sort: model.sort.map(k => ({ ...k })),
          marked: model.marked,
          rows: Array.from({ length: model.rowCount }, (_, r) => ({
            id: model.cell(r, 'id'),
            lr: model.cell(r, '=lr'),
            acc: model.cell(r, '#acc'),
            marked: model.isMarked(r)
          }))
        };
      }
    }
    return null;
  }, batch.id);
  expect(grid).not.toBeNull();
  expect(grid?.sort).toEqual([{ column: '#acc', direction: 'descending' }]);
  const accs = grid?.rows.map(r => r.acc as number) ?? [];
  expect(accs).toEqual([...accs].sort((a, b) => b - a));
  expect(grid?.rows[0]).toMatchObject({ lr: 0.05, acc: 0.95, marked: true });
  expect(grid?.rows.filter(r => r.marked)).toHaveLength(1);
  const bestId = String(grid?.rows[0].id);
  expect(grid?.marked).toBe(bestId);
  // The parallel coordinates: =lr and the objective's axis, drawn by plotly.
  const parcoords = compare.locator('.nbx-CompareCharts-parcoords');
  await expect(parcoords.locator('.y-axis')).toHaveCount(2, { timeout: 60_000 });
  await expect(parcoords.locator('.y-axis .axis-title')).toHaveText(['=lr', '#acc']);
  // No notebook tab: a batch executes none.
  await expect(view.locator('.lm-TabBar-tab', { hasText: /^Notebook$/ })).toHaveCount(0);
  // Tall enough for the settings, the grid and the parallel coordinates at once.
  const size = page.viewportSize();
  await page.setViewportSize({ width: size?.width ?? 1280, height: 1400 });
  await attachLightAndDark(page, view, 'sweep-batch-view', (n, body) =>
    saveScreenshot(testInfo, n, body)
  );
  if (size) {
    await page.setViewportSize(size);
  }

  // A double-click on the best trial's row (the first) opens its own view.
  const gridBox = await compare.locator('.nbx-CompareGrid').boundingBox();
  expect(gridBox).not.toBeNull();
  await page.mouse.dblclick((gridBox?.x ?? 0) + 60, (gridBox?.y ?? 0) + 26 + 12);
  await expect(page.locator(`#nbx-run-executed-${bestId} .nbx-RunView-id`)).toHaveText(bestId);
});
