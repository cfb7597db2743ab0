/**
 * The run view of a live run in a real JupyterLab: the running cell's lines appear in the
 * Notebook tab within 2 s of being printed (the run prints the time of each line; the page
 * compares it to its clock, on the same machine), its prompt reads `[*]`, the view follows
 * the cell's end unless scrolled away, a tqdm-style progress line (`\r`) is one line that
 * changes, and the Output tab follows the output's end, with "Jump to end" when scrolled up.
 *
 * The runs go to `<tmpPath>/runs-root` (the `runsRoot` setting).
 */
import { expect, galata, test } from '@jupyterlab/galata';
import { callService, nbxSettings, pythonNotebook, type Page } from './runs-helpers';

/**
 * Enough lines to scroll the Output tab, then a line every 0.7 s with the time it was
 * printed, then a progress bar for 30 s, then a long wait (the test stops the run).
 */
const LIVE = pythonNotebook(
  [
    'import time',
    'for i in range(150):',
    '    print(f"warm-up line {i}")',
    'for i in range(20):',
    '    print(f"tick {i} at {time.time():.3f}", flush=True)',
    '    time.sleep(0.7)',
    'for i in range(101):',
    '    print(f"\\rprogress {i}%", end="", flush=True)',
    '    time.sleep(0.3)',
    'print()',
    'print("done", flush=True)',
    'time.sleep(120)'
  ].join('\n')
);

test.use({
  mockSettings: async ({ tmpPath }, use) => {
    await use({
      ...galata.DEFAULT_SETTINGS,
      'jupyterlab-nbx:plugin': nbxSettings(`${tmpPath}/runs-root`)
    });
  }
});

test.beforeEach(async ({ page, tmpPath }) => {
  await page.contents.uploadContent(LIVE, 'text', `${tmpPath}/live.ipynb`);
});

/** Delays (ms) between the printing of the next `count` tick lines and their showing. */
function tickDelays(page: Page, count: number): Promise<number[]> {
  return page.evaluate(async count => {
    const notebook = (): string =>
      document.querySelector('.nbx-RunView .jp-Notebook')?.textContent ?? '';
    const seen = new Set<string>();
    for (const match of notebook().matchAll(/tick (\d+) at/g)) {
      seen.add(match[1]);
    }
    const delays: number[] = [];
    const deadline = Date.now() + 30_000;
    while (delays.length < count && Date.now() < deadline) {
      for (const match of notebook().matchAll(/tick (\d+) at (\d+\.\d+)/g)) {
        if (!seen.has(match[1])) {
          seen.add(match[1]);
          delays.push(Date.now() - Number(match[2]) * 1000);
        }
      }
      await new Promise(resolve => setTimeout(resolve, 20));
    }
    return delays.slice(0, count);
  }, count);
}

test('streams the running cell into the run view, [*] on it, progress in place, output followed', async ({
  page,
  tmpPath
}) => {
  test.setTimeout(240_000);
  const root = `${tmpPath}/runs-root`;
  const { id } = await callService<{ id: string }>(page, 'startRun', {
    path: `${tmpPath}/live.ipynb`,
    root
  });
  try {
    await page.evaluate(async id => {
      await window.jupyterapp.commands.execute('nbx:open-run', { id });
    }, id);
    const view = page.locator('.nbx-RunView');
    const cell = view.locator('.jp-Notebook .jp-CodeCell').first();
    // The cell runs: its first lines are there, and its prompt says so.
    await expect(cell.locator('.jp-OutputArea-output')).toContainText('tick 0 at', {
      timeout: 90_000
    });
    await expect(cell.locator('.jp-InputPrompt')).toHaveText('[*]:');

    // Each new line shows within 2 s of being printed.
    const delays = await tickDelays(page, 4);
    test.info().annotations.push({ type: 'delays (ms)', description: delays.join(', ') });
    expect(delays).toHaveLength(4);
    for (const delay of delays) {
      expect(delay).toBeLessThan(2000);
    }

    // The view follows the running cell's end as it grows...
    const outer = view.locator('.jp-WindowedPanel-outer').first();
    const outerHandle = await outer.elementHandle();
    const cellEndInSight = (): Promise<boolean> =>
      cell.evaluate((node, outer) => {
        const box = (outer as HTMLElement).getBoundingClientRect();
        return node.getBoundingClientRect().bottom <= box.bottom + 40;
      }, outerHandle);
    await expect.poll(cellEndInSight).toBe(true);
    expect(await outer.evaluate(node => node.scrollTop)).toBeGreaterThan(0);
    // ...unless scrolled away from it.
    await outer.evaluate(node => {
      node.scrollTop = 0;
    });
    const ticks = await tickDelays(page, 2);
    expect(ticks).toHaveLength(2);
    expect(await outer.evaluate(node => node.scrollTop)).toBe(0);

    // The progress bar is one line whose value changes, never two lines.
    const output = cell.locator('.jp-OutputArea-output').first();
    await expect(output).toContainText('progress', { timeout: 30_000 });
    const bars = await output.evaluate(async node => {
      const values = new Set<string>();
      let most = 0;
      const deadline = Date.now() + 20_000;
      while (values.size < 3 && Date.now() < deadline) {
        const found = (node.textContent ?? '').match(/progress \d+%/g) ?? [];
        most = Math.max(most, found.length);
        found.forEach(value => values.add(value));
        await new Promise(resolve => setTimeout(resolve, 50));
      }
      return { values: values.size, most };
    });
    expect(bars.most).toBe(1);
    expect(bars.values).toBeGreaterThanOrEqual(3);
    await expect(cell.locator('.jp-InputPrompt')).toHaveText('[*]:');

    // The Output tab opens at the end of the output, and follows it.
    await view.locator('.lm-TabBar-tab', { hasText: 'Output' }).click();
    const log = view.locator('.nbx-RunView-log');
    const atEnd = (): Promise<boolean> =>
      log.evaluate(node => node.scrollTop + node.clientHeight >= node.scrollHeight - 40);
    await expect(log.locator('.nbx-RunView-logText')).toContainText('done', { timeout: 60_000 });
    await expect.poll(atEnd).toBe(true);
    expect(
      ((await log.locator('.nbx-RunView-logText').textContent()) ?? '').match(/progress/g)
    ).toHaveLength(1);
    // Scrolled up: "Jump to end" appears, and takes the view back to the end.
    await log.evaluate(node => {
      node.scrollTop = 0;
    });
    const jump = log.locator('.nbx-RunView-jumpToEnd');
    await expect(jump).toBeVisible();
    await jump.click();
    await expect.poll(atEnd).toBe(true);
    await expect(jump).toBeHidden();
  } finally {
    await callService(page, 'stopRuns', { ids: [id], root, graceMs: 1000 });
  }
});
