/**
 * The Runs panel and the run view in a real JupyterLab: runs started through the nbx
 * service appear live (running, then completed or failed), the `--where` filter narrows
 * them and shows its errors inline, a double click opens the run view with the executed
 * notebook rendered by JupyterLab, and Stop in the panel's toolbar terminates a long run.
 * Dark-theme screenshots of the panel and the run view are attached to the report.
 *
 * Each test keeps its runs in `<tmpPath>/runs-root` (the `runsRoot` setting, which every
 * request of the panel carries; the service resolves it against its directory, the
 * server's root), so it sees only its own runs.
 */
import { expect, galata, test } from '@jupyterlab/galata';
import {
  callService,
  nbxSettings,
  openRunsPanel,
  panelRows,
  panelStatus,
  pythonNotebook,
  type IPanelLike,
  type Page
} from './runs-helpers';

const QUICK = pythonNotebook(
  'import time\ntime.sleep(4)',
  'print("hello from the run", 6 * 7)\nprint("loss: 0.25")'
);
const FAILING = pythonNotebook('raise ValueError("this run fails on purpose")');
const LONG = pythonNotebook('import time\nprint("sleeping", flush=True)\ntime.sleep(60)');

test.use({
  mockSettings: async ({ tmpPath }, use) => {
    await use({
      ...galata.DEFAULT_SETTINGS,
      'jupyterlab-nbx:plugin': nbxSettings(`${tmpPath}/runs-root`)
    });
  }
});

test.beforeEach(async ({ page, tmpPath }) => {
  await page.contents.uploadContent(QUICK, 'text', `${tmpPath}/quick.ipynb`);
  await page.contents.uploadContent(FAILING, 'text', `${tmpPath}/failing.ipynb`);
  await page.contents.uploadContent(LONG, 'text', `${tmpPath}/long.ipynb`);
});

/** Starts a run of `notebook` in the test's runs root; resolves with its id. */
async function startRun(page: Page, tmpPath: string, notebook: string, label: string) {
  const result = await callService<{ id: string }>(page, 'startRun', {
    path: `${tmpPath}/${notebook}`,
    root: `${tmpPath}/runs-root`,
    label
  });
  return result.id;
}

/**
 * Page coordinates of the middle of body row `row` of the grid, 140 px from its left
 * (-1: the header; 80 px to the left is in the Run column, the runs' names).
 */
async function rowPoint(page: Page, row: number): Promise<{ x: number; y: number }> {
  const sizes = await page.evaluate(() => {
    for (const widget of window.jupyterapp.shell.widgets('left')) {
      if (widget.id === 'nbx-runs') {
        return (widget as unknown as IPanelLike).grid?.defaultSizes ?? null;
      }
    }
    return null;
  });
  expect(sizes).not.toBeNull();
  const box = await page.locator('#nbx-runs .nbx-RunsGrid').boundingBox();
  expect(box).not.toBeNull();
  return {
    x: (box?.x ?? 0) + 140,
    y:
      (box?.y ?? 0) +
      (sizes?.columnHeaderHeight ?? 0) +
      (sizes?.rowHeight ?? 0) * row +
      (sizes?.rowHeight ?? 0) / 2
  };
}

test('lists runs live, filters them, and opens one in the run view', async ({
  page,
  tmpPath
}, testInfo) => {
  test.setTimeout(180_000);
  await openRunsPanel(page);
  const panel = page.locator('#nbx-runs');
  await expect(panel).toHaveAttribute('data-nbx-row-count', '0');
  await expect(panel.locator('.nbx-RunsPanel-message')).toContainText('No runs yet');

  const first = await startRun(page, tmpPath, 'quick.ipynb', 'quick one');
  const second = await startRun(page, tmpPath, 'quick.ipynb', 'quick two');
  const failing = await startRun(page, tmpPath, 'failing.ipynb', 'fails');

  // Live: the runs show up as running, then completed (or error), without a reload.
  for (const id of [first, second]) {
    await expect.poll(() => panelStatus(page, id), { timeout: 60_000 }).toBe('running');
  }
  for (const id of [first, second]) {
    await expect.poll(() => panelStatus(page, id), { timeout: 90_000 }).toBe('completed');
  }
  await expect.poll(() => panelStatus(page, failing), { timeout: 90_000 }).toBe('error');
  // Latest first.
  expect((await panelRows(page)).map(row => row.id)).toEqual([failing, second, first]);
  await expect(panel.locator('.nbx-RunsPanel-footer')).toHaveText('3 runs');
  // The key metric: the last value of the first scalar (`loss: 0.25` in the output).
  const metricColumn = await page.evaluate(() => {
    for (const widget of window.jupyterapp.shell.widgets('left')) {
      if (widget.id === 'nbx-runs') {
        return (widget as unknown as IPanelLike).model.metricColumn;
      }
    }
    return null;
  });
  expect(metricColumn).toBe('#loss');
  expect((await panelRows(page)).map(row => row.metric)).toEqual([null, 0.25, 0.25]);

  // The filter speaks the --where language; a bad expression is explained inline.
  const filter = panel.locator('.nbx-RunsPanel-filterInput');
  await filter.fill('status >> completed');
  await filter.press('Enter');
  const error = panel.locator('.nbx-RunsPanel-error');
  await expect(error).toBeVisible();
  await expect(error).toContainText("invalid where 'status >> completed'");
  await expect(filter).toHaveAttribute('aria-invalid', 'true');
  await filter.fill('status = completed');
  await filter.press('Enter');
  await expect(error).toBeHidden();
  await expect(panel).toHaveAttribute('data-nbx-row-count', '2');
  expect((await panelRows(page)).map(row => row.id)).toEqual([second, first]);
  await expect(panel.locator('.nbx-RunsPanel-footer')).toHaveText('2 of 3 runs');

  // A click on a column header sorts by it: the Run column (labels), A to Z, then Z to A.
  const header = await rowPoint(page, -1);
  const byLabel = [first, second]; // 'quick one', 'quick two'
  await page.mouse.click(header.x - 80, header.y);
  await expect.poll(async () => (await panelRows(page)).map(row => row.id)).toEqual(byLabel);
  await page.mouse.click(header.x - 80, header.y);
  await expect
    .poll(async () => (await panelRows(page)).map(row => row.id))
    .toEqual([...byLabel].reverse());
  const row = (await panelRows(page)).findIndex(run => run.id === first);

  // Selection: a click selects one row, shift-click extends, ctrl-click toggles.
  const footer = panel.locator('.nbx-RunsPanel-footer');
  const top = await rowPoint(page, 0);
  const next = await rowPoint(page, 1);
  await page.mouse.click(top.x, top.y);
  await expect(footer).toHaveText('2 of 3 runs · 1 selected');
  await page.keyboard.down('Shift');
  await page.mouse.click(next.x, next.y);
  await page.keyboard.up('Shift');
  await expect(footer).toHaveText('2 of 3 runs · 2 selected');
  await page.keyboard.down('Control');
  await page.mouse.click(top.x, top.y);
  await page.keyboard.up('Control');
  await expect(footer).toHaveText('2 of 3 runs · 1 selected');

  // A double click opens the run view: header, and the executed notebook as JupyterLab
  // renders it.
  const point = await rowPoint(page, row);
  await page.mouse.dblclick(point.x, point.y);
  const view = page.locator('.nbx-RunView');
  await expect(view.locator('.nbx-RunView-title')).toContainText('quick.ipynb');
  await expect(view.locator('.nbx-RunView-id')).toHaveText(first);
  await expect(view.locator('.nbx-RunView-status')).toContainText('completed');
  await expect(view.locator('.nbx-RunView-label')).toHaveText('quick one');
  await expect(
    view.locator('.jp-Notebook .jp-OutputArea-output', { hasText: 'hello from the run 42' })
  ).toBeVisible();
  await expect(view.locator('.jp-Notebook .jp-InputPrompt').first()).toContainText('[1]');
  await view.locator('.lm-TabBar-tab', { hasText: 'Output' }).click();
  await expect(view.locator('.nbx-RunView-logText')).toContainText('hello from the run 42');
  await view.locator('.lm-TabBar-tab', { hasText: 'Scalars' }).click();
  await expect(view.locator('.nbx-RunView-scalarsTable')).toContainText('loss');
  await view.locator('.lm-TabBar-tab', { hasText: 'Notebook' }).click();

  // The snapshot, as launched: the same cells, no outputs, in a tab of its own.
  await page
    .locator('.nbx-RunViewPanel .jp-Toolbar .jp-ToolbarButtonComponent', {
      hasText: 'Open snapshot'
    })
    .click();
  const snapshot = page.locator('.nbx-RunViewPanel', {
    has: page.locator('.nbx-RunView-which')
  });
  await expect(snapshot.locator('.nbx-RunView-which')).toHaveText('snapshot as launched');
  await expect(snapshot.locator('.jp-Notebook .jp-InputArea')).toHaveCount(2);
  await expect(snapshot.locator('.jp-Notebook .jp-OutputArea-output')).toHaveCount(0);
  await page.locator('.lm-TabBar-tab', { hasText: `Run ${first.slice(0, 8)}` }).click();

  // Restart: the run executes again in place; the view and the panel follow it.
  await filter.fill('');
  await filter.press('Enter');
  await expect(panel).toHaveAttribute('data-nbx-row-count', '3');
  const executed = page.locator(`#nbx-run-executed-${first}`);
  await executed.locator('.jp-Toolbar .jp-ToolbarButtonComponent', { hasText: 'Restart' }).click();
  const status = executed.locator('.nbx-RunView-status');
  await expect(status).toContainText('running', { timeout: 30_000 });
  await expect.poll(() => panelStatus(page, first), { timeout: 30_000 }).toBe('running');
  await expect(status).toContainText('completed', { timeout: 60_000 });
  await expect.poll(() => panelStatus(page, first), { timeout: 30_000 }).toBe('completed');

  // The same in the dark theme, for the report.
  await page.theme.setDarkTheme();
  // Wider, to show every column.
  const handle = page.locator('#jp-main-split-panel > .lm-SplitPanel-handle').first();
  const grip = await handle.boundingBox();
  if (grip) {
    await page.mouse.move(grip.x + grip.width / 2, grip.y + grip.height / 2);
    await page.mouse.down();
    await page.mouse.move(grip.x + 380, grip.y + grip.height / 2, { steps: 5 });
    await page.mouse.up();
  }
  await expect(view.locator('.jp-OutputArea-output').first()).toBeVisible();
  await testInfo.attach('runs-panel-dark', {
    body: await panel.screenshot(),
    contentType: 'image/png'
  });
  // The run view, with the main area to itself.
  await page.sidebar.close('left');
  await testInfo.attach('run-view-dark', {
    body: await page.locator(`#nbx-run-executed-${first}`).screenshot(),
    contentType: 'image/png'
  });
});

test('stops a long run from the panel, tags and deletes runs', async ({ page, tmpPath }) => {
  test.setTimeout(120_000);
  await openRunsPanel(page);
  const panel = page.locator('#nbx-runs');
  const quick = await startRun(page, tmpPath, 'quick.ipynb', 'quick');
  const long = await startRun(page, tmpPath, 'long.ipynb', 'sleeps a minute');
  await expect.poll(() => panelStatus(page, long), { timeout: 60_000 }).toBe('running');
  await expect.poll(() => panelStatus(page, quick), { timeout: 90_000 }).toBe('completed');

  // The running run's view follows it: its output so far, then its end.
  const toolbar = panel.locator('.jp-Toolbar');
  const stop = toolbar.locator('[data-command="nbx:stop-runs"]');
  await expect(stop).toHaveAttribute('aria-disabled', 'true');
  expect((await panelRows(page))[0].id).toBe(long);
  const point = await rowPoint(page, 0);
  await page.mouse.dblclick(point.x, point.y);
  const view = page.locator('.nbx-RunView');
  await expect(view.locator('.nbx-RunView-status')).toContainText('running');
  await view.locator('.lm-TabBar-tab', { hasText: 'Output' }).click();
  await expect(view.locator('.nbx-RunView-logText')).toContainText('sleeping', {
    timeout: 30_000
  });

  // Stop it from the panel (the double click selected it).
  await expect(panel.locator('.nbx-RunsPanel-footer')).toContainText('1 selected');
  await expect(stop).not.toHaveAttribute('aria-disabled', 'true');
  await stop.click();
  await expect.poll(() => panelStatus(page, long), { timeout: 30_000 }).toBe('terminated');
  await expect(stop).toHaveAttribute('aria-disabled', 'true');
  await expect(view.locator('.nbx-RunView-status')).toContainText('terminated');
  expect(await panelStatus(page, quick)).toBe('completed');

  // Tag it: the prompt takes +tag / -tag changes.
  await toolbar.locator('[data-command="nbx:tag-runs"]').click();
  const prompt = page.locator('.jp-Dialog');
  await prompt.locator('input').fill('+stopped +slow');
  await prompt.getByRole('button', { name: 'Apply' }).click();
  await expect
    .poll(() =>
      page.evaluate(id => {
        for (const widget of window.jupyterapp.shell.widgets('left')) {
          if (widget.id === 'nbx-runs') {
            const model = (widget as unknown as IPanelLike).model as IPanelLike['model'] & {
              rowOf(id: string): number;
              tags(row: number): string[];
            };
            return model.tags(model.rowOf(id));
          }
        }
        return [];
      }, long)
    )
    .toEqual(['stopped', 'slow']);

  // Delete it, after confirming.
  await toolbar.locator('[data-command="nbx:delete-runs"]').click();
  const confirm = page.locator('.jp-Dialog');
  await expect(confirm.locator('.jp-Dialog-header')).toHaveText('Delete 1 run?');
  await confirm.getByRole('button', { name: 'Delete' }).click();
  await expect.poll(async () => (await panelRows(page)).map(row => row.id)).toEqual([quick]);
  await expect(panel.locator('.nbx-RunsPanel-footer')).toHaveText('1 run');
});

test('renders a run notebook untrusted, even when its cells say trusted', async ({
  page,
  tmpPath
}) => {
  test.setTimeout(120_000);
  await openRunsPanel(page);
  const id = await startRun(page, tmpPath, 'failing.ipynb', 'to be edited');
  await expect.poll(() => panelStatus(page, id), { timeout: 90_000 }).toBe('error');
  // Its executed notebook edited on disk: a cell marked trusted, whose output is HTML with
  // a script (rendered trusted, the script would run).
  const html =
    '<span class="nbx-probe">rendered</span>' +
    '<script>document.body.dataset.nbxScriptRan = "yes"</script>';
  const crafted = JSON.parse(pythonNotebook('print("crafted")'));
  crafted.cells[0].metadata = { trusted: true };
  crafted.cells[0].outputs = [
    { output_type: 'display_data', data: { 'text/html': html }, metadata: {} }
  ];
  await page.contents.uploadContent(
    JSON.stringify(crafted),
    'text',
    `${tmpPath}/runs-root/runs/${id}/executed.ipynb`
  );
  await page.evaluate(async id => {
    await window.jupyterapp.commands.execute('nbx:open-run', { id });
  }, id);
  const view = page.locator('.nbx-RunView');
  await expect(view.locator('.nbx-RunView-status')).toContainText('error');
  const output = view.locator('.jp-OutputArea-output', { hasText: 'rendered' });
  await expect(output.locator('.nbx-probe')).toHaveText('rendered');
  await expect(output).not.toHaveClass(/jp-mod-trusted/);
  expect(await page.evaluate(() => document.body.dataset.nbxScriptRan ?? null)).toBeNull();
});
