/**
 * The Compare grid's model in Node, on the table of 10,000 generated runs × 60 columns
 * that `nbx compare --arrow` writes (see gen-runs.ts): reading the IPC bytes, building the
 * model, the first sort by a metric (which reads the column), a sort on three columns,
 * "only columns that differ" over every column, and CSV of the whole table. The issue's
 * target is a sort ≤ 200 ms in the browser; the browser measurement belongs to the
 * Playwright benchmark of the panel, this one measures the model alone.
 *
 *   npm run test:front        (compiles src/compare to lib-test/, which this loads)
 *   node kernel/lib/bench/compare-sort.js [--runs N] [--count N]
 *
 * Exports `benchCompareSort` in the shape of bench/main.ts's entries.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { NBX_CLI, PACKAGE_ROOT } from '../base/paths';
import { generateRuns } from './gen-runs';
import { intOption, median, ms } from './measure';

const TARGET_SORT_MS = 200;

/** 60 columns: the run id, 5 core columns, 20 flags, 30 last values and 4 min/max. */
const COLUMNS =
  'label,status,notebook,started,duration,=*,#*,#loss:min,#val_loss:min,#acc:max,#val_acc:max';

/** What this benchmark uses of the frontend's CompareModel (compiled to lib-test/). */
interface ICompareModel {
  readonly columns: readonly string[];
  readonly visibleColumns: readonly string[];
  onlyDiffering: boolean;
  sortByHeader(column: string, add?: boolean): void;
  toCsv(): string;
}

interface IModelModule {
  CompareModel: new (options: { table: unknown }) => ICompareModel;
}

function loadModel(): {
  model: IModelModule;
  tableFromIPC: (bytes: Uint8Array) => { numRows: number };
} {
  const file = path.join(PACKAGE_ROOT, 'lib-test', 'compare', 'model.js');
  if (!fs.existsSync(file)) {
    throw new Error(`${file} is missing: run \`npm run test:front\` first`);
  }
  // The frontend's own build of the model and its apache-arrow, as the browser runs them.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const model = require(file) as IModelModule;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { tableFromIPC } = require('apache-arrow') as {
    tableFromIPC: (bytes: Uint8Array) => { numRows: number };
  };
  return { model, tableFromIPC };
}

function time<T>(work: () => T): { ms: number; value: T } {
  const start = process.hrtime.bigint();
  const value = work();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, value };
}

/** Runs the benchmark; true when the sorts meet the target. */
export async function benchCompareSort(args: string[]): Promise<boolean> {
  const rounds = intOption(args, '--runs', 5);
  const count = intOption(args, '--count', 10_000);
  const { model: modelModule, tableFromIPC } = loadModel();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nbx-bench-compare-'));
  try {
    const root = path.join(dir, 'home');
    generateRuns(root, { count });
    const file = path.join(dir, 'compare.arrow');
    execFileSync(process.execPath, [NBX_CLI, 'compare', '--columns', COLUMNS, '--arrow', file], {
      env: { ...process.env, NBX_HOME: root }
    });
    const bytes = fs.readFileSync(file);
    const t: Record<string, number[]> = {
      read: [],
      model: [],
      sort: [],
      resort: [],
      multi: [],
      differ: [],
      csv: []
    };
    let shape = '';
    for (let r = 0; r < rounds; r++) {
      const read = time(() => tableFromIPC(bytes));
      const built = time(() => new modelModule.CompareModel({ table: read.value }));
      const model = built.value;
      shape = `${read.value.numRows} runs × ${model.columns.length} columns`;
      t.read.push(read.ms);
      t.model.push(built.ms);
      t.sort.push(time(() => model.sortByHeader('#val_loss')).ms);
      t.resort.push(time(() => model.sortByHeader('#val_loss')).ms);
      t.multi.push(
        time(() => {
          model.sortByHeader('=optimizer');
          model.sortByHeader('#acc:max', true);
          model.sortByHeader('started', true);
        }).ms
      );
      t.differ.push(
        time(() => {
          model.onlyDiffering = true;
          return model.visibleColumns.length;
        }).ms
      );
      t.csv.push(time(() => model.toCsv().length).ms);
    }
    const rows: [string, number[]][] = [
      ['tableFromIPC', t.read],
      ['new CompareModel', t.model],
      ['sort by #val_loss (first: reads the column)', t.sort],
      ['sort by #val_loss again (flip)', t.resort],
      ['sort =optimizer, #acc:max, started (3 keys)', t.multi],
      ['only columns that differ (all columns)', t.differ],
      ['CSV of every row and column', t.csv]
    ];
    process.stdout.write(
      `compare-sort: ${shape}, ${(bytes.length / 1e6).toFixed(1)} MB IPC, median of ${rounds}\n`
    );
    for (const [label, values] of rows) {
      process.stdout.write(`  ${label.padEnd(46)} ${ms(median(values)).padStart(8)}\n`);
    }
    const worst = Math.max(median(t.sort), median(t.resort), median(t.multi));
    process.stdout.write(
      `  slowest sort ${ms(worst)} (target ≤ ${TARGET_SORT_MS} ms in the browser)\n`
    );
    return worst <= TARGET_SORT_MS;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  void benchCompareSort(process.argv.slice(2)).then(met => {
    process.exitCode = met ? 0 : 1;
  });
}
