/**
 * `nbx runs`: the listing, from the runs index. A module of its own, importing only what
 * listing needs: a warm `nbx runs` is mostly Node's start and module loading.
 */
import type { Command } from 'commander';
import { UserError } from '../../base/errors';
import { formatDuration, formatNumber } from '../../base/display';
import { settleDeadRunner } from '../../store/dead-runner';
import { effectiveStatus } from '../../store/runs';
import type { RunMeta } from '../../store/meta';
import { RunDir } from '../../store/run-dir';
import { loadRunsIndex, type RunsIndex } from '../../store/index';
import { filterRows, parseSort, parseStatuses, sortRows, whereColumns } from '../../store/query';
import { reconcileBeforeListing } from '../slurm-listing';
import { runsRootHere } from '../root';
import { formatTime, printJson, runJson, shortId, table } from '../format';

interface IRunsOptions {
  limit?: string;
  all?: boolean;
  status: string[];
  notebook?: string;
  label?: string;
  tag: string[];
  where?: string;
  sort?: string;
  json?: boolean;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** Runs the human listing shows without --limit or --all: the latest, as Guild does. */
const DEFAULT_LIST_LIMIT = 20;

export function addRunsCommand(program: Command): void {
  program
    .command('runs')
    .description('list runs, latest first, trials under their batch (from the runs index)')
    .option('-n, --limit <count>', `show at most this many runs (default: ${DEFAULT_LIST_LIMIT})`)
    .option('-a, --all', 'show every run (--json always lists every match)')
    .option(
      '--status <status>',
      'only runs with this status (repeatable, or a comma list)',
      collect,
      []
    )
    .option('--notebook <name>', 'only runs of this notebook (name, .ipynb optional)')
    .option('--label <text>', 'only runs whose label contains this text (any case)')
    .option('--tag <tag>', 'only runs with this tag (repeatable: all of them)', collect, [])
    .option('-w, --where <expr>', "only runs matching, e.g. 'lr > 0.001 and #acc >= 0.9'")
    .option('-s, --sort <spec>', "sort by columns, '-' for descending, e.g. '-#acc,started'")
    .option('--json', 'print the run records (meta.json, dir: the run directory) as JSON')
    .addHelpText(
      'after',
      `
The [N] before a run is its position in the full latest-first list: filters and --sort
do not renumber, so 'nbx show N' always means the run listed as [N].

--where: comparisons (= != < <= > >=, contains, in [a, b], not in, is null,
is not null) joined with and, or, not and parentheses. Names: =flag, #scalar (last
value), #scalar:min, #scalar:max, .attr, or the columns id, notebook, status, label,
tags, created, started, stopped, duration (seconds), kind (run or batch), parent (the
batch of a trial); a bare name is a column, else a
flag, else a scalar. Values: numbers, 'quoted' or bare words, dates (2025-11-01).
  nbx runs --where 'lr > 0.001 and #acc >= 0.9 and status = completed' --sort -#acc`
    )
    .action(async (opts: IRunsOptions) => {
      await reconcileBeforeListing(runsRootHere());
      printRunList(opts);
    });
}

function warn(message: string): void {
  process.stderr.write(`nbx: warning: ${message}\n`);
}

function parseLimit(limit: string | undefined): number | undefined {
  if (limit === undefined) {
    return undefined;
  }
  if (!/^\d+$/.test(limit.trim())) {
    throw new UserError(`invalid --limit '${limit}' — give a whole number`);
  }
  return Number(limit);
}

/** Scalar columns named by --sort or --where, shown as `key=value` after the status. */
function metricColumns(index: RunsIndex, opts: IRunsOptions): string[] {
  const names = opts.sort ? parseSort(index, opts.sort).map(k => k.column) : [];
  if (opts.where) {
    names.push(...whereColumns(index, opts.where));
  }
  return [...new Set(names)].filter(name => name.startsWith('#'));
}

function printRunList(opts: IRunsOptions): void {
  const root = runsRootHere();
  const statuses = parseStatuses(opts.status);
  const limit = parseLimit(opts.limit);
  // Without --where or --sort, nothing but the core columns is shown or filtered on.
  const coreOnly = opts.where === undefined && opts.sort === undefined;
  const index = loadRunsIndex(root, { onWarning: warn, coreOnly });
  let rows = filterRows(index, {
    status: statuses,
    notebook: opts.notebook,
    label: opts.label,
    tags: opts.tag,
    where: opts.where
  });
  if (opts.sort !== undefined && index.numRows > 0) {
    rows = sortRows(index, rows, parseSort(index, opts.sort));
  }
  if (opts.all && limit !== undefined) {
    throw new UserError('give --limit or --all, not both');
  }
  // --json is for programs: every match unless --limit says otherwise.
  const shown = limit ?? (opts.all || opts.json ? rows.length : DEFAULT_LIST_LIMIT);
  const hidden = Math.max(0, rows.length - shown);
  rows = rows.slice(0, shown);
  if (opts.json) {
    printJson(rows.map(row => runRecord(index, row)).filter(m => m !== null));
    return;
  }
  if (index.numRows === 0) {
    process.stderr.write(`no runs yet in ${root} (start one with: nbx run NOTEBOOK)\n`);
    return;
  }
  if (rows.length === 0) {
    process.stderr.write('no runs match\n');
    return;
  }
  const metrics = index.numRows > 0 ? metricColumns(index, opts) : [];
  const text = (row: number, name: string): string => {
    const value = index.value(row, name);
    return value === null ? '' : String(value);
  };
  const withLabel = rows.some(row => text(row, 'label') !== '');
  const tagsOf = (row: number): string => {
    const tags = index.value(row, 'tags');
    return Array.isArray(tags) ? tags.join(',') : text(row, 'tags');
  };
  const withTags = rows.some(row => tagsOf(row) !== '');
  const entries: IListEntry[] =
    opts.sort === undefined ? groupTrials(index, rows) : rows.map(row => ({ row }));
  const lines = entries.map(({ row, trial }) => {
    const started = index.value(row, 'started') ?? index.value(row, 'created');
    const duration = index.value(row, 'duration');
    const cells = [
      trial ? `  ${trial.last ? '\u2514' : '\u251c'} [${row + 1}]` : `[${row + 1}]`,
      shortId(index.id(row)),
      trial?.step !== undefined
        ? `${trial.step}: ${text(row, 'notebook')}`
        : trial
          ? `trial ${trial.number}/${trial.of}`
          : text(row, 'notebook'),
      typeof started === 'number' ? formatTime(new Date(started).toISOString()) : '-',
      typeof duration === 'number' ? formatDuration(duration * 1000) : '-',
      text(row, 'status')
    ];
    for (const name of metrics) {
      const value = index.value(row, name);
      cells.push(`${name.slice(1)}=${typeof value === 'number' ? formatNumber(value) : '-'}`);
    }
    if (withTags) {
      cells.push(tagsOf(row) || '-');
    }
    if (withLabel) {
      cells.push(text(row, 'label'));
    }
    return cells;
  });
  process.stdout.write(`${table(lines)}\n`);
  if (hidden > 0 && limit === undefined) {
    process.stderr.write(
      `${hidden} more ${hidden === 1 ? 'run' : 'runs'} not shown (nbx runs --all, or -n N)\n`
    );
  }
}

/**
 * A row of the listing; a trial shown under its batch says which trial it is, a step
 * under its pipeline which step (its link's name).
 */
interface IListEntry {
  row: number;
  trial?: { number: number; of: number; last: boolean; step?: string };
}

/**
 * `rows` with each batch's trials right under it, in trial order (trials whose batch is
 * not listed stay where they are). Row numbers are kept, so `[N]` still means `nbx show N`.
 */
function groupTrials(index: RunsIndex, rows: number[]): IListEntry[] {
  if (!index.column('parent') || !rows.some(row => index.value(row, 'parent') !== null)) {
    return rows.map(row => ({ row }));
  }
  const shown = new Map(rows.map(row => [index.id(row), row]));
  const children = new Map<string, number[]>();
  for (const row of rows) {
    const parent = index.value(row, 'parent');
    if (typeof parent === 'string' && shown.has(parent)) {
      children.set(parent, [...(children.get(parent) ?? []), row]);
    }
  }
  const entries: IListEntry[] = [];
  for (const row of rows) {
    const parent = index.value(row, 'parent');
    if (typeof parent === 'string' && shown.has(parent)) {
      continue; // listed under its batch
    }
    entries.push({ row });
    const trials = children.get(index.id(row));
    if (trials) {
      entries.push(...trialEntries(index, index.id(row), trials));
    }
  }
  return entries;
}

/**
 * The trials of a batch in trial order (from the batch's record), numbered; the steps of a
 * pipeline in the order they ran, named.
 */
function trialEntries(index: RunsIndex, batchId: string, rows: number[]): IListEntry[] {
  let order: string[] = [];
  let steps: string[] | null = null;
  try {
    const meta = new RunDir(index.root, batchId).readMeta();
    order = meta.kind === 'pipeline' ? (meta.steps ?? []).map(s => s.run) : meta.trials;
    steps = meta.kind === 'pipeline' ? (meta.steps ?? []).map(s => s.name) : null;
  } catch {
    // no record: oldest first
  }
  const position = (row: number): number => {
    const at = order.indexOf(index.id(row));
    return at < 0 ? order.length + (index.numRows - row) : at;
  };
  const sorted = [...rows].sort((a, b) => position(a) - position(b));
  const of = Math.max(order.length, rows.length);
  return sorted.map((row, i) => ({
    row,
    trial: {
      number: position(row) + 1,
      of,
      last: i === sorted.length - 1,
      step: steps?.[position(row)]
    }
  }));
}

/** The meta.json of `row` with its effective status and list position, or null (warned). */
function runRecord(
  index: RunsIndex,
  row: number
): (RunMeta & { dir: string; index: number }) | null {
  const run = new RunDir(index.root, index.id(row));
  try {
    const meta = settleDeadRunner(run, run.readMeta());
    return { ...runJson({ ...meta, status: effectiveStatus(meta) }, run.path), index: row + 1 };
  } catch (err) {
    warn(`skipping run ${run.path}: ${err instanceof Error ? err.message : String(err)}`);
    return null;
  }
}
