/**
 * "Run as Experiment" in a real JupyterLab: the dialog shows the flags of the notebook as
 * edited (unsaved), refuses bad values inline, counts the trials of a sweep live, and the
 * run it starts snapshots the editor's content with the dialog's values and completes.
 * The nbx service kernel stays out of the Launcher and the kernel picker.
 *
 * Runs go to `<tmpPath>/runs-root` (the `runsRoot` setting), which the test reads back
 * through the contents API.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { APIRequestContext, Locator, Page } from '@playwright/test';
import { expect, galata, test } from '@jupyterlab/galata';
import { nbxSettings, openRunsPanel, panelRows, panelStatus } from './runs-helpers';

const EXAMPLES = path.resolve(__dirname, '..', '..', 'examples');
/** The flags cell of train.ipynb with `epochs` changed from 5 to 3. */
const EDITED_FLAGS =
  "const lr = 0.01; // learning rate\nconst epochs = 3; // passes over the data\nconst layers = [64, 32]; // hidden layer sizes\nconst optimizer = 'adam'; // 'adam' or 'sgd'";

test.use({
  mockSettings: async ({ tmpPath }, use) => {
    await use({
      ...galata.DEFAULT_SETTINGS,
      // Unsaved edits must stay unsaved while the test runs.
      '@jupyterlab/docmanager-extension:plugin': { autosave: false },
      'jupyterlab-nbx:plugin': nbxSettings(`${tmpPath}/runs-root`)
    });
  }
});

test.beforeEach(async ({ page, tmpPath }) => {
  await page.contents.uploadFile(path.join(EXAMPLES, 'train.ipynb'), `${tmpPath}/train.ipynb`);
  await page.contents.uploadFile(path.join(EXAMPLES, 'data.csv'), `${tmpPath}/data.csv`);
});

/** A text file of the server, through the contents API. */
async function readText(request: APIRequestContext, file: string): Promise<string> {
  const response = await request.get(`/api/contents/${file}?type=file&format=text&content=1`);
  expect(response.ok(), `GET ${file}`).toBe(true);
  return (await response.json()).content as string;
}

/** The names in a directory of the server ([] when it does not exist). */
async function listDir(request: APIRequestContext, dir: string): Promise<string[]> {
  const response = await request.get(`/api/contents/${dir}?type=directory&content=1`);
  if (!response.ok()) {
    return [];
  }
  return ((await response.json()).content as { name: string }[]).map(item => item.name);
}

/** The Run as Experiment dialog, once its flags are shown. */
async function runDialog(page: Page): Promise<Locator> {
  const dialog = page.locator('.jp-Dialog', { has: page.locator('.nbx-RunDialog') });
  await expect(dialog).toBeVisible();
  return dialog;
}

test('runs the notebook as edited in the editor, with a flag changed in the dialog', async ({
  page,
  request,
  tmpPath
}) => {
  test.setTimeout(180_000);
  await page.notebook.openByPath(`${tmpPath}/train.ipynb`);
  await page.notebook.activate('train.ipynb');
  // Change a flag in the editor, and do not save.
  await page.notebook.setCell(1, 'code', EDITED_FLAGS);
  await expect(
    page.locator('.lm-TabBar-tab.jp-mod-dirty', { hasText: 'train.ipynb' })
  ).toBeVisible();

  await page
    .locator('.jp-NotebookPanel-toolbar [data-command="nbx:run-experiment"]')
    .first()
    .click();
  const dialog = await runDialog(page);
  await expect(dialog.locator('.jp-Dialog-header')).toContainText('Run train.ipynb');
  // The values are the editor's: epochs is 3 there, 5 on disk.
  await expect(dialog.locator('input[name="flag-epochs"]')).toHaveValue('3');
  await expect(dialog.locator('input[name="flag-lr"]')).toHaveValue('0.01');
  await expect(dialog.locator('input[name="flag-layers"]')).toHaveValue('[64,32]');
  await expect(dialog.locator('[data-flag="lr"] .nbx-RunDialog-help')).toContainText(
    'learning rate'
  );
  // The GPUs nvidia-smi reports (the server has a stand-in with 4), all selected by
  // default, each with its memory and utilisation.
  const gpus = dialog.locator('.nbx-RunDialog-gpu');
  await expect(gpus).toHaveCount(4);
  await expect(gpus.nth(1)).toContainText(/1: .+ GiB used, \d+% busy/);
  for (const index of [0, 1, 3]) {
    await expect(dialog.locator(`input[name="gpu-${index}"]`)).toBeChecked();
    await dialog.locator(`input[name="gpu-${index}"]`).uncheck();
  }
  await expect(dialog.locator('input[name="gpu-2"]')).toBeChecked();
  const run = dialog.getByRole('button', { name: 'Run the experiment' });
  const lr = dialog.locator('input[name="flag-lr"]');

  // A bad value is refused inline, and Run is disabled.
  await lr.fill('abc');
  const lrError = dialog.locator('[data-flag="lr"] .nbx-RunDialog-fieldError');
  await expect(lrError).toContainText("invalid value for flag 'lr'");
  await expect(dialog.locator('[data-flag="lr"]')).toHaveClass(/jp-mod-error/);
  await expect(run).toBeDisabled();
  await lr.press('Enter');
  await expect(dialog).toBeVisible();

  // Lists and distributions make sweeps, counted live.
  await lr.fill('[0.001, 0.01]');
  await expect(dialog.locator('.nbx-RunDialog-trials')).toHaveText('2 trials (grid)');
  await expect(lrError).toBeEmpty();
  await expect(run).toBeEnabled();
  await lr.fill('uniform[0.001:0.1]');
  await expect(dialog.locator('.nbx-RunDialog-trials')).toHaveText('No trials');
  await expect(dialog.locator('.nbx-RunDialog-trials + .nbx-RunDialog-fieldError')).toContainText(
    'max-trials'
  );
  await expect(run).toBeDisabled();
  await dialog.locator('input[name="maxTrials"]').fill('5');
  await expect(dialog.locator('.nbx-RunDialog-trials')).toHaveText('5 trials (random search)');

  // A plain value: one run, with the dialog's value.
  await lr.fill('0.05');
  await expect(dialog.locator('.nbx-RunDialog-trials')).toHaveText('1 run');
  await dialog.locator('input[name="tags"]').fill('ui-test');
  await expect(run).toBeEnabled();
  await run.click();
  await expect(dialog).toHaveCount(0);

  // The run: the directory with a meta.json (the standby kernel's reserved directory,
  // which has none, may appear beside it right after).
  const runs = `${tmpPath}/runs-root/runs`;
  const runDirs = async (): Promise<string[]> => {
    const found: string[] = [];
    for (const name of await listDir(request, runs)) {
      if ((await listDir(request, `${runs}/${name}`)).includes('meta.json')) {
        found.push(name);
      }
    }
    return found;
  };
  await expect.poll(runDirs, { timeout: 30_000 }).toHaveLength(1);
  const [id] = await runDirs();
  // The Runs panel shows it running, then completed.
  await openRunsPanel(page);
  await expect.poll(() => panelStatus(page, id), { timeout: 60_000 }).toBe('running');
  await expect.poll(() => panelStatus(page, id), { timeout: 120_000 }).toBe('completed');
  // Opened (with the command the notification's "Open run" calls; the notification itself
  // closes after a while): the values injected, the output there.
  await page.evaluate(async id => {
    await window.jupyterapp.commands.execute('nbx:open-run', { id });
  }, id);
  const view = page.locator('.nbx-RunView');
  await expect(view.locator('.nbx-RunView-id')).toHaveText(id);
  await expect(view.locator('.nbx-RunView-status')).toContainText('completed');
  await expect(view.locator('.jp-Notebook .jp-InputArea').nth(1)).toContainText('const lr = 0.05;');
  await expect(view.locator('.jp-Notebook .jp-InputArea').nth(1)).toContainText(
    'const epochs = 3;'
  );
  await expect(
    view.locator('.jp-Notebook .jp-OutputArea-output', { hasText: 'step=3 loss=' }).first()
  ).toBeVisible();

  // Both values injected (epochs from the editor, lr from the dialog), completed.
  const meta = async (): Promise<Record<string, unknown>> =>
    JSON.parse(await readText(request, `${runs}/${id}/meta.json`));
  expect((await meta()).status).toBe('completed');
  const record = await meta();
  expect(record.flags).toMatchObject({ lr: 0.05, epochs: 3, optimizer: 'adam' });
  expect(record.tags).toEqual(['ui-test']);
  expect(record.gpus).toBe('2');
  // The view says how its kernel started, as the record does.
  expect(typeof record.kernelWarm).toBe('boolean');
  await expect(view.locator('.nbx-RunView-fields')).toContainText(
    new RegExp(`Kernel\\s*TypeScript, started ${record.kernelWarm ? 'warm' : 'cold'}`)
  );
  const executed = await readText(request, `${runs}/${id}/executed.ipynb`);
  expect(executed).toContain('const lr = 0.05;');
  expect(executed).toContain('const epochs = 3;');
  expect(executed).toContain('step=3 loss=');
  expect(executed).not.toContain('step=4 loss=');
  // The file on disk was not saved.
  expect(await readText(request, `${tmpPath}/train.ipynb`)).toContain('const epochs = 5;');
});

test('opens from the file browser (dark theme), and the service kernel stays hidden', async ({
  page,
  request,
  tmpPath
}, testInfo) => {
  test.setTimeout(240_000);
  // Tall enough for the whole dialog in the screenshot.
  await page.setViewportSize({ width: 1280, height: 1000 });
  await page.theme.setDarkTheme();
  await page.filebrowser.openDirectory(tmpPath);
  await page
    .locator('.jp-DirListing-item[data-file-type="notebook"]', { hasText: 'train.ipynb' })
    .click({ button: 'right' });
  const menuItem = page.locator('.lm-Menu-item[data-command="nbx:run-experiment"]');
  await expect(menuItem).toBeVisible();
  await menuItem.click();
  const dialog = await runDialog(page);
  await expect(dialog.locator('.nbx-RunDialog-source')).toContainText('as saved on disk');
  await expect(dialog.locator('input[name="flag-epochs"]')).toHaveValue('5');
  await dialog.locator('input[name="flag-optimizer"]').fill('[adam, sgd]');
  await dialog.locator('input[name="flag-epochs"]').fill('[2, 3]');
  await expect(dialog.locator('.nbx-RunDialog-trials')).toHaveText('4 trials (grid)');
  await dialog.locator('input[name="label"]').fill('${optimizer} for ${epochs} epochs');
  await dialog.locator('input[name="tags"]').fill('has space');
  await expect(dialog.locator('[data-field="tags"] .nbx-RunDialog-fieldError')).toContainText(
    'Tags have no spaces'
  );
  await expect(dialog.getByRole('button', { name: 'Run the experiment' })).toBeDisabled();
  await dialog.locator('input[name="tags"]').fill('sweep, dark');
  await expect(dialog.getByRole('button', { name: 'Run the experiment' })).toBeEnabled();
  // Kept as a file too (test-results/), for the pull request.
  const screenshot = testInfo.outputPath('run-experiment-dialog-dark.png');
  fs.writeFileSync(screenshot, await dialog.locator('.jp-Dialog-content').screenshot());
  await testInfo.attach('run-experiment-dialog-dark', {
    path: screenshot,
    contentType: 'image/png'
  });
  // The sweep: a batch of 4 trials, each a run of its own.
  await dialog.getByRole('button', { name: 'Run the experiment' }).click();
  await expect(dialog).toHaveCount(0);
  const toast = page.locator('.Toastify__toast', { hasText: 'Started a sweep of 4 trials' });
  await expect(toast).toBeVisible({ timeout: 60_000 });
  const batchId = /batch ([0-9a-f]{8})/.exec((await toast.textContent()) ?? '')?.[1] ?? '';
  expect(batchId).not.toBe('');
  const runs = `${tmpPath}/runs-root/runs`;
  const batch = (await listDir(request, runs)).find(name => name.startsWith(batchId)) ?? '';
  const batchMeta = JSON.parse(await readText(request, `${runs}/${batch}/meta.json`)) as {
    kind: string;
    trials: string[];
    tags: string[];
  };
  expect(batchMeta.kind).toBe('batch');
  expect(batchMeta.tags).toEqual(['sweep', 'dark']);
  expect(batchMeta.trials).toHaveLength(4);
  await openRunsPanel(page);
  // The trials are listed under their batch once it is expanded.
  await expect.poll(() => panelStatus(page, batch), { timeout: 60_000 }).not.toBeNull();
  await page.evaluate(id => {
    for (const widget of window.jupyterapp.shell.widgets('left')) {
      if (widget.id === 'nbx-runs') {
        const { model } = widget as unknown as {
          model: { setExpanded(id: string, expanded: boolean): void };
        };
        model.setExpanded(id, true);
      }
    }
  }, batch);
  await expect
    .poll(async () => {
      const listed = new Set((await panelRows(page)).map(row => row.id));
      return batchMeta.trials.filter(trial => listed.has(trial)).length;
    })
    .toBe(4);

  // The service kernel is running now (the dialog asked it for the flags), but it is
  // neither a Launcher card nor a choice of the kernel picker.
  const running = await request.get('/api/kernels');
  const kernels = (await running.json()) as { name: string }[];
  expect(kernels.map(k => k.name)).toContain('nbx-service');

  await page.menu.clickMenuItem('File>New Launcher');
  const launcher = page.locator('.jp-Launcher').filter({ visible: true });
  await expect(launcher.locator('.jp-LauncherCard').first()).toBeVisible();
  await expect(launcher.locator('.jp-LauncherCard[title="TypeScript"]').first()).toBeVisible();
  await expect(launcher.locator('.jp-LauncherCard', { hasText: 'nbx service' })).toHaveCount(0);
  await expect(launcher.locator('.jp-LauncherCard[title="nbx service"]')).toHaveCount(0);

  await page.sidebar.openTab('filebrowser');
  await page.notebook.openByPath(`${tmpPath}/train.ipynb`);
  await page.notebook.activate('train.ipynb');
  await page.menu.clickMenuItem('Kernel>Change Kernel…');
  const picker = page.locator('.jp-Dialog', { hasText: 'Select Kernel' });
  await expect(picker).toBeVisible();
  const options = picker.locator('option');
  await expect(options.filter({ hasText: 'TypeScript' }).first()).toBeAttached();
  await expect(options.filter({ hasText: 'nbx service' })).toHaveCount(0);
  await expect(options.filter({ hasText: 'nbx-service' })).toHaveCount(0);
  await picker.getByRole('button', { name: 'Cancel' }).click();
  await expect(picker).toHaveCount(0);

  // The keyboard shortcut in the notebook, and the command palette.
  await page.notebook.selectCells(1);
  await page.keyboard.press('Control+Alt+r');
  const fromKeys = await runDialog(page);
  await expect(fromKeys.locator('.nbx-RunDialog-source')).toContainText('unsaved edits included');
  await fromKeys.getByRole('button', { name: 'Cancel' }).click();
  await expect(fromKeys).toHaveCount(0);
  // The modal palette closes when it loses focus, which the closing dialog may still take
  // back for the notebook: open it again until it stays.
  const palette = page.locator('#modal-command-palette');
  await expect(async () => {
    if (!(await palette.locator('.lm-CommandPalette-input').isVisible())) {
      await page.evaluate(() =>
        window.jupyterapp.commands.execute('apputils:activate-command-palette')
      );
    }
    await palette.locator('.lm-CommandPalette-input').fill('Run as Experiment', { timeout: 2000 });
    await expect(
      palette.locator('.lm-CommandPalette-item', { hasText: 'Run as Experiment…' })
    ).toHaveCount(1, { timeout: 2000 });
  }).toPass({ timeout: 30_000 });
  await page.keyboard.press('Escape');

  // Prefilled, as the run view's "rerun with changed flags" opens it.
  // (Not awaited: the command resolves when its dialog closes.)
  await page.evaluate(notebookPath => {
    void window.jupyterapp.commands.execute('nbx:run-experiment', {
      path: notebookPath,
      flags: { lr: 0.2, layers: [8] },
      label: 'rerun',
      tags: ['a', 'b']
    });
  }, `${tmpPath}/train.ipynb`);
  const rerun = await runDialog(page);
  await expect(rerun.locator('input[name="flag-lr"]')).toHaveValue('0.2');
  await expect(rerun.locator('input[name="flag-layers"]')).toHaveValue('[8]');
  await expect(rerun.locator('input[name="label"]')).toHaveValue('rerun');
  await expect(rerun.locator('input[name="tags"]')).toHaveValue('a, b');
  await expect(rerun.locator('.nbx-RunDialog-trials')).toHaveText('1 run');
  await rerun.getByRole('button', { name: 'Cancel' }).click();

  // Meanwhile the sweep ran its trials, one at a time: each completed with its values.
  await openRunsPanel(page);
  for (const trial of batchMeta.trials) {
    await expect.poll(() => panelStatus(page, trial), { timeout: 120_000 }).toBe('completed');
  }
  const labels = (await panelRows(page))
    .filter(row => batchMeta.trials.includes(row.id))
    .map(row => row.label)
    .sort();
  expect(labels).toEqual([
    'adam for 2 epochs',
    'adam for 3 epochs',
    'sgd for 2 epochs',
    'sgd for 3 epochs'
  ]);
});
