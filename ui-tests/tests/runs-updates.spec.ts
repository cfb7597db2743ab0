/**
 * The Runs panel kept live at the cost of what changed, in a real JupyterLab over 200
 * generated runs: a run changing in another runs root costs no request; a run changing in
 * the panel's root is fetched alone (`listRuns` with its id) and patched in place, its
 * status cell changing while the selection and the scroll position stay; a new run goes
 * in above without moving the rows in view; elapsed times tick with no request at all. A
 * run view follows changes of its own run, not of a run with its id in another root.
 *
 * Requests are counted on the wire: the `listRuns` frames the page sends on its kernel
 * websockets. Runs change as a runner changes them, by rewriting their meta.json.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { WebSocket } from '@playwright/test';
import { expect, galata, test } from '@jupyterlab/galata';
import { removeAfterEach } from './cleanup';
import { generateRuns } from '../../kernel/lib/bench/gen-runs';
import { processStartToken } from '../../kernel/lib/store/process';
import { createRun, RunDir } from '../../kernel/lib/store/run-dir';
import { callService, nbxSettings, openRunsPanel, panelStatus, type Page } from './runs-helpers';

removeAfterEach(['runs-root', 'other-root']);

test.use({
  mockSettings: async ({ tmpPath }, use) => {
    await use({
      ...galata.DEFAULT_SETTINGS,
      'jupyterlab-nbx:plugin': nbxSettings(`${tmpPath}/runs-root`, [`${tmpPath}/other-root`])
    });
  }
});

/** The `listRuns` requests the page sends, and the `runs-changed` pushes it receives. */
class Wire {
  /** Text of each `listRuns` request sent. */
  readonly listings: string[] = [];
  /** Text of each `runs-changed` push received. */
  readonly pushes: string[] = [];
  /** Text of each `getRun` request sent (a run view fetching its record). */
  readonly records: string[] = [];

  /** Follows the websockets the page opens from now on. */
  constructor(page: Page) {
    page.on('websocket', (ws: WebSocket) => {
      ws.on('framesent', ({ payload }) => {
        const text = payload.toString();
        if (text.includes('"method":"listRuns"')) {
          this.listings.push(text);
        } else if (text.includes('"method":"getRun"')) {
          this.records.push(text);
        }
      });
      ws.on('framereceived', ({ payload }) => {
        const text = payload.toString();
        if (text.includes('"event":"runs-changed"')) {
          this.pushes.push(text);
        }
      });
    });
  }
}

/** What the test reads of the panel in the page. */
interface IView {
  selected: string[];
  scrollY: number;
  /** The run in the first row in view. */
  topId: string;
  rowCount: number;
}

function view(page: Page): Promise<IView> {
  return page.evaluate(() => {
    for (const widget of window.jupyterapp.shell.widgets('left')) {
      if (widget.id === 'nbx-runs') {
        const { model, grid } = widget as unknown as {
          model: { selectedIds: string[]; rowCount: number; id(row: number): string };
          grid: { scrollY: number; rowAt(region: 'body', y: number): number };
        };
        return {
          selected: model.selectedIds,
          scrollY: grid.scrollY,
          topId: model.id(grid.rowAt('body', grid.scrollY)),
          rowCount: model.rowCount
        };
      }
    }
    throw new Error('no Runs panel');
  });
}

/** The text of the elapsed cell of run `id` ('' when it is not listed). */
function elapsedText(page: Page, id: string): Promise<string> {
  return page.evaluate(id => {
    for (const widget of window.jupyterapp.shell.widgets('left')) {
      if (widget.id === 'nbx-runs') {
        const { model, grid } = widget as unknown as {
          model: { rowOf(id: string): number };
          grid: { dataModel: { data(region: 'body', row: number, column: number): unknown } };
        };
        const row = model.rowOf(id);
        // Columns: status, name, elapsed, ...
        return row < 0 ? '' : String(grid.dataModel.data('body', row, 2) ?? '');
      }
    }
    return '';
  }, id);
}

test('patches changed runs in place, ignores other roots, ticks without requests', async ({
  page,
  tmpPath
}) => {
  test.setTimeout(180_000);
  await openRunsPanel(page);
  const { cwd } = await callService<{ cwd: string }>(page, 'info', {});
  const root = path.join(cwd, tmpPath, 'runs-root');
  const other = path.join(cwd, tmpPath, 'other-root');
  generateRuns(root, { count: 200, seed: 21 });
  const otherIds = generateRuns(other, { count: 5, seed: 22 });
  // The wire from a fresh page on: the panel's first listing is of the 200 runs.
  const wire = new Wire(page);
  await page.reload();
  await openRunsPanel(page);
  const panel = page.locator('#nbx-runs');
  await expect(panel).toHaveAttribute('data-nbx-row-count', '200');
  await expect(panel).toHaveAttribute('data-nbx-first-rows', 'painted');
  expect(wire.listings).toHaveLength(1);
  // The service watches a root once a request used it.
  await callService(page, 'listRuns', { root: other, limit: 1 });
  wire.listings.length = 0;

  // Select a run, and scroll 60 rows down.
  await page.evaluate(() => {
    for (const widget of window.jupyterapp.shell.widgets('left')) {
      if (widget.id === 'nbx-runs') {
        const { model, grid } = widget as unknown as {
          model: { select(row: number, mode: 'replace'): void };
          grid: { scrollTo(x: number, y: number): void; defaultSizes: { rowHeight: number } };
        };
        model.select(64, 'replace');
        grid.scrollTo(0, 60 * grid.defaultSizes.rowHeight);
      }
    }
  });
  await expect.poll(async () => (await view(page)).scrollY).toBeGreaterThan(0);
  const before = await view(page);
  expect(before.selected).toHaveLength(1);

  // A run of the other root changes: pushed, and no request follows.
  new RunDir(other, otherIds[0]).updateMeta({ label: 'elsewhere' });
  await expect
    .poll(() => wire.pushes.filter(p => p.includes(otherIds[0])).length, { timeout: 30_000 })
    .toBeGreaterThan(0);

  // The selected run (in view) changes status: fetched alone, patched in place.
  const changed = before.selected[0];
  const target = new RunDir(root, changed);
  const status = target.readMeta().status === 'error' ? 'completed' : 'error';
  target.updateMeta(m => ({ ...m, status }));
  await expect.poll(() => panelStatus(page, changed), { timeout: 30_000 }).toBe(status);
  expect(wire.listings).toHaveLength(1);
  expect(wire.listings[0]).toContain(`"ids":["${changed}"]`);
  const after = await view(page);
  expect(after.selected).toEqual(before.selected);
  expect(after.scrollY).toBe(before.scrollY);
  expect(after.topId).toBe(before.topId);

  // A new run, running (its runner is this process): listed first, the view stays put.
  wire.listings.length = 0;
  const started = new Date(Date.now() - 5000).toISOString();
  const live = createRun(root, { notebook: path.join(cwd, 'live.ipynb'), status: 'running' });
  live.updateMeta({
    pid: process.pid,
    pidStart: processStartToken(process.pid),
    host: os.hostname(),
    started
  });
  await expect.poll(() => panelStatus(page, live.id), { timeout: 30_000 }).toBe('running');
  const withNew = await view(page);
  expect(withNew.rowCount).toBe(201);
  expect(withNew.topId).toBe(before.topId);
  expect(withNew.selected).toEqual(before.selected);
  expect(wire.listings.every(text => text.includes('"ids":['))).toBe(true);

  // Its elapsed time ticks, with no request.
  const requests = wire.listings.length;
  const first = await elapsedText(page, live.id);
  expect(first).not.toBe('');
  await expect.poll(() => elapsedText(page, live.id), { timeout: 10_000 }).not.toBe(first);
  expect(wire.listings).toHaveLength(requests);
  live.updateMeta({ status: 'completed', stopped: new Date().toISOString() });
});

test('a run view follows its own runs root only', async ({ page, tmpPath }) => {
  test.setTimeout(120_000);
  await openRunsPanel(page);
  const { cwd } = await callService<{ cwd: string }>(page, 'info', {});
  const root = path.join(cwd, tmpPath, 'runs-root');
  const other = path.join(cwd, tmpPath, 'other-root');
  const [id] = generateRuns(root, { count: 1, seed: 31 });
  // The same run (same id) in the other root too.
  const mine = new RunDir(root, id);
  const copy = new RunDir(other, id);
  fs.cpSync(mine.path, copy.path, { recursive: true });
  // The service watches a root once a request used it.
  await callService(page, 'listRuns', { root: other, limit: 1 });
  // The wire from a fresh page on.
  const wire = new Wire(page);
  await page.reload();
  await openRunsPanel(page);
  await page.evaluate(async id => {
    await window.jupyterapp.commands.execute('nbx:open-run', { id });
  }, id);
  const view = page.locator('.nbx-RunView');
  await expect(view.locator('.nbx-RunView-id')).toHaveText(id);
  await expect(view.locator('.nbx-RunView-notebook .jp-Cell').first()).toBeVisible();
  wire.records.length = 0;

  // Its twin in the other root changes: pushed, and the view asks nothing.
  copy.updateMeta({ label: 'elsewhere' });
  await expect
    .poll(() => wire.pushes.filter(p => p.includes(id) && p.includes('other-root')).length, {
      timeout: 30_000
    })
    .toBeGreaterThan(0);
  // The run itself changes: the view fetches its record (and only then).
  mine.updateMeta({ label: 'here' });
  await expect(view.locator('.nbx-RunView-label')).toHaveText('here', { timeout: 30_000 });
  expect(wire.records).toHaveLength(1);
});
