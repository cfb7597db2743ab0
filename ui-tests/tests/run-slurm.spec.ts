/**
 * A sweep submitted from the Run as Experiment dialog to Slurm: "Run on: Slurm" with a
 * time limit, the trials one job array on the local test cluster (scripts/slurm-local.sh,
 * started by CI before the tests); the Runs panel follows them live to completed, and a
 * trial's view names its Slurm job, partition and node. Skipped where no test cluster runs.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import type { Locator, Page } from '@playwright/test';
import { expect, galata, test } from '@jupyterlab/galata';
import { nbxSettings, openRunsPanel, panelRows } from './runs-helpers';

const ROOT = path.resolve(__dirname, '..', '..');
const EXAMPLES = path.join(ROOT, 'examples');
const cluster = spawnSync('bash', [path.join(ROOT, 'scripts', 'slurm-local.sh'), 'status'], {
  encoding: 'utf8'
});

test.use({
  mockSettings: async ({ tmpPath }, use) => {
    await use({
      ...galata.DEFAULT_SETTINGS,
      'jupyterlab-nbx:plugin': nbxSettings(`${tmpPath}/runs-root`)
    });
  }
});

test.beforeEach(async ({ page, tmpPath }) => {
  await page.contents.uploadFile(path.join(EXAMPLES, 'train.ipynb'), `${tmpPath}/train.ipynb`);
  await page.contents.uploadFile(path.join(EXAMPLES, 'data.csv'), `${tmpPath}/data.csv`);
});

async function runDialog(page: Page): Promise<Locator> {
  const dialog = page.locator('.jp-Dialog', { has: page.locator('.nbx-RunDialog') });
  await expect(dialog).toBeVisible();
  return dialog;
}

test('a sweep submitted to Slurm from the dialog shows live in the Runs panel', async ({
  page,
  request,
  tmpPath
}) => {
  test.skip(cluster.status !== 0, `no Slurm test cluster here: ${cluster.stderr.trim()}`);
  test.setTimeout(240_000);
  await page.notebook.openByPath(`${tmpPath}/train.ipynb`);
  await page.notebook.activate('train.ipynb');
  await page
    .locator('.jp-NotebookPanel-toolbar [data-command="nbx:run-experiment"]')
    .first()
    .click();
  const dialog = await runDialog(page);
  await dialog.locator('input[name="flag-lr"]').fill('[0.001, 0.01]');
  await expect(dialog.locator('.nbx-RunDialog-trials')).toHaveText('2 trials (grid)');
  // Slurm's fields show once the run goes there; a bad time limit is refused inline.
  const time = dialog.locator('input[name="time"]');
  await expect(time).toBeHidden();
  await dialog.locator('select[name="runOn"]').selectOption('slurm');
  await expect(dialog.locator('.nbx-RunDialog-gpus')).toBeHidden();
  await time.fill('soon');
  await expect(dialog.locator('[data-field="time"] .nbx-RunDialog-fieldError')).toContainText(
    'minutes'
  );
  const run = dialog.getByRole('button', { name: 'Run the experiment' });
  await expect(run).toBeDisabled();
  await time.fill('10');
  await dialog.locator('input[name="parallel"]').fill('2');
  await expect(run).toBeEnabled();
  await run.click();
  await expect(dialog).toHaveCount(0);
  await expect(
    page.getByText(/Submitted a sweep of 2 trials of train\.ipynb to Slurm/).first()
  ).toBeVisible();

  await openRunsPanel(page);
  const batch = async (): Promise<{ status: string | null; label: string } | undefined> =>
    (await panelRows(page)).find(row => row.label.startsWith('sweep lr='));
  await expect
    .poll(async () => (await batch())?.status, { timeout: 60_000 })
    .toMatch(/queued|running|completed/);
  await expect.poll(async () => (await batch())?.status, { timeout: 180_000 }).toBe('completed');

  // A trial's view: its Slurm job, on the test cluster's partition and node.
  const batchId = (await panelRows(page)).find(row => row.label.startsWith('sweep lr='))?.id;
  const response = await request.get(
    `/api/contents/${tmpPath}/runs-root/runs/${batchId}/meta.json?type=file&format=text&content=1`
  );
  const trials = JSON.parse(((await response.json()) as { content: string }).content)
    .trials as string[];
  expect(trials).toHaveLength(2);
  await page.evaluate(async id => {
    await window.jupyterapp.commands.execute('nbx:open-run', { id });
  }, trials[0]);
  const fields = page.locator('.nbx-RunView-fields');
  await expect(fields).toContainText(/Slurm job\s*\d+_0 \(COMPLETED\)/);
  await expect(fields).toContainText(/Partition\s*debug/);
});
