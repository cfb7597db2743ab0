/**
 * `nbx compare`: runs side by side — flags that differ, last values of scalars — as an
 * aligned table, CSV, JSON rows or an Arrow IPC file.
 */
import type { Command } from 'commander';
import { UserError } from '../../base/errors';
import { writeFileAtomicSync } from '../../base/atomic-write';
import { compareArrow, compareCsv, compareRows, selectCompare } from '../../store/compare';
import { formatCompareTable } from '../../store/compare-text';
import { loadRunsIndex } from '../../store/index';
import { arrow } from '../../store/index-arrow';
import { runsRootHere } from '../root';
import { printJson } from '../format';

interface ICompareCliOptions {
  columns?: string;
  where?: string;
  sort?: string;
  limit?: string;
  csv?: boolean;
  json?: boolean;
  arrow?: string;
}

/** Runs `nbx compare` with parsed arguments, writing to stdout/stderr. */
export function runCompare(refs: string[], opts: ICompareCliOptions, root = runsRootHere()): void {
  const formats = [opts.csv, opts.json, opts.arrow !== undefined].filter(Boolean).length;
  if (formats > 1) {
    throw new UserError('choose one of --csv, --json and --arrow');
  }
  let limit: number | undefined;
  if (opts.limit !== undefined) {
    limit = Number(opts.limit);
    if (!/^\d+$/.test(opts.limit.trim())) {
      throw new UserError(`invalid --limit '${opts.limit}' — give a whole number`);
    }
  }
  const index = loadRunsIndex(root, { onWarning: warn });
  const t = selectCompare(index, {
    refs,
    columns: opts.columns,
    where: opts.where,
    sort: opts.sort,
    limit
  });
  if (opts.arrow !== undefined) {
    writeFileAtomicSync(opts.arrow, arrow.tableToIPC(compareArrow(t), 'file'));
    process.stderr.write(
      `wrote ${t.rows.length} runs × ${t.columns.length} columns to ${opts.arrow}\n`
    );
    return;
  }
  if (opts.json) {
    printJson(compareRows(t));
    return;
  }
  if (opts.csv) {
    process.stdout.write(compareCsv(t));
    return;
  }
  if (t.rows.length === 0) {
    process.stderr.write(index.numRows === 0 ? `no runs yet in ${root}\n` : 'no runs match\n');
    return;
  }
  process.stdout.write(`${formatCompareTable(t)}\n`);
}

/** Registers `nbx compare`. */
export function addCompareCommand(program: Command): void {
  program
    .command('compare')
    .description('compare runs: flags that differ and the last value of each scalar')
    .argument(
      '[runs...]',
      'run ids, id prefixes, list positions or ranges (1:5) from nbx runs; all runs if none'
    )
    .option(
      '-c, --columns <spec>',
      "columns instead of the defaults, e.g. '=lr,#loss:min,.duration' (=flag, #scalar[:min|:max|:step], .attr, =*, #sys/*)"
    )
    .option('-w, --where <expr>', "only runs matching, e.g. 'lr > 0.001 and #acc >= 0.9'")
    .option('-s, --sort <spec>', "sort by columns, '-' for descending, e.g. '-#acc,=lr'")
    .option('-n, --limit <count>', 'at most this many runs (after sorting)')
    .option('--csv', 'print CSV')
    .option('--json', 'print JSON rows')
    .option('--arrow <file>', 'write the table as an Arrow IPC file')
    .addHelpText(
      'after',
      `
By default the columns are the run, notebook, status and label, the flags whose values
differ between the compared runs, and the last value of every scalar (sys/* excluded).
Numbers show 4 significant digits in the table; --csv, --json and --arrow keep them whole.`
    )
    .action((refs: string[], opts: ICompareCliOptions) => {
      runCompare(refs, opts);
    });
}

function warn(message: string): void {
  process.stderr.write(`nbx: warning: ${message}\n`);
}
