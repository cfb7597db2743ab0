/**
 * The browser half of `npm run bench -- lab` (kernel/src/bench/lab.ts), skipped unless
 * NBX_BENCH=1: with 10,000 runs in the server's runs root (the bench generates them and
 * starts the server on that root through JUPYTERLAB_GALATA_ROOT_DIR), how long from
 * opening the Runs panel to its first rows painted; then what the panel costs while runs
 * are live (see the second test).
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
import * as fs from 'fs';
import { freshPage, ROUNDS, shutDownServiceKernels, writeResult } from './bench-helpers';
import { callService, type Page as LabPage } from './runs-helpers';

/** One opening of the panel, in ms from the click, with the steps between. */
interface IOpening {
  firstRows: number;
  request: number;
  reply: number;
  decoded: number;
  rows: number;
}

test.skip(!process.env.NBX_BENCH, 'a benchmark: npm run bench -- lab (sets NBX_BENCH=1)');

// No trace: recording one snapshots the whole DOM on the page's main thread at every
// action (each wheel notch), which is Playwright's cost, not the panel's (2.5 s of the
// main thread in a scroll of 60 notches).
test.use({ trace: 'off' });

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
    // Idle: the plugins have connected to the service and loaded their modules (the
    // Scalars panel's include plotly, whose loading would otherwise overlap the opening).
    await page.waitForFunction(
      () =>
        ['nbx-runs-preloaded', 'nbx-scalars-preloaded'].every(
          mark => performance.getEntriesByName(mark, 'mark').length > 0
        ),
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

/** One 30 s window of the live scenario (see `measureWindow`). */
interface IWindow {
  /** Runs shown live (queued or running) at the window's start. */
  liveRows: number;
  /** Bytes of the first listing (the whole table, the panel's columns). */
  fullTableBytes: number;
  /** Bytes of runs tables the panel received in the window, and the window's length. */
  bytes: number;
  seconds: number;
  /** Whole listings sent in the window. */
  listings: number;
  /** Long tasks (> 50 ms) of the main thread in the window, summed. */
  blockedMs: number;
  /** After the window: 60 wheel notches down the list. */
  scrolling: IScrolling;
  /**
   * After the window: from setting a filter (then clearing it) to the next frame after its
   * rows arrived.
   */
  filterMs: number[];
  /** The same for a sort (then back to latest first). */
  sortMs: number[];
  /** From the open-run command to the run view's executed notebook shown. */
  runViewMs: number;
}

/**
 * Runs `work`; with NBX_BENCH_PROFILE set (a directory), records Chromium's CPU profile of
 * the page meanwhile into `<dir>/<name>.cpuprofile` (DevTools opens it): what the main
 * thread did.
 */
async function profiled<T>(page: Page, name: string, work: () => Promise<T>): Promise<T> {
  const dir = process.env.NBX_BENCH_PROFILE;
  if (!dir) {
    return work();
  }
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.start');
  try {
    return await work();
  } finally {
    const { profile } = await cdp.send('Profiler.stop');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(`${dir}/${name}.cpuprofile`, JSON.stringify(profile));
    await cdp.detach();
  }
}

/** Length of a window, ms. */
const WINDOW_MS = 30_000;

/** What the bench reads of the Runs panel's model in the page (its public API). */
interface IBenchModel {
  rowCount: number;
  receivedBytes: number;
  loading: boolean;
  filter: string;
  sort: unknown;
  stateChanged: {
    connect(slot: () => void): void;
    disconnect(slot: () => void): void;
  };
  id(row: number): string;
  status(row: number): string | null;
  rowOf(id: string): number;
}

/** The Runs panel's model (in the page: the function is run there). */
function panelModel(): IBenchModel {
  for (const widget of window.jupyterapp.shell.widgets('left')) {
    if (widget.id === 'nbx-runs') {
      return (widget as unknown as { model: IBenchModel }).model;
    }
  }
  throw new Error('no Runs panel');
}

/** Makes `panelModel` callable in the page as `window.nbxPanelModel`. */
async function exposePanelModel(page: Page): Promise<void> {
  await page.evaluate(`window.nbxPanelModel = ${panelModel.toString()}`);
}

/** The panel's model in the page, once exposed. */
declare global {
  interface Window {
    nbxPanelModel: () => IBenchModel;
  }
}

/**
 * Sets the filter or the sort of the panel's model and times it to the frame after its
 * rows are in: at once when the panel filters and sorts the runs it holds, else once the
 * listing it asked for arrived (the model's loading state ends then).
 */
function timeListing(page: Page, change: { filter?: string; sort?: unknown }): Promise<number> {
  return page.evaluate(async change => {
    const model = window.nbxPanelModel();
    const start = performance.now();
    if (change.filter !== undefined) {
      model.filter = change.filter;
    } else {
      model.sort = change.sort;
    }
    // A listing may be under way now (or queued after a patch): wait for its rows.
    await new Promise<void>(resolve => {
      const onState = (): void => {
        if (!model.loading) {
          model.stateChanged.disconnect(onState);
          resolve();
        }
      };
      model.stateChanged.connect(onState);
      if (!model.loading) {
        onState();
      }
    });
    await new Promise(resolve => requestAnimationFrame(resolve));
    return performance.now() - start;
  }, change);
}

/**
 * Opens the run view of `id`, times it to its executed notebook shown, and closes it.
 * Each step is a short evaluation (a page promise pending for seconds may be collected
 * under load): the page marks the time the notebook showed, the test polls for it.
 */
async function timeRunView(page: Page, id: string): Promise<number> {
  await page.evaluate(id => {
    const state: { start: number; shown?: number; error?: string } = { start: performance.now() };
    (window as unknown as { nbxRunView: typeof state }).nbxRunView = state;
    const check = (): void => {
      if (document.querySelector('.nbx-RunView-notebook .jp-Cell')) {
        state.shown = performance.now();
      } else if (state.error === undefined) {
        requestAnimationFrame(check);
      }
    };
    window.jupyterapp.commands.execute('nbx:open-run', { id }).then(check, (err: unknown) => {
      state.error = String(err);
    });
  }, id);
  await page.waitForFunction(
    () => {
      const state = (window as unknown as { nbxRunView: { shown?: number; error?: string } })
        .nbxRunView;
      return state.shown !== undefined || state.error !== undefined;
    },
    undefined,
    { timeout: 60_000, polling: 100 }
  );
  return page.evaluate(() => {
    const state = (
      window as unknown as { nbxRunView: { start: number; shown?: number; error?: string } }
    ).nbxRunView;
    if (state.error !== undefined || state.shown === undefined) {
      throw new Error(`the run view did not open: ${state.error}`);
    }
    for (const widget of window.jupyterapp.shell.widgets('main')) {
      if (widget.node.querySelector('.nbx-RunView')) {
        widget.close();
      }
    }
    return state.shown - state.start;
  });
}

/**
 * A window of `WINDOW_MS` on the open panel, left be, while runs are (or are not) live:
 * the bytes of runs tables it receives and the main thread's long tasks are counted.
 * After the window, scrolling, a filter, a sort and a run view are timed.
 */
async function measureWindow(page: Page, openRun: string, name: string): Promise<IWindow> {
  const start = await page.evaluate(() => {
    const model = window.nbxPanelModel();
    const state = { tasks: [] as number[], bytes: model.receivedBytes as number };
    const observer = new PerformanceObserver(list => {
      for (const entry of list.getEntries()) {
        state.tasks.push(entry.duration);
      }
    });
    observer.observe({ type: 'longtask' });
    (window as unknown as { nbxWindow: unknown }).nbxWindow = { state, observer };
    let live = 0;
    for (let row = 0; row < model.rowCount; row++) {
      const status = model.status(row);
      live += status === 'running' || status === 'queued' ? 1 : 0;
    }
    return {
      at: performance.now(),
      bytes: state.bytes,
      live,
      listings: performance.getEntriesByName('nbx-runs-request', 'mark').length
    };
  });
  await page.waitForFunction(end => performance.now() >= end, start.at + WINDOW_MS, {
    timeout: WINDOW_MS + 60_000,
    polling: 250
  });
  const end = await page.evaluate(() => {
    const model = window.nbxPanelModel();
    const { state, observer } = (
      window as unknown as {
        nbxWindow: { state: { tasks: number[] }; observer: PerformanceObserver };
      }
    ).nbxWindow;
    observer.disconnect();
    return {
      at: performance.now(),
      bytes: model.receivedBytes as number,
      blockedMs: state.tasks.reduce((sum, ms) => sum + ms, 0),
      listings: performance.getEntriesByName('nbx-runs-request', 'mark').length
    };
  });
  const scrolling = await profiled(page, `scroll-${name}`, () => scrollAndTime(page, 60));
  const filterMs = [
    await timeListing(page, { filter: 'status = completed' }),
    await timeListing(page, { filter: '' })
  ];
  const sortMs = [
    await timeListing(page, { sort: { column: 'duration', descending: false } }),
    await timeListing(page, { sort: null })
  ];
  const runViewMs = await timeRunView(page, openRun);
  return {
    liveRows: start.live,
    fullTableBytes: 0,
    bytes: end.bytes - start.bytes,
    seconds: (end.at - start.at) / 1000,
    listings: end.listings - start.listings,
    blockedMs: end.blockedMs,
    scrolling,
    filterMs,
    sortMs,
    runViewMs
  };
}

/**
 * The control: the main thread's long tasks over a window with the Runs panel closed (the
 * file browser shown instead), the same runs live. What the machine's load and the rest of
 * JupyterLab cost; the panel costs the difference.
 */
async function blockedWithPanelClosed(page: Page): Promise<{ blockedMs: number; seconds: number }> {
  await page.evaluate(() => window.jupyterapp.shell.activateById('filebrowser'));
  return longTasksOver(page, WINDOW_MS);
}

/** The main thread's long tasks over the next `windowMs`: their total, and the window. */
function longTasksOver(
  page: Page,
  windowMs: number
): Promise<{ blockedMs: number; seconds: number }> {
  return page.evaluate(async windowMs => {
    const tasks: number[] = [];
    const observer = new PerformanceObserver(list => {
      for (const entry of list.getEntries()) {
        tasks.push(entry.duration);
      }
    });
    observer.observe({ type: 'longtask' });
    const start = performance.now();
    await new Promise(resolve => setTimeout(resolve, windowMs));
    observer.disconnect();
    return {
      blockedMs: tasks.reduce((sum, ms) => sum + ms, 0),
      seconds: (performance.now() - start) / 1000
    };
  }, windowMs);
}

/** The notebook the live runs run (lab.ts writes it): prints and logs every 100 ms. */
const LIVE_NOTEBOOK = 'live.ipynb';

/** The notebook of the flood (lab.ts writes it): one cell printing 10,000 lines a second. */
const FLOOD_NOTEBOOK = 'flood.ipynb';

/** Length of the flood's window, ms. */
const FLOOD_WINDOW_MS = 10_000;

/** The flood's window: the main thread's long tasks while the run view shows the flood. */
interface IFlood {
  blockedMs: number;
  seconds: number;
  /** Lines the run view showed printed at the window's start and end (the last line's number). */
  firstLine: number;
  lastLine: number;
}

/**
 * Starts the flood, opens its run view (the Notebook tab, following the running cell) and
 * counts the main thread's long tasks over `FLOOD_WINDOW_MS` once its lines show; stops it.
 */
async function measureFlood(page: Page): Promise<IFlood> {
  const lab = page as unknown as LabPage;
  const { id } = await callService<{ id: string }>(lab, 'startRun', {
    path: FLOOD_NOTEBOOK,
    label: 'flood',
    gpus: []
  });
  try {
    await page.evaluate(async id => {
      await window.jupyterapp.commands.execute('nbx:open-run', { id });
    }, id);
    const lastLine = (): Promise<number> =>
      page.evaluate(() => {
        const pre = document.querySelector('.nbx-RunView-notebook .jp-OutputArea-output pre');
        const numbers = (pre?.textContent ?? '').match(/flood line (\d+)/g) ?? [];
        const last = numbers[numbers.length - 1];
        return last ? Number(last.slice('flood line '.length)) : -1;
      });
    await expect.poll(lastLine, { timeout: 120_000 }).toBeGreaterThan(10_000);
    const firstLine = await lastLine();
    const measured = await profiled(page, 'flood', () => longTasksOver(page, FLOOD_WINDOW_MS));
    return { ...measured, firstLine, lastLine: await lastLine() };
  } finally {
    await callService(lab, 'stopRuns', { ids: [id], graceMs: 2000 });
  }
}

/** Live runs of the scenario. */
const LIVE_RUNS = 4;

test('Runs panel with 10,000 runs, with and without 4 live runs: the live-updates budget', async ({
  browser,
  baseURL
}) => {
  test.setTimeout(720_000);
  const base = baseURL ?? '';
  /** A fresh page with the panel open on its first rows; the first listing's bytes. */
  const openPanel = async (): Promise<{ page: Page; fullTableBytes: number }> => {
    const page = await freshPage(browser, base);
    await page.waitForFunction(
      () =>
        ['nbx-runs-preloaded', 'nbx-scalars-preloaded'].every(
          mark => performance.getEntriesByName(mark, 'mark').length > 0
        ),
      undefined,
      { timeout: 60_000 }
    );
    const opening = await openAndTime(page);
    expect(opening.rows).toBeGreaterThanOrEqual(10_000);
    await exposePanelModel(page);
    const bytes = await page.evaluate(() => window.nbxPanelModel().receivedBytes);
    return { page, fullTableBytes: bytes };
  };
  /** A completed run of the generated ones: the run view opened in both windows. */
  const completedRun = (page: Page): Promise<string> =>
    page.evaluate(() => {
      const model = window.nbxPanelModel();
      for (let row = 0; row < model.rowCount; row++) {
        if (model.status(row) === 'completed') {
          return model.id(row);
        }
      }
      throw new Error('no completed run');
    });

  // Without live runs.
  const quiet = await openPanel();
  const still = await measureWindow(quiet.page, await completedRun(quiet.page), 'still');
  still.fullTableBytes = quiet.fullTableBytes;
  await quiet.page.context().close();

  // With 4 live runs, each printing and logging a scalar every 100 ms.
  const busy = await openPanel();
  const lab = busy.page as unknown as LabPage;
  const live: string[] = [];
  try {
    for (let i = 0; i < LIVE_RUNS; i++) {
      const { id } = await callService<{ id: string }>(lab, 'startRun', {
        path: LIVE_NOTEBOOK,
        label: `live ${i + 1}`,
        gpus: []
      });
      live.push(id);
    }
    await busy.page.waitForFunction(
      ids => {
        const model = window.nbxPanelModel();
        return ids.every(id => model.status(model.rowOf(id)) === 'running');
      },
      live,
      { timeout: 180_000, polling: 500 }
    );
    const moving = await measureWindow(busy.page, await completedRun(busy.page), 'live');
    moving.fullTableBytes = busy.fullTableBytes;
    const closed = await blockedWithPanelClosed(busy.page);
    const flood = await measureFlood(busy.page);
    const result = { still, live: moving, closed, flood };
    process.stdout.write(`nbx-bench-lab-live ${JSON.stringify(result)}\n`);
    if (process.env.NBX_BENCH_LIVE_OUT) {
      fs.writeFileSync(process.env.NBX_BENCH_LIVE_OUT, JSON.stringify(result, null, 2));
    }
    expect(moving.liveRows).toBeGreaterThanOrEqual(LIVE_RUNS);
  } finally {
    if (live.length > 0) {
      await callService(lab, 'stopRuns', { ids: live, graceMs: 2000 });
    }
    await busy.page.context().close();
  }
});
