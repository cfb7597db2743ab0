/**
 * `npm run bench -- panels`: the Compare and Scalars panels in Chromium (Playwright,
 * ui-tests/tests/bench-panels.spec.ts) against a real JupyterLab, beside their anchors in
 * the same browser:
 *
 *   Compare, 10,000 runs × the columns it shows (every flag and metric summary)
 *     open to first rows painted        target ≤ 1.5 s
 *     a sort by a metric, to the repaint    target ≤ 200 ms
 *     anchor: `nbx compare --csv` of the same runs and columns, fetched by a plain page and
 *     rendered as an HTML table (first rows), sorted by re-rendering its body
 *   Scalars, 20 runs × 100,000 points per key (5 keys; `sys/` folded)
 *     open to every chart drawn         target ≤ 1.5 s
 *     zoom to a window at full resolution   target ≤ 500 ms
 *     a live append, to the repaint      target ≤ 20 ms per update
 *     anchor: Plotly.newPlot of the 20 full `loss` series (no downsampling)
 *     and, without a target, the first opening, which builds the runs' series caches
 *     (tracking/series-cache: later openings read them)
 *
 * Options: `--runs N` rounds (default 3), `--port N` of the JupyterLab (default 8892),
 * `--keep` (keeps the generated project).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadRunsIndex } from '../store/index';
import { readScalarColumns } from '../tracking/scalars';
import { runBrowserBench } from './browser';
import { generateRuns } from './gen-runs';
import { writeScalarPoints } from './gen-scalars';
import { intOption, median, ms } from './measure';
import { RunDir } from '../store/run-dir';

const COMPARE_RUNS = 10_000;
const SCALAR_RUNS = 20;
const POINTS = 100_000;
const TARGET = { firstRows: 1500, sort: 200, charts: 1500, zoom: 500, append: 20 };

interface IScalarsRound {
  charts: number;
  chartCount: number;
  zoom: number;
  zoomPoints: number;
}

/** What the browser half reports (see the spec). */
interface IPanelsResult {
  compare: {
    firstRows: number;
    sort: number;
    flip: number;
    rows: number;
    tableColumns: number;
    shownColumns: string[];
  }[];
  anchor: { firstRows: number; sort: number; cells: number }[];
  scalars: IScalarsRound[];
  scalarsFirst: IScalarsRound;
  appends: number[];
  plotlyFull: number | null;
}

function row(label: string, value: number | null, extra = ''): string {
  const shown = value === null ? 'none' : ms(value);
  return `  ${label.padEnd(58)} ${shown.padStart(9)}${extra ? `  ${extra}` : ''}\n`;
}

function verdict(value: number, target: number): string {
  return `target ≤ ${target} ms: ${value <= target ? 'met' : 'MISSED'}`;
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/**
 * The `loss` values of `ids`, one after another (`points` each), as Float64 bytes: what
 * the Plotly anchor draws.
 */
function lossSeries(root: string, ids: string[], points: number): Buffer {
  const out = new Float64Array(ids.length * points);
  ids.forEach((id, r) => {
    const columns = readScalarColumns(new RunDir(root, id).path);
    const loss = columns.keys.indexOf('loss');
    let at = r * points;
    for (let i = 0; i < columns.length && at < (r + 1) * points; i++) {
      if (columns.key[i] === loss) {
        out[at++] = columns.value[i];
      }
    }
  });
  return Buffer.from(out.buffer);
}

/** Runs the panels benchmark; true when every target is met. */
export async function benchPanels(args: string[]): Promise<boolean> {
  const rounds = intOption(args, '--runs', 3);
  const port = intOption(args, '--port', 8892);
  const project = fs.mkdtempSync(path.join(os.tmpdir(), 'nbx-bench-panels-'));
  // A project directory: its runs root is <project>/.nbx, for the CLI, the service and Lab.
  fs.writeFileSync(path.join(project, 'nbx.json'), '{}\n');
  const root = path.join(project, '.nbx');
  const report = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  try {
    let start = Date.now();
    const ids = generateRuns(root, { count: COMPARE_RUNS });
    const scalarIds = ids.slice(0, SCALAR_RUNS);
    scalarIds.forEach((id, i) => writeScalarPoints(root, id, { points: POINTS, seed: i + 1 }));
    fs.writeFileSync(path.join(project, 'anchor-loss.f64'), lossSeries(root, scalarIds, POINTS));
    // The runs index as a person who has used nbx has it (its cache built): the panel's
    // first rows measure the panel, not the first indexing of 10,000 records.
    loadRunsIndex(root);
    report(
      `panels: ${COMPARE_RUNS} generated runs, ${SCALAR_RUNS} of them with ${POINTS} points ` +
        `per key, in ${ms(Date.now() - start)}`
    );
    report(`panels: Chromium against JupyterLab on port ${port}, ${rounds} rounds…`);
    start = Date.now();
    const result = await runBrowserBench<IPanelsResult>({
      name: 'panels',
      spec: 'tests/bench-panels.spec.ts',
      project,
      port,
      rounds,
      limitS: 600 + rounds * 180,
      env: { NBX_BENCH_SCALAR_IDS: scalarIds.join(',') }
    });
    if (result === null) {
      return false;
    }
    report(`panels: browser half done in ${ms(Date.now() - start)}\n`);
    const c = result.compare;
    const first = median(c.map(r => r.firstRows));
    const sort = median(c.map(r => r.sort));
    const flip = median(c.map(r => r.flip));
    const anchorFirst = median(result.anchor.map(r => r.firstRows));
    const anchorSort = median(result.anchor.map(r => r.sort));
    const charts = median(result.scalars.map(r => r.charts));
    const zoom = median(result.scalars.map(r => r.zoom));
    const append = median(result.appends);
    const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}x the anchor`;
    report(
      `medians of ${rounds} rounds; Compare: ${c[0].rows} runs × ${c[0].shownColumns.length} ` +
        `columns shown (${c[0].tableColumns} in the table)`
    );
    process.stdout.write(
      row('Compare: open to first rows painted', first, verdict(first, TARGET.firstRows)) +
        row('  anchor: nbx compare --csv in an HTML table, first rows', anchorFirst) +
        row('  ratio', null, ratio(first, anchorFirst)) +
        row(
          `Compare: sort by a metric (first: reads the column)`,
          sort,
          verdict(sort, TARGET.sort)
        ) +
        row('Compare: the same sort flipped', flip, verdict(flip, TARGET.sort)) +
        row('  anchor: HTML table sorted, body re-rendered', anchorSort) +
        row('  ratio (first sort)', null, ratio(sort, anchorSort)) +
        row(
          `Scalars: ${SCALAR_RUNS} runs × ${POINTS} points, open to ${result.scalars[0].chartCount} charts drawn`,
          charts,
          verdict(charts, TARGET.charts)
        ) +
        row('  first open, building the series caches (no target)', result.scalarsFirst.charts) +
        row(
          `Scalars: zoom to ${result.scalars[0].zoomPoints} steps at full resolution`,
          zoom,
          verdict(zoom, TARGET.zoom)
        ) +
        row(
          `Scalars: a live append, to the repaint (${result.appends.length} updates)`,
          append,
          `p95 ${ms(quantile(result.appends, 0.95))}; ${verdict(append, TARGET.append)}`
        ) +
        row(
          `  anchor: Plotly.newPlot of the full loss series (${SCALAR_RUNS * POINTS} points)`,
          result.plotlyFull,
          result.plotlyFull === null
            ? 'did not finish within 120 s'
            : ratio(charts, result.plotlyFull).replace('x the anchor', 'x (Scalars open / anchor)')
        )
    );
    report(`  every Compare round (ms): ${c.map(r => Math.round(r.firstRows)).join(', ')}`);
    report(
      `  every Scalars round (ms): ${result.scalars.map(r => Math.round(r.charts)).join(', ')}`
    );
    return (
      first <= TARGET.firstRows &&
      sort <= TARGET.sort &&
      flip <= TARGET.sort &&
      charts <= TARGET.charts &&
      zoom <= TARGET.zoom &&
      append <= TARGET.append
    );
  } finally {
    if (args.includes('--keep')) {
      report(`kept ${project}`);
    } else {
      fs.rmSync(project, { recursive: true, force: true });
    }
  }
}
