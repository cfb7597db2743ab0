/**
 * The Compare panel in a real JupyterLab, over 200 generated runs (kernel/lib/bench/
 * gen-runs: realistic flags and metric summaries) plus 2 real runs executed by `nbx run`:
 * opened from the Runs panel's selection (and from a run's view), sorted by a metric (the order checked against
 * the runs' records on disk), Shift multi-sort, the `--where` filter (and its error),
 * "only columns that differ", the column chooser, and a brush on the parallel
 * coordinates filtering the grid. Screenshots in the light and dark themes are attached.
 *
 * The grid paints on a canvas, so the tests read what it draws from the panel's public
 * model (`panel.session.model`, found through `jupyterapp.shell`, as runs-helpers reads
 * the Runs panel) and from the DOM where there is DOM (toolbar, chooser, error, plotly's
 * SVG axes); the panel's node carries `data-nbx-state` and `data-nbx-row-count`.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { expect, galata, test } from '@jupyterlab/galata';
import { removeAfterEach, serverRoot } from './cleanup';
import {
  nbxSettings,
  openRunsPanel,
  saveScreenshot,
  type IPanelLike,
  type Page
} from './runs-helpers';

const REPO = path.resolve(__dirname, '..', '..');
const GENERATED = 200;

/** A python3 notebook with a flags cell that prints two metrics nbx records. */
const REAL = JSON.stringify({
  cells: [
    {
      cell_type: 'code',
      execution_count: null,
      metadata: { tags: ['parameters'] },
      outputs: [],
      source: 'lr = 0.05\noptimizer = "adam"'
    },
    {
      cell_type: 'code',
      execution_count: null,
      metadata: {},
      outputs: [],
      source: 'print("loss: 0.0123")\nprint("acc: 0.97")'
    }
  ],
  metadata: {
    kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' },
    language_info: { name: 'python' }
  },
  nbformat: 4,
  nbformat_minor: 5
});

removeAfterEach(['runs-root']);

test.use({
  mockSettings: async ({ tmpPath }, use) => {
    await use({
      ...galata.DEFAULT_SETTINGS,
      'jupyterlab-nbx:plugin': nbxSettings(`${tmpPath}/runs-root`)
    });
  }
});

/** A run as its record on disk says: what the grid must show. */
interface IRecord {
  id: string;
  /** ms since the epoch: the list's order is latest first. */
  created: number;
  optimizer: string | null;
  lr: number | null;
  loss: number | null;
}

/**
 * Writes the test's runs under the server's root: 200 generated, then 2 real runs of
 * REAL through the nbx CLI. Returns the records read back from disk.
 */
async function makeRuns(page: Page, tmpPath: string): Promise<IRecord[]> {
  const server = await serverRoot(page);
  expect(server).not.toBe('');
  const project = path.join(server, tmpPath);
  const root = path.join(project, 'runs-root');
  const generator = path.join(REPO, 'kernel', 'lib', 'bench', 'gen-runs.js');
  execFileSync(process.execPath, [
    '-e',
    `require(${JSON.stringify(generator)}).generateRuns(${JSON.stringify(root)}, { count: ${GENERATED}, seed: 12 })`
  ]);
  fs.writeFileSync(path.join(project, 'real.ipynb'), REAL);
  const env = {
    ...process.env,
    NBX_HOME: root,
    PATH: `${path.join(REPO, '.venv', 'bin')}${path.delimiter}${process.env.PATH}`
  };
  for (const [lr, label] of [
    ['0.02', 'real one'],
    ['0.2', 'real two']
  ]) {
    execFileSync(
      process.execPath,
      [
        path.join(REPO, 'kernel', 'bin', 'nbx.js'),
        'run',
        'real.ipynb',
        '-q',
        `lr=${lr}`,
        '-l',
        label
      ],
      { cwd: project, env }
    );
  }
  const runs = path.join(root, 'runs');
  return fs.readdirSync(runs).map(id => {
    const meta = JSON.parse(fs.readFileSync(path.join(runs, id, 'meta.json'), 'utf8')) as {
      created: string;
      flags: Record<string, unknown>;
      scalars: Record<string, { last: number }>;
    };
    const loss = meta.scalars.loss?.last;
    return {
      id,
      created: Date.parse(meta.created),
      optimizer: typeof meta.flags.optimizer === 'string' ? meta.flags.optimizer : null,
      lr: typeof meta.flags.lr === 'number' ? meta.flags.lr : null,
      loss: typeof loss === 'number' && isFinite(loss) ? loss : null
    };
  });
}

/** What the Compare panel's model holds (the grid draws exactly this). */
interface ICompareState {
  rowCount: number;
  sort: { column: string; direction: string }[];
  visibleColumns: string[];
  filters: { column: string; ranges: [number, number][] }[];
  /** The first `rows` rows shown, of the columns asked for. */
  cells: Record<string, unknown>[];
}

function compareState(page: Page, columns: string[], rows = 20): Promise<ICompareState | null> {
  return page.evaluate(
    ({ columns, rows }) => {
      for (const widget of window.jupyterapp.shell.widgets('main')) {
        if (!widget.id.startsWith('nbx-compare')) {
          continue;
        }
        type Model = {
          rowCount: number;
          sort: { column: string; direction: string }[];
          visibleColumns: string[];
          rangeFilters: { column: string; ranges: [number, number][] }[];
          cell(row: number, column: string): unknown;
        };
        const model = (widget as unknown as { session: { model: Model | null } }).session.model;
        if (!model) {
          return null;
        }
        return {
          rowCount: model.rowCount,
          sort: model.sort.map(k => ({ ...k })),
          visibleColumns: [...model.visibleColumns],
          filters: model.rangeFilters.map(f => ({ column: f.column, ranges: [...f.ranges] })),
          cells: Array.from({ length: Math.min(rows, model.rowCount) }, (_, row) =>
            Object.fromEntries(columns.map(c => [c, model.cell(row, c)]))
          )
        };
      }
      return null;
    },
    { columns, rows }
  );
}

/** Page coordinates of the middle of a column's header, scrolled into view. */
async function headerPoint(page: Page, column: string): Promise<{ x: number; y: number }> {
  const point = await page.evaluate(column => {
    for (const widget of window.jupyterapp.shell.widgets('main')) {
      if (!widget.id.startsWith('nbx-compare')) {
        continue;
      }
      type Grid = {
        node: HTMLElement;
        scrollX: number;
        headerHeight: number;
        columnSize(region: 'body', index: number): number;
        scrollTo(x: number, y: number): void;
      };
      const panel = widget as unknown as {
        grid: Grid | null;
        session: { model: { visibleColumns: string[] } | null };
      };
      const grid = panel.grid;
      const index = panel.session.model?.visibleColumns.indexOf(column) ?? -1;
      if (!grid || index < 0) {
        return null;
      }
      let left = 0;
      for (let i = 0; i < index; i++) {
        left += grid.columnSize('body', i);
      }
      grid.scrollTo(left, 0);
      const box = grid.node.getBoundingClientRect();
      return {
        x: box.left + left - grid.scrollX + grid.columnSize('body', index) / 2,
        y: box.top + grid.headerHeight / 2
      };
    }
    return null;
  }, column);
  expect(point).not.toBeNull();
  return point as { x: number; y: number };
}

/** Opens the Compare panel on every run, selected in the Runs panel. */
async function compareAllFromRunsPanel(page: Page, count: number): Promise<void> {
  await openRunsPanel(page);
  const runs = page.locator('#nbx-runs');
  await expect(runs).toHaveAttribute('data-nbx-row-count', String(count));
  const sizes = await page.evaluate(() => {
    for (const widget of window.jupyterapp.shell.widgets('left')) {
      if (widget.id === 'nbx-runs') {
        return (widget as unknown as IPanelLike).grid?.defaultSizes ?? null;
      }
    }
    return null;
  });
  const box = await runs.locator('.nbx-RunsGrid').boundingBox();
  expect(sizes && box).toBeTruthy();
  // A click on the first row, then Ctrl+A: every run selected.
  await page.mouse.click(
    (box?.x ?? 0) + (box?.width ?? 0) / 2,
    (box?.y ?? 0) + (sizes?.columnHeaderHeight ?? 0) + (sizes?.rowHeight ?? 0) / 2
  );
  await page.keyboard.press('Control+a');
  const compare = runs.locator('.jp-ToolbarButtonComponent[data-command="nbx:compare-runs"]');
  await expect(compare).toBeVisible();
  await expect(compare).toBeEnabled();
  await compare.click();
  const panel = page.locator('.nbx-Compare');
  // The first comparison loads the panel's code and Arrow: slow on a loaded machine.
  await expect(panel).toHaveAttribute('data-nbx-state', 'ready', { timeout: 60_000 });
  await expect(panel).toHaveAttribute('data-nbx-row-count', String(count));
}

/** Ids by loss ascending (runs without one left out), ties in list order (latest first). */
function byLoss(records: IRecord[]): string[] {
  return records
    .filter(r => r.loss !== null)
    .sort(
      (a, b) =>
        (a.loss as number) - (b.loss as number) || b.created - a.created || (a.id < b.id ? 1 : -1)
    )
    .map(r => r.id);
}

test('sorts, multi-sorts, filters and chooses the columns of 202 runs', async ({
  page,
  tmpPath
}, testInfo) => {
  test.setTimeout(240_000);
  const records = await makeRuns(page, tmpPath);
  expect(records).toHaveLength(GENERATED + 2);
  await compareAllFromRunsPanel(page, records.length);
  const panel = page.locator('.nbx-Compare');

  // Label first; every flag and metric summary offered.
  const initial = await compareState(page, ['id']);
  expect(initial?.visibleColumns.slice(0, 6)).toEqual([
    'label',
    'id',
    'status',
    'notebook',
    'started',
    'duration'
  ]);
  expect(initial?.visibleColumns).toEqual(
    expect.arrayContaining(['=lr', '=optimizer', '#loss', '#loss:min', '#loss:max'])
  );

  // A click on #loss sorts lowest first (a loss); the order is the records'.
  let point = await headerPoint(page, '#loss');
  await page.mouse.click(point.x, point.y);
  await expect
    .poll(async () => (await compareState(page, ['id']))?.sort)
    .toEqual([{ column: '#loss', direction: 'ascending' }]);
  const sorted = await compareState(page, ['id', '#loss'], 10);
  expect(sorted?.cells.map(c => c.id)).toEqual(byLoss(records).slice(0, 10));
  // The real runs logged loss 0.0123, below every generated loss.
  expect(sorted?.cells[0]['#loss']).toBe(0.0123);

  // Click on =optimizer, then Shift-click #loss: by optimizer, ties by loss.
  point = await headerPoint(page, '=optimizer');
  await page.mouse.click(point.x, point.y);
  point = await headerPoint(page, '#loss');
  await page.keyboard.down('Shift');
  await page.mouse.click(point.x, point.y);
  await page.keyboard.up('Shift');
  await expect
    .poll(async () => (await compareState(page, ['id']))?.sort)
    .toEqual([
      { column: '=optimizer', direction: 'ascending' },
      { column: '#loss', direction: 'ascending' }
    ]);
  const multi = await compareState(page, ['=optimizer', '#loss'], records.length);
  const expected = [...records]
    .filter(r => r.optimizer !== null)
    .sort((a, b) =>
      a.optimizer === b.optimizer
        ? (a.loss ?? Infinity) - (b.loss ?? Infinity)
        : (a.optimizer as string) < (b.optimizer as string)
          ? -1
          : 1
    )
    .map(r => [r.optimizer, r.loss]);
  expect(multi?.cells.slice(0, expected.length).map(c => [c['=optimizer'], c['#loss']])).toEqual(
    expected
  );

  // The --where filter goes to the service; a bad one is explained on one line.
  const filter = panel.locator('.nbx-Compare-filter');
  await filter.fill('#loss >> 1');
  await filter.press('Enter');
  const error = panel.locator('.nbx-Compare-error');
  await expect(error).toContainText("invalid where '#loss >> 1'");
  await expect(panel).toHaveAttribute('data-nbx-state', 'error');
  await filter.fill('#loss < 0.5 and optimizer = adam');
  await filter.press('Enter');
  const kept = records.filter(r => r.loss !== null && r.loss < 0.5 && r.optimizer === 'adam');
  expect(kept.length).toBeGreaterThan(2);
  await expect(panel).toHaveAttribute('data-nbx-row-count', String(kept.length), {
    timeout: 30_000
  });
  await expect(panel).toHaveAttribute('data-nbx-state', 'ready');
  await expect(error).toBeHidden();
  // The sort stays: by optimizer (all adam now), then loss.
  const filtered = await compareState(page, ['id'], kept.length);
  expect(filtered?.cells.map(c => c.id)).toEqual(byLoss(kept));

  // Only columns that differ: =optimizer is adam in every row now.
  await panel.locator('.nbx-Compare-differ input').check();
  await expect
    .poll(async () => (await compareState(page, []))?.visibleColumns.includes('=optimizer'))
    .toBe(false);
  expect((await compareState(page, []))?.visibleColumns).toEqual(
    expect.arrayContaining(['label', '=lr', '#loss'])
  );

  // The chooser: searched, a metric hidden, a system metric (hidden by default) shown.
  await panel.locator('.nbx-Compare-columnsButton').click();
  const search = panel.locator('.nbx-Compare-chooserSearch');
  await search.fill('loss max');
  const choices = panel.locator('.nbx-Compare-choices input');
  await expect(choices).toHaveCount(2); // #loss:max and #val_loss:max
  await panel.locator('.nbx-Compare-choices input[data-column="#loss:max"]').uncheck();
  await search.fill('sys');
  const system = panel.locator('.nbx-Compare-choices input[data-column^="#sys/"]').first();
  const systemColumn = await system.getAttribute('data-column');
  await system.check();
  const chosen = (await compareState(page, []))?.visibleColumns ?? [];
  expect(chosen).not.toContain('#loss:max');
  expect(chosen).toContain(systemColumn);
  await panel.locator('.nbx-Compare-columnsButton').click();

  await saveScreenshot(testInfo, 'compare-light', await panel.screenshot());
  await page.theme.setDarkTheme();
  await saveScreenshot(testInfo, 'compare-dark', await panel.screenshot());

  // From a run's view: the runs of its notebook (the two real runs), filtered by where.
  const real = records.find(r => r.optimizer === 'adam' && r.loss === 0.0123);
  expect(real).toBeDefined();
  await page.evaluate(async id => {
    await window.jupyterapp.commands.execute('nbx:open-run', { id });
  }, real?.id);
  const fromView = page.locator(
    '.nbx-RunViewPanel .jp-ToolbarButtonComponent[data-command="nbx:compare"]'
  );
  await fromView.click();
  const ofNotebook = page.locator('.nbx-Compare[id^="nbx-compare-notebook-"]');
  await expect(ofNotebook).toHaveAttribute('data-nbx-state', 'ready', { timeout: 30_000 });
  await expect(ofNotebook).toHaveAttribute('data-nbx-row-count', '2');
  await expect(ofNotebook.locator('.nbx-Compare-filter')).toHaveValue('notebook = "real.ipynb"');
});

test('a saved view is recalled; a brush on the parallel coordinates filters the grid', async ({
  page,
  tmpPath
}, testInfo) => {
  test.setTimeout(240_000);
  const records = await makeRuns(page, tmpPath);
  await compareAllFromRunsPanel(page, records.length);
  const panel = page.locator('.nbx-Compare');

  // A saved view: named, then recalled after the sort changed.
  let point = await headerPoint(page, '#loss');
  await page.mouse.click(point.x, point.y);
  await panel.locator('.nbx-Compare-saveView').click();
  const name = page.locator('.jp-Dialog input');
  await name.fill('by loss');
  await name.press('Enter');
  await expect(panel.locator('.nbx-Compare-views')).toHaveValue('by loss');
  point = await headerPoint(page, '#loss');
  await page.mouse.click(point.x, point.y);
  await expect
    .poll(async () => (await compareState(page, []))?.sort)
    .toEqual([{ column: '#loss', direction: 'descending' }]);
  await panel.locator('.nbx-Compare-views').selectOption('');
  await panel.locator('.nbx-Compare-views').selectOption('by loss');
  await expect
    .poll(async () => (await compareState(page, []))?.sort)
    .toEqual([{ column: '#loss', direction: 'ascending' }]);

  await panel.locator('.nbx-Compare-chartsButton').click();
  const charts = panel.locator('.nbx-CompareCharts');
  // The default metric is the table's first, which depends on which record the index read
  // first (#acc of a real run, or #loss): choose it.
  await charts.locator('.nbx-CompareCharts-metric').selectOption('#loss');
  await expect(charts.locator('.nbx-CompareCharts-metric')).toHaveValue('#loss');
  // plotly draws one brush overlay per axis; the metric's axis is the last. Its chunk
  // (~4.5 MB) loads on this first use, slowly on a loaded machine.
  const brushes = charts.locator('.nbx-CompareCharts-parcoords .axis-brush');
  await expect(brushes.first()).toBeAttached({ timeout: 60_000 });
  const metricAxis = brushes.last();
  const box = await metricAxis.boundingBox();
  expect(box).not.toBeNull();
  const x = (box?.x ?? 0) + (box?.width ?? 0) / 2;
  const top = box?.y ?? 0;
  const height = box?.height ?? 0;
  await page.mouse.move(x, top + height * 0.55);
  await page.mouse.down();
  await page.mouse.move(x, top + height * 0.75, { steps: 8 });
  await page.mouse.move(x, top + height * 0.98, { steps: 8 });
  await page.mouse.up();

  // The brushed range on #loss became the grid's row filter.
  await expect.poll(async () => (await compareState(page, []))?.filters.length).toBe(1);
  const state = await compareState(page, ['#loss'], records.length);
  const [filter] = state?.filters ?? [];
  expect(filter.column).toBe('#loss');
  const [lo, hi] = filter.ranges[0];
  const inRange = records.filter(r => r.loss !== null && r.loss >= lo && r.loss <= hi);
  expect(inRange.length).toBeGreaterThan(0);
  expect(inRange.length).toBeLessThan(records.length);
  expect(state?.rowCount).toBe(inRange.length);
  await expect(panel).toHaveAttribute('data-nbx-row-count', String(inRange.length));
  for (const cell of state?.cells ?? []) {
    expect(cell['#loss']).toBeGreaterThanOrEqual(lo);
    expect(cell['#loss']).toBeLessThanOrEqual(hi);
  }
  await expect(panel.locator('.nbx-Compare-status')).toHaveText(
    `${inRange.length} of ${records.length} runs`
  );
  // The scatter shows the rows kept.
  await expect(charts.locator('.nbx-CompareCharts-scatter .scatterlayer .point')).toHaveCount(
    inRange.filter(r => r.lr !== null).length
  );

  await saveScreenshot(testInfo, 'compare-charts-light', await panel.screenshot());
  await page.theme.setDarkTheme();
  await saveScreenshot(testInfo, 'compare-charts-dark', await panel.screenshot());

  // Clear Brush shows every run again.
  await charts.locator('.nbx-CompareCharts-clear').click();
  await expect(panel).toHaveAttribute('data-nbx-row-count', String(records.length));
});
