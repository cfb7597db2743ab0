/**
 * Commands that read runs: `nbx runs`, `nbx show`, `nbx log`.
 */
import * as fs from 'fs';
import type { Command } from 'commander';
import { effectiveStatus, listRuns, resolveRunRef } from '../../store/runs';
import { FINAL_STATUSES, type RunMeta } from '../../store/meta';
import type { RunDir } from '../../store/run-dir';
import { runsRootHere } from '../root';
import { formatDuration, formatTime, printJson, runDuration, shortId, table } from '../format';

export function addInspectCommands(program: Command): void {
  program
    .command('runs')
    .description('list runs, latest first')
    .option('-n, --limit <count>', 'show at most this many runs')
    .option('--json', 'print the run records as JSON')
    .action((opts: { limit?: string; json?: boolean }) => {
      const root = runsRootHere();
      let runs = listRuns(root, { onWarning: warn });
      if (opts.limit !== undefined) {
        runs = runs.slice(0, Math.max(0, Number.parseInt(opts.limit, 10) || 0));
      }
      if (opts.json) {
        printJson(runs);
        return;
      }
      if (runs.length === 0) {
        process.stderr.write(`no runs yet in ${root} (start one with: nbx run NOTEBOOK)\n`);
        return;
      }
      const rows = runs.map((m, i) => [
        `[${i + 1}]`,
        shortId(m.id),
        m.notebookName,
        formatTime(m.started ?? m.created),
        durationCell(m),
        m.status
      ]);
      process.stdout.write(`${table(rows)}\n`);
    });

  program
    .command('show')
    .description("show a run's record: notebook, kernel, status, timings, GPUs, files")
    .argument('<run>', 'run id, id prefix, or index from nbx runs')
    .option('--json', 'print meta.json (with the effective status)')
    .action((ref: string, opts: { json?: boolean }) => {
      const run = resolveRunRef(runsRootHere(), ref);
      const meta = readEffective(run);
      if (opts.json) {
        printJson(meta);
        return;
      }
      process.stdout.write(`${describeRun(run, meta)}\n`);
    });

  program
    .command('log')
    .description("print a run's output (the streams of its cells)")
    .argument('<run>', 'run id, id prefix, or index from nbx runs')
    .option('-f, --follow', 'keep printing new output until the run ends')
    .action(async (ref: string, opts: { follow?: boolean }) => {
      const run = resolveRunRef(runsRootHere(), ref);
      await printLog(run, opts.follow === true);
    });
}

function warn(message: string): void {
  process.stderr.write(`nbx: warning: ${message}\n`);
}

function readEffective(run: RunDir): RunMeta {
  const meta = run.readMeta();
  return { ...meta, status: effectiveStatus(meta) };
}

function durationCell(meta: RunMeta): string {
  const d = runDuration(meta);
  return d === null ? '-' : formatDuration(d);
}

function describeRun(run: RunDir, m: RunMeta): string {
  const rows: [string, string][] = [
    ['id', m.id],
    ['status', m.error ? `${m.status} (${m.error})` : m.status],
    ['notebook', m.notebook],
    ['kernel', m.kernel ? `${m.kernel.name} (${m.kernel.displayName})` : '-'],
    ['started', formatTime(m.started)],
    ['stopped', formatTime(m.stopped)],
    ['duration', durationCell(m)],
    ['cells', `${m.progress.done}/${m.progress.cells}`],
    ['gpus', m.gpus === null ? 'inherited' : m.gpus === '' ? 'none' : m.gpus],
    ['host', `${m.user}@${m.host}`],
    ['pid', m.pid === null ? '-' : String(m.pid)],
    ['command', m.command.join(' ')],
    ['directory', run.path]
  ];
  if (m.label) {
    rows.splice(2, 0, ['label', m.label]);
  }
  if (m.tags.length) {
    rows.splice(2, 0, ['tags', m.tags.join(', ')]);
  }
  if (m.git) {
    rows.push(['git', `${m.git.commit.slice(0, 12)}${m.git.dirty ? ' (dirty)' : ''}`]);
  }
  if (m.sourceDigest) {
    rows.push(['source', m.sourceDigest]);
  }
  return table(rows.map(([k, v]) => [`${k}:`, v]));
}

/** Prints the log; with `follow`, keeps printing what is appended until the run ends. */
async function printLog(run: RunDir, follow: boolean): Promise<void> {
  let offset = 0;
  const drain = (): void => {
    let fd: number;
    try {
      fd = fs.openSync(run.logPath, 'r');
    } catch {
      return;
    }
    try {
      const buf = Buffer.alloc(64 * 1024);
      for (;;) {
        const n = fs.readSync(fd, buf, 0, buf.length, offset);
        if (n <= 0) {
          break;
        }
        process.stdout.write(buf.subarray(0, n));
        offset += n;
      }
    } finally {
      fs.closeSync(fd);
    }
  };
  drain();
  if (!follow) {
    return;
  }
  while (!FINAL_STATUSES.includes(effectiveStatus(run.readMeta()))) {
    await new Promise(resolve => setTimeout(resolve, 200));
    drain();
  }
  drain();
}
