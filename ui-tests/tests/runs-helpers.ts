/**
 * Reading the Runs panel in the page: its rows as its model holds them (the grid paints
 * on a canvas, so the tests read the model the grid draws).
 */
import * as fs from 'fs';
import * as path from 'path';
import { expect, type IJupyterLabPageFixture } from '@jupyterlab/galata';

export type Page = IJupyterLabPageFixture;

/** A row of the panel, as its model holds it. */
export interface IPanelRow {
  id: string;
  status: string | null;
  label: string;
  /** The key metric's value (the last column). */
  metric: number | null;
}

/** What the tests read of the panel widget (its public API). */
export interface IPanelLike {
  id: string;
  model: {
    rowCount: number;
    id(row: number): string;
    status(row: number): string | null;
    label(row: number): string;
    metric(row: number): number | null;
    metricColumn: string | null;
  };
  grid: {
    defaultSizes: { rowHeight: number; columnHeaderHeight: number };
  } | null;
}

/** Opens the Runs panel and waits for its first listing. */
export async function openRunsPanel(page: Page): Promise<void> {
  await page.sidebar.openTab('nbx-runs');
  await expect(page.locator('#nbx-runs')).toHaveAttribute('data-nbx-row-count', /\d+/);
}

/** The rows of the Runs panel, in order. */
export function panelRows(page: Page): Promise<IPanelRow[]> {
  return page.evaluate(() => {
    for (const widget of window.jupyterapp.shell.widgets('left')) {
      if (widget.id === 'nbx-runs') {
        const { model } = widget as unknown as IPanelLike;
        return Array.from({ length: model.rowCount }, (_, row) => ({
          id: model.id(row),
          status: model.status(row),
          label: model.label(row),
          metric: model.metric(row)
        }));
      }
    }
    return [];
  });
}

/** The status the panel shows for run `id`, or null when it is not listed. */
export async function panelStatus(page: Page, id: string): Promise<string | null> {
  return (await panelRows(page)).find(row => row.id === id)?.status ?? null;
}

/**
 * nbx's settings for a test whose runs go to `runsRoot` (and that reads `otherRunsRoots`
 * too): mocked in the page (Galata keeps
 * settings in memory) and saved where the server keeps them (`JUPYTERLAB_SETTINGS_DIR`,
 * set by playwright.config.js), since the nbx service serves only the runs roots of the
 * saved settings.
 */
export function nbxSettings(
  runsRoot: string,
  otherRunsRoots: string[] = []
): { runsRoot: string; otherRunsRoots: string[] } {
  const dir = process.env.JUPYTERLAB_SETTINGS_DIR;
  if (!dir) {
    throw new Error('JUPYTERLAB_SETTINGS_DIR is not set (see playwright.config.js)');
  }
  const settings = { runsRoot, otherRunsRoots };
  fs.mkdirSync(path.join(dir, 'nbx'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'nbx', 'plugin.jupyterlab-settings'), JSON.stringify(settings));
  return settings;
}

/**
 * Calls a method of the nbx service over a comm of its own, as the extension does, once
 * the service kernel the extension starts is listed (bounded wait).
 */
export function callService<T>(
  page: Page,
  method: string,
  params: Record<string, unknown>
): Promise<T> {
  return page.evaluate(
    async ({ method, params }) => {
      const manager = window.jupyterapp.serviceManager;
      // Started by the extension on load; listed by the server (the kernel manager hides it).
      let model: { id: string; name: string } | undefined;
      for (let i = 0; i < 600 && !model; i++) {
        const response = await fetch(`${manager.serverSettings.baseUrl}api/kernels`);
        model = ((await response.json()) as { id: string; name: string }[]).find(
          k => k.name === 'nbx-service'
        );
        if (!model) {
          await new Promise(resolve => setTimeout(resolve, 100));
        }
      }
      if (!model) {
        throw new Error('the nbx service kernel did not start');
      }
      const kernel = manager.kernels.connectTo({ model, handleComms: true });
      try {
        const comm = kernel.createComm('nbx');
        const reply = new Promise<Record<string, unknown>>(resolve => {
          comm.onMsg = msg => {
            const data = msg.content.data as Record<string, unknown>;
            // Pushed events (runs-changed) come on every comm; the reply carries our id.
            if (data.id === 1) {
              resolve(data);
            }
          };
        });
        await comm.open({}).done;
        comm.send({ id: 1, method, params: JSON.parse(JSON.stringify(params)) });
        const data = await reply;
        comm.close();
        if (data.ok !== true) {
          throw new Error(String(data.error));
        }
        return data.result as T;
      } finally {
        kernel.dispose();
      }
    },
    { method, params }
  );
}

/** Where the panels' screenshots are saved (light and dark), beside the report's copies. */
export const SCREENSHOTS_DIR = path.join(__dirname, '..', 'screenshots');

/**
 * Saves a screenshot of a panel as `ui-tests/screenshots/<name>.png` and attaches it to
 * the test's report.
 */
export async function saveScreenshot(
  testInfo: { attach(name: string, options: { body: Buffer; contentType: string }): Promise<void> },
  name: string,
  body: Buffer
): Promise<void> {
  fs.mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  fs.writeFileSync(path.join(SCREENSHOTS_DIR, `${name}.png`), body);
  await testInfo.attach(name, { body, contentType: 'image/png' });
}

/** A python3 notebook of code cells, as the JSON of an .ipynb file. */
export function pythonNotebook(...sources: string[]): string {
  return JSON.stringify({
    cells: sources.map(source => ({
      cell_type: 'code',
      execution_count: null,
      metadata: {},
      outputs: [],
      source
    })),
    metadata: {
      kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' },
      language_info: { name: 'python' }
    },
    nbformat: 4,
    nbformat_minor: 5
  });
}
