/**
 * Commands that read one run: `nbx show`, `nbx log` (the listing is commands/runs.ts).
 */
import * as fs from 'fs';
import { StringDecoder } from 'string_decoder';
import type { Command } from 'commander';
import { settleDeadRunner } from '../../store/dead-runner';
import { effectiveStatus, resolveRunRef } from '../../store/runs';
import { FINAL_STATUSES, type RunMeta } from '../../store/meta';
import { RunDir } from '../../store/run-dir';
import { loadRunsIndex } from '../../store/index';
import { resolveIndexRefs } from '../../store/index-refs';
import { slurmText } from '../slurm-options';
import { reconcileBeforeListing } from '../slurm-listing';
import { runsRootHere } from '../root';
import { formatTime, printJson, runDuration, runJson, table } from '../format';
import { runSections } from '../show-run';
import { stepsTable } from '../show-pipeline';
import { listRunFiles } from '../../store/run-files';
import { readTrials } from '../../scheduler/sweep-status';
import { formatDuration } from '../../base/display';
import {
  batchSettingsText,
  flagsText,
  parentText,
  trialCountsText,
  trialsTable
} from '../show-batch';

export function addInspectCommands(program: Command): void {
  program
    .command('show')
    .description('show a run: record, scalars, comments, attempts, files, traceback')
    .argument('<run>', 'run id, id prefix, or index from nbx runs')
    .option(
      '--json',
      'print meta.json (with the effective status), its directory (dir) and its files'
    )
    .action(async (ref: string, opts: { json?: boolean }) => {
      const run = resolveOne(runsRootHere(), ref);
      await reconcileBeforeListing(run.root);
      const meta = readEffective(run);
      const files = meta.kind === 'batch' ? [] : listRunFiles(run);
      if (opts.json) {
        printJson({ ...runJson(meta, run.path), files });
        return;
      }
      const sections = runSections(meta, files);
      process.stdout.write(`${describeRun(run, meta)}\n${sections ? `\n${sections}\n` : ''}`);
    });

  program
    .command('log')
    .description("print a run's output (the streams of its cells)")
    .argument('<run>', 'run id, id prefix, or index from nbx runs')
    .option('-f, --follow', 'keep printing new output until the run ends')
    .option('--json', 'JSON lines: one {"line": N, "text": "..."} per line of output')
    .action(async (ref: string, opts: { follow?: boolean; json?: boolean }) => {
      const run = resolveOne(runsRootHere(), ref);
      await printLog(run, opts.follow === true, opts.json === true);
    });
}

/** A RUN reference; a list position is looked up in the index (no meta.json read). */
function resolveOne(root: string, ref: string): RunDir {
  if (!/^\d+$/.test(ref.trim())) {
    return resolveRunRef(root, ref);
  }
  const index = loadRunsIndex(root);
  return new RunDir(root, index.id(resolveIndexRefs(index, [ref])[0]));
}

function readEffective(run: RunDir): RunMeta {
  const meta = settleDeadRunner(run, run.readMeta());
  return { ...meta, status: effectiveStatus(meta) };
}

function durationCell(meta: RunMeta): string {
  const d = runDuration(meta);
  return d === null ? '-' : formatDuration(d);
}

/** `tslab (TypeScript), started warm`: the kernel, and whether a warm one ran the run. */
function kernelText(m: RunMeta): string {
  if (!m.kernel) {
    return '-';
  }
  const started = m.kernelWarm === undefined ? '' : `, started ${m.kernelWarm ? 'warm' : 'cold'}`;
  return `${m.kernel.name} (${m.kernel.displayName})${started}`;
}

/**
 * The record for people. A batch shows its settings and its trials (see show-batch.ts),
 * a trial its batch.
 */
function describeRun(run: RunDir, m: RunMeta): string {
  const isBatch = m.kind === 'batch';
  const trials = isBatch ? readTrials(run.root, m) : [];
  const isPipeline = m.kind === 'pipeline';
  const what: [string, string][] = isBatch
    ? [
        ['batch', m.batch ? batchSettingsText(m.batch) : '-'],
        ['trials', trialCountsText(m.trials.length, trials)]
      ]
    : [
        ...(m.parent !== null ? [['parent', parentText(run.root, m)] as [string, string]] : []),
        ...(Object.keys(m.flags).length ? [['flags', flagsText(m.flags)] as [string, string]] : [])
      ];
  const rows: [string, string][] = [
    ['id', m.id],
    ['status', m.error ? `${m.status} (${m.error})` : m.status],
    ['notebook', m.notebook],
    ['kernel', kernelText(m)],
    ...what,
    ['started', formatTime(m.started)],
    ['stopped', formatTime(m.stopped)],
    ['duration', durationCell(m)],
    ...(m.kind === 'run'
      ? [['cells', `${m.progress.done}/${m.progress.cells}`] as [string, string]]
      : []),
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
  const slurm = slurmText(m);
  if (slurm !== null) {
    rows.push(['slurm', slurm]);
  }
  if (m.git) {
    rows.push(['git', `${m.git.commit.slice(0, 12)}${m.git.dirty ? ' (dirty)' : ''}`]);
  }
  if (m.sourceDigest) {
    rows.push(['source', m.sourceDigest]);
  }
  // A pipeline runs no notebook: it is named by its project file.
  const shown: [string, string][] = isPipeline
    ? rows
        .filter(([k]) => k !== 'kernel')
        .map(([k, v]) => (k === 'notebook' ? ['pipeline', `${m.notebookName} (${v})`] : [k, v]))
    : rows;
  const text = table(shown.map(([k, v]) => [`${k}:`, v]));
  if (isPipeline) {
    const steps = stepsTable(run.root, m).replace(/^/gm, '  ');
    return `${text}\n\nsteps:\n${steps}`;
  }
  return isBatch ? `${text}\n\n${trialsTable(m, trials)}` : text;
}

/**
 * Prints the log; with `follow`, keeps printing what is appended until the run ends. With
 * `json`, each line of output is a JSON object `{"line": N, "text": "..."}` (N from 1,
 * the text without its newline); an unfinished last line is printed once the log ends.
 */
async function printLog(run: RunDir, follow: boolean, json: boolean): Promise<void> {
  let offset = 0;
  const lines = json ? new JsonLines() : null;
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
        process.stdout.write(lines ? lines.write(buf.subarray(0, n)) : buf.subarray(0, n));
        offset += n;
      }
    } finally {
      fs.closeSync(fd);
    }
  };
  drain();
  if (follow) {
    while (!FINAL_STATUSES.includes(effectiveStatus(run.readMeta()))) {
      await new Promise(resolve => setTimeout(resolve, 200));
      drain();
    }
    drain();
  }
  if (lines) {
    process.stdout.write(lines.end());
  }
}

/** Turns the bytes of a log into JSON lines, one per complete line of text. */
class JsonLines {
  private readonly _decoder = new StringDecoder('utf8');
  private _pending = '';
  private _line = 0;

  /** The JSON lines of the lines `bytes` completes. */
  write(bytes: Buffer): string {
    const parts = (this._pending + this._decoder.write(bytes)).split('\n');
    this._pending = parts.pop() ?? '';
    return parts.map(text => this._format(text)).join('');
  }

  /** The JSON line of an unfinished last line, if any. */
  end(): string {
    const rest = this._pending + this._decoder.end();
    this._pending = '';
    return rest === '' ? '' : this._format(rest);
  }

  private _format(text: string): string {
    this._line++;
    return `${JSON.stringify({ line: this._line, text })}\n`;
  }
}
