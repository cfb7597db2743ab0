/**
 * The browser half of `npm run bench -- lab` (kernel/src/bench/lab.ts), skipped unless
 * NBX_BENCH=1: with 10,000 runs in the server's runs root (the bench generates them and
 * starts the server on that root through JUPYTERLAB_GALATA_ROOT_DIR), how long from
 * opening the Runs panel to its first rows painted.
 *
 * Each round is a fresh page on `/lab?reset` (the panel closed), timed inside the page:
 * from `activateById('nbx-runs')` to the panel's `nbx-runs-first-rows` performance mark,
 * set in the frame right after the grid painted its rows. The first round opens the panel
 * as soon as JupyterLab has started, with no service kernel running (it starts then);
 * the others once the page is idle (service connected, modules loaded), as a person
 * opening the panel would find it. In the last round the panel is then scrolled with the
 * mouse wheel, timing its frames. Results go to NBX_BENCH_OUT as JSON and to stdout.
 */
import type { Page } from '@playwright/test';
import { expect, test } from '@jupyterlab/galata';
import { freshPage, ROUNDS, shutDownServiceKernels, writeResult } from './bench-helpers';

/** One opening of the panel, in ms from the click, with the steps between. */
interface IOpening {
  firstRows: number;
  request: number;
  reply: number;
  decoded: number;
  rows: number;
}

test.skip(!process.env.NBX_BENCH, 'a benchmark: npm run bench -- lab (sets NBX_BENCH=1)');

/** Opens the Runs panel and times its first rows (see the module comment). */
function openAndTime(page: Page): Promise<IOpening> {
  return page.evaluate(async () => {
    const mark = (name: string): number | null =>
      performance.getEntriesByName(name, 'mark')[0]?.startTime ?? null;
    const start = performance.now();
    window.jupyterapp.shell.activateById('nbx-runs');
    await new Promise<void>((resolve, reject) => {
      const deadline = start + 60_000;
      const check = (): void => {
        if (mark('nbx-runs-first-rows') !== null) {
          resolve();
        } else if (performance.now() > deadline) {
          reject(new Error('no rows within 60 s'));
        } else {
          requestAnimationFrame(check);
        }
      };
      check();
    });
    const since = (name: string): number => (mark(name) ?? NaN) - start;
    const panel = document.getElementById('nbx-runs');
    return {
      firstRows: since('nbx-runs-first-rows'),
      request: since('nbx-runs-request'),
      reply: since('nbx-runs-reply'),
      decoded: since('nbx-runs-decoded'),
      rows: Number(panel?.dataset.nbxRowCount ?? 0)
    };
  });
}

/** Scrolling through the panel's rows with the mouse wheel, as frames painted. */
interface IScrolling {
  /** Rows the grid scrolled by. */
  rows: number;
  /** Wheel events sent. */
  wheels: number;
  /** Intervals between animation frames while scrolling (ms): median, 95th percentile, max. */
  median: number;
  p95: number;
  max: number;
}

/**
 * Scrolls the open Runs panel from its top by wheel events of 100 px (a notch of a mouse
 * wheel) and records the intervals between animation frames meanwhile: smooth scrolling
 * keeps them near the display's frame time.
 */
async function scrollAndTime(page: Page, wheels: number): Promise<IScrolling> {
  const grid = page.locator('#nbx-runs .nbx-RunsGrid');
  const box = await grid.boundingBox();
  expect(box).not.toBeNull();
  await page.mouse.move((box?.x ?? 0) + (box?.width ?? 0) / 2, (box?.y ?? 0) + 200);
  await page.evaluate(() => {
    const state = { frames: [] as number[], stop: false };
    (window as unknown as { nbxFrames: typeof state }).nbxFrames = state;
    const loop = (t: number): void => {
      state.frames.push(t);
      if (!state.stop) {
        requestAnimationFrame(loop);
      }
    };
    requestAnimationFrame(loop);
  });
  for (let i = 0; i < wheels; i++) {
    await page.mouse.wheel(0, 100);
  }
  await page.waitForTimeout(300);
  return page.evaluate(wheels => {
    const state = (window as unknown as { nbxFrames: { frames: number[]; stop: boolean } })
      .nbxFrames;
    state.stop = true;
    const gaps = state.frames
      .slice(1)
      .map((t, i) => t - state.frames[i])
      .sort((a, b) => a - b);
    const at = (q: number): number => gaps[Math.min(gaps.length - 1, Math.floor(q * gaps.length))];
    let rows = 0;
    for (const widget of window.jupyterapp.shell.widgets('left')) {
      if (widget.id === 'nbx-runs') {
        const grid = (
          widget as unknown as {
            grid: { scrollY: number; defaultSizes: { rowHeight: number } } | null;
          }
        ).grid;
        rows = grid ? Math.round(grid.scrollY / grid.defaultSizes.rowHeight) : 0;
      }
    }
    return { rows, wheels, median: at(0.5), p95: at(0.95), max: gaps[gaps.length - 1] };
  }, wheels);
}

// Playwright kills the server at the end, which would leave the service kernel running.
test.afterEach(async ({ request }) => {
  await shutDownServiceKernels(request);
});

test('Runs panel with 10,000 runs: opening to first rows', async ({
  browser,
  baseURL,
  request
}) => {
  test.setTimeout(120_000 + ROUNDS * 60_000);
  const base = baseURL ?? '';

  // Round 0: no service kernel yet; open the panel as soon as JupyterLab has started.
  await shutDownServiceKernels(request);
  const first = await freshPage(browser, base);
  const cold = await openAndTime(first);
  expect(cold.rows).toBeGreaterThanOrEqual(10_000);
  await first.context().close();

  const warm: IOpening[] = [];
  let scrolling: IScrolling | null = null;
  for (let round = 0; round < ROUNDS; round++) {
    const page = await freshPage(browser, base);
    // Idle: the panel plugin has connected to the service and loaded its modules.
    await page.waitForFunction(
      () => performance.getEntriesByName('nbx-runs-preloaded', 'mark').length > 0,
      undefined,
      { timeout: 30_000 }
    );
    warm.push(await openAndTime(page));
    if (round === ROUNDS - 1) {
      scrolling = await scrollAndTime(page, 300);
    }
    await page.context().close();
  }
  writeResult('nbx-bench-lab', { cold, warm, scrolling });
  for (const opening of warm) {
    expect(opening.rows).toBeGreaterThanOrEqual(10_000);
  }
});
