/**
 * `nbx run`: prepare a run and execute it here (or detached), and the hidden
 * `_runner` command a detached run executes in.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Command } from 'commander';
import { UserError } from '../../errors';
import { parseGpuList } from '../../tracking/gpus';
import { spawnDetachedRunner } from '../../scheduler/control';
import {
  createRunDir,
  materializeRun,
  planRun,
  prepareRun,
  type IRunRequest
} from '../../scheduler/prepare';
import { executeRun, launchRunKernel } from '../../scheduler/runner';
import { RunDir } from '../../store/run-dir';
import { TerminalProgress } from '../progress';
import { printJson, runSummary } from '../format';

interface IRunOptions {
  kernel?: string;
  gpus?: string | boolean;
  timeout?: string;
  allowErrors?: boolean;
  forceFlags?: boolean;
  label?: string;
  tag?: string[];
  detach?: boolean;
  json?: boolean;
  quiet?: boolean;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function addRunCommands(program: Command): void {
  program
    .command('run')
    .description('run a notebook as a tracked experiment in a fresh kernel')
    .argument('<notebook>', 'the .ipynb file to run')
    .argument('[flags...]', 'flag values as NAME=VALUE (see nbx flags NOTEBOOK)')
    .option('-k, --kernel <name>', "kernel to use (default: the notebook's kernelspec)")
    .option('--gpus <list>', 'GPUs the kernel may use, e.g. 0,2 (sets CUDA_VISIBLE_DEVICES)')
    .option('--no-gpus', 'hide every GPU from the kernel (CUDA_VISIBLE_DEVICES empty)')
    .option('--timeout <seconds>', 'fail the run if one cell runs longer than this')
    .option('--allow-errors', 'keep executing after a cell raises an error')
    .option('--force-flags', "inject flags the notebook doesn't declare instead of refusing")
    .option('-l, --label <text>', 'label the run; ${flag} inserts a flag value')
    .option('-t, --tag <tag>', 'tag the run (repeatable)', collect)
    .option('-d, --detach', 'start the run in the background, print its id and return')
    .option('-q, --quiet', "don't echo the notebook's output")
    .option('--json', 'print the run record as JSON when done')
    .addHelpText(
      'after',
      `
Flags are the literal assignments of the notebook's flags cell (the first code
cell tagged "parameters" or "flags", else the first code cell); NAME=VALUE
rewrites a literal in place, typed like its default:

  nbx run train.ipynb lr=0.001 layers=[128,64] optimizer=sgd --label 'lr=\${lr}'

The notebook runs with its run directory as working directory; the files
beside it are there by the same relative paths. Without --gpus or --no-gpus
the kernel inherits CUDA_VISIBLE_DEVICES.

Exit status: 0 when the run completed, 1 when it failed or was stopped,
2 for bad input.`
    )
    .action(async (notebook: string, flags: string[], opts: IRunOptions) => {
      process.exitCode = await runCommand(notebook, flags, opts);
    });

  program
    .command('_runner', { hidden: true })
    .argument('<rundir>')
    .action(async (runDir: string) => {
      const dir = path.resolve(runDir);
      const run = new RunDir(path.dirname(path.dirname(dir)), path.basename(dir));
      const meta = await executeRun(run);
      process.exitCode = meta.status === 'completed' ? 0 : 1;
    });
}

async function runCommand(notebook: string, flags: string[], opts: IRunOptions): Promise<number> {
  const req: IRunRequest = {
    notebook,
    flags,
    forceFlags: opts.forceFlags,
    kernel: opts.kernel,
    gpus: gpusOption(opts.gpus),
    timeoutS: opts.timeout === undefined ? null : parseTimeout(opts.timeout),
    allowErrors: opts.allowErrors,
    label: opts.label,
    tags: opts.tag,
    command: ['nbx', ...process.argv.slice(2)]
  };
  if (opts.detach) {
    const { run, warnings } = await prepareRun(req);
    printWarnings(warnings);
    spawnDetachedRunner(run);
    if (opts.json) {
      printJson(run.readMeta());
    } else {
      process.stdout.write(`${run.id}\n`);
    }
    return 0;
  }
  // Start the kernel first: it boots while the flags are parsed and the sources copied.
  const plan = planRun(req);
  const run = createRunDir(plan);
  const kernel = launchRunKernel(run, process.env);
  let prepared;
  try {
    prepared = await materializeRun(plan, run);
  } catch (err) {
    await kernel.then(
      k => k.kill(),
      () => undefined
    );
    fs.rmSync(run.path, { recursive: true, force: true });
    throw err;
  }
  printWarnings(prepared.warnings);
  const echo = !opts.json && !opts.quiet;
  const progress = new TerminalProgress(process.stderr, prepared.meta.notebookName);
  const final = await executeRun(run, {
    kernel,
    onStream: echo
      ? (name, text) => progress.write(name === 'stderr' ? process.stderr : process.stdout, text)
      : undefined,
    onProgress: p => progress.update(p)
  });
  progress.done();
  if (opts.json) {
    printJson(final);
  } else {
    process.stderr.write(`${runSummary(final, run.path)}\n`);
  }
  return final.status === 'completed' ? 0 : 1;
}

function printWarnings(warnings: string[]): void {
  for (const w of warnings) {
    process.stderr.write(`nbx: warning: ${w}\n`);
  }
}

/** `--gpus 0,2` → '0,2'; `--no-gpus` → ''; neither → undefined (inherit). */
function gpusOption(value: string | boolean | undefined): string | undefined {
  if (value === false) {
    return '';
  }
  if (typeof value === 'string') {
    return parseGpuList(value);
  }
  return undefined;
}

function parseTimeout(value: string): number {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new UserError(`invalid --timeout '${value}': give a number of seconds above 0`);
  }
  return seconds;
}
