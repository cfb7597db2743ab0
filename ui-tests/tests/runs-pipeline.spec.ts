/**
 * Pipelines in the UI: the Runs panel lists a pipeline like a sweep's batch, its steps
 * under it once expanded; its run view leads with the steps as a small graph (a box per
 * run with its status, the run the steps used too), each box opening its run's view.
 * Light and dark screenshots of the graph are attached to the report.
 */
import * as path from 'path';
import { expect, galata, test } from '@jupyterlab/galata';
import { createRun } from '../../kernel/lib/store/run-dir';
import { callService, nbxSettings, openRunsPanel, panelRows } from './runs-helpers';

test.use({
  mockSettings: async ({ tmpPath }, use) => {
    await use({
      ...galata.DEFAULT_SETTINGS,
      'jupyterlab-nbx:plugin': nbxSettings(`${tmpPath}/runs-root`)
    });
  }
});

test('a pipeline expands to its steps, and its view draws them', async ({
  page,
  tmpPath
}, testInfo) => {
  test.setTimeout(120_000);
  await openRunsPanel(page);
  const info = await callService<{ cwd: string }>(page, 'info', {});
  const root = path.join(info.cwd, tmpPath, 'runs-root');
  const project = path.join(info.cwd, tmpPath);
  const at = (name: string): string => path.join(project, name);
  const prepare = createRun(root, { notebook: at('prepare.ipynb'), status: 'completed' });
  const pipeline = createRun(root, {
    notebook: at('nbx.json'),
    notebookName: 'end-to-end',
    kind: 'pipeline',
    status: 'error'
  });
  const dep = (run: string, source: string) => ({
    kind: 'run' as const,
    source,
    run,
    files: ['data.csv'],
    copied: false
  });
  const train = createRun(root, {
    notebook: at('train.ipynb'),
    status: 'completed',
    parent: pipeline.id,
    deps: [dep(prepare.id, 'prepare.ipynb')]
  });
  const evaluate = createRun(root, {
    notebook: at('evaluate.ipynb'),
    status: 'error',
    parent: pipeline.id,
    deps: [dep(prepare.id, 'prepare.ipynb'), dep(train.id, 'train.ipynb')]
  });
  pipeline.updateMeta({
    steps: [
      { name: 'train', run: train.id },
      { name: 'eval', run: evaluate.id }
    ]
  });
  await page.reload();
  await openRunsPanel(page);

  // Collapsed: the pipeline and the run its steps used; expanded: its two steps under it.
  await expect
    .poll(async () => (await panelRows(page)).map(r => r.id).sort())
    .toEqual([pipeline.id, prepare.id].sort());
  await page.evaluate(id => {
    for (const widget of window.jupyterapp.shell.widgets('left')) {
      if (widget.id === 'nbx-runs') {
        const model = (
          widget as unknown as { model: { setExpanded(id: string, on: boolean): void } }
        ).model;
        model.setExpanded(id, true);
      }
    }
  }, pipeline.id);
  await expect
    .poll(async () => (await panelRows(page)).map(r => r.id))
    .toEqual(expect.arrayContaining([pipeline.id, evaluate.id, train.id, prepare.id]));

  // The pipeline's view: the Steps tab first, one box per run, no notebook tab.
  await page.evaluate(
    id => window.jupyterapp.commands.execute('nbx:open-run', { id }),
    pipeline.id
  );
  const view = page.locator(`#nbx-run-executed-${pipeline.id}`);
  const graph = view.locator('.nbx-RunGraph');
  await expect(graph).toBeVisible();
  await expect(graph.locator('.nbx-RunGraph-node')).toHaveCount(3);
  await expect(graph.locator('.nbx-RunGraph-name')).toHaveText(['prepare.ipynb', 'train', 'eval']);
  await expect(graph.locator('.nbx-RunGraph-node.nbx-mod-error')).toHaveCount(1);
  await expect(graph.locator('.nbx-RunGraph-edge')).toHaveCount(4);
  await expect(view.locator('.lm-TabBar-tab', { hasText: /^Notebook$/ })).toHaveCount(0);
  // Nothing of its own to restart, rerun or show as launched: its steps have that.
  const toolbar = view.locator('.jp-Toolbar');
  for (const name of ['restart', 'rerun', 'snapshot']) {
    const button = toolbar.locator(`[data-jp-item-name="${name}"]`);
    await expect(button).toHaveCount(1);
    await expect(button).toBeHidden();
  }
  await expect(toolbar.locator('[data-jp-item-name="refresh"]')).toBeVisible();
  for (const [theme, suffix] of [
    ['JupyterLab Light', 'light'],
    ['JupyterLab Dark', 'dark']
  ]) {
    if ((await page.theme.getTheme()) !== theme) {
      await page.theme.setTheme(theme);
    }
    await expect(graph).toBeVisible();
    await testInfo.attach(`pipeline-view-${suffix}`, {
      body: await view.screenshot(),
      contentType: 'image/png'
    });
  }
  await page.theme.setLightTheme();

  // A box opens its run's view, which lists the runs it used.
  await graph.locator('.nbx-RunGraph-node', { hasText: 'eval' }).click();
  const step = page.locator(`#nbx-run-executed-${evaluate.id}`);
  await expect(step.locator('.nbx-RunView-id')).toHaveText(evaluate.id);
  await step.locator('.lm-TabBar-tab', { hasText: /^Dependencies$/ }).click();
  await expect(step.locator('.nbx-RunGraph-list li')).toHaveCount(3);
});
