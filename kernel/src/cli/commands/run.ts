/**
 * `nbx run`: prepare a run and execute it here (or detached), and the hidden
 * `_runner` command a detached run executes in.
 */
import * as path from 'path';
import { Option, type Command } from 'commander';
import { previewTrials } from '../../scheduler/batch-preview';
import { launch, previewLaunch, type ILaunchRequest } from '../../scheduler/launch';
import { planPipeline, readPipelineRequest, runPipeline } from '../../scheduler/pipeline';
import { runBatch } from '../../scheduler/queue';
import { executeRun, type IExecuteRunOptions } from '../../scheduler/runner';
import { waitForStandbyRun } from '../../scheduler/standby-runner';
import { UserError } from '../../base/errors';
import { RunDir } from '../../store/run-dir';
import { parseAssignments } from '../../notebook/flags';
import { readNotebook } from '../../notebook/io';
import { printJson, runJson } from '../format';
import { pipelineInForeground, pipelineProject } from './pipelines';
import { recordNode, taskTrial } from '../../scheduler/slurm/on-node';
import { TASK_COMMAND } from '../../scheduler/slurm/submit';
import {
  addSlurmOptions,
  placementOption,
  reportSubmitted,
  type ISlurmCliOptions
} from '../slurm-options';
import {
  batchInForeground,
  countOption,
  gpusText,
  parseTimeout,
  printWarnings,
  reportDetached,
  runInForeground
} from '../execute';

interface IRunOptions extends ISlurmCliOptions {
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
  maxTrials?: string;
  seed?: string;
  batchFile?: string;
  parallel?: string;
  gpusPerTrial?: string;
  objective?: string;
  repeat?: string;
  preview?: boolean;
  stage?: boolean;
  contentFile?: string;
  needed?: boolean;
  copyDeps?: boolean;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function addRunCommands(program: Command): void {
  const run = program
    .command('run')
    .description('run a notebook as a tracked experiment in a fresh kernel')
    .argument('<notebook>', 'the .ipynb file to run, or a pipeline of nbx.json')
    .argument(
      '[flags...]',
      'flag values as NAME=VALUE (see nbx flags NOTEBOOK); NOTEBOOK.ipynb=RUN uses that run for a dependency'
    )
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
    .option('--max-trials <n>', 'trials of a random search; samples N trials of a larger grid')
    .option('--seed <n>', 'seed of the random choices, to make a batch reproducible')
    .option('--batch-file <file>', 'one trial per row of a .csv or .json file')
    .option('--parallel <n>', 'trials of a batch run at once (default 1)')
    .option(
      '--gpus-per-trial <n>',
      'GPUs each trial gets from --gpus (default 1; without --gpus: all nvidia-smi finds)'
    )
    .option('--objective <key>', "as --sort: '#loss' minimises loss, '-#acc' maximises acc")
    .option('--repeat <n>', 'run each configuration N times (replicates, compared as a group)')
    .option('--preview', 'print the trials of a batch without running or writing anything')
    .option('--stage', 'write the run (or batch) as staged; start it with nbx start')
    .option('--needed', 'reuse a completed run of the same notebook and flags instead')
    .option('--copy-deps', 'copy the files of dependencies into the run instead of linking');
  addSlurmOptions(run)
    .addOption(
      // The JupyterLab dialog runs what the editor holds, unsaved edits included.
      new Option('--content-file <file>', 'snapshot this notebook content instead').hideHelp()
    )
    .addHelpText(
      'after',
      `
Flags are the literal assignments of the notebook's flags cell (the first code
cell tagged "parameters" or "flags", else the first code cell); NAME=VALUE
rewrites a literal in place, typed like its default:

  nbx run train.ipynb lr=0.001 'layers=[128,64]' optimizer=sgd --label 'lr=\${lr}'

A list for a flag makes a batch, one trial per value (several lists: every
combination); a flag whose default is a list takes a list of lists. Quote
list values for the shell. uniform[a:b], loguniform[a:b], int[a:b] or
choice[x,y] with --max-trials N make a random search:

  nbx run train.ipynb 'lr=[0.001,0.01]' 'layers=[[64],[128,64]]' --parallel 2 --gpus 0,1
      4 trials (2 lr x 2 layers), 2 at a time, each on a free GPU of 0 and 1
  nbx run train.ipynb 'lr=[0.001,0.01]' 'layers=[128,64]'
      2 trials: layers is a list flag, [128,64] is one value of it
  nbx run train.ipynb 'lr=loguniform[1e-4:1e-1]' --max-trials 20 --seed 7 --preview
      20 trials, shown and not run

Each trial is a run of its own; the batch is a run that lists them. With --gpus
each trial waits for a free GPU of the list (--gpus-per-trial, default 1).

A pipeline declared in nbx.json (see nbx pipelines) runs its steps in order,
each a run of its own under the pipeline's run:

  nbx run end-to-end lr=0.1 --label try1
  nbx run end-to-end train:epochs=3 --force-flags     a flag of step train

What a notebook requires (metadata.nbx.requires, or its nbx.json entry) is
linked into its run: { "file": "data/raw.csv" }, or the files of the latest
completed run of a notebook, { "run": "prepare.ipynb", "select": "data/*.csv" }:

  nbx run train.ipynb prepare.ipynb=3f2a1b9c          use that run of prepare.ipynb

--on slurm submits the run with sbatch and returns (the run id on stdout, the
job id and its status on stderr); a sweep is one job array, --parallel tasks
at a time. --gpus N and --gpus-per-trial N are counts there. Defaults come
from the "slurm" object of the project's nbx.json:

  nbx run train.ipynb 'lr=[0.001,0.01]' --on slurm --partition gpu --time 60 --gpus-per-trial 1
      2 trials as one job array, each task with 1 GPU

The notebook runs with its run directory as working directory; the files
beside it are there by the same relative paths. Without --gpus or --no-gpus
the kernel inherits CUDA_VISIBLE_DEVICES.

Exit status: 0 when the run (every trial) completed, 1 when it failed or
was stopped, 2 for bad input.`
    )
    .action(async (notebook: string, flags: string[], opts: IRunOptions) => {
      process.exitCode = await runCommand(notebook, flags, opts);
    });

  program
    .command('_runner', { hidden: true })
    .argument('<rundir>')
    .action(async (runDir: string) => {
      process.exitCode = await runnerCommand(runDirOf(runDir));
    });

  program
    .command('_standby', { hidden: true })
    .argument('<rundir>')
    .action(async (runDir: string) => {
      const run = runDirOf(runDir);
      const taken = await waitForStandbyRun(run);
      if (taken === null) {
        // Dismissed: a kernel still starting dies with this process (its watchdog).
        process.exit(0);
      }
      process.exitCode = await runnerCommand(run, { env: taken.env, standby: taken.kernel });
    });

  program
    .command(TASK_COMMAND, { hidden: true })
    .argument('<batchdir>')
    .action(async (batchDir: string) => {
      process.exitCode = await runnerCommand(taskTrial(runDirOf(batchDir)));
    });

  program
    .command('_pipeline', { hidden: true })
    .argument('<rundir>')
    .action(async (runDir: string) => {
      const pipeline = runDirOf(runDir);
      if (pipeline.readMeta().status !== 'queued') {
        process.exitCode = 1; // stopped before it started
        return;
      }
      const plan = planPipeline(readPipelineRequest(pipeline));
      const meta = await runPipeline(plan, pipeline);
      process.exitCode = meta.status === 'completed' ? 0 : 1;
    });

  program
    .command('_batch', { hidden: true })
    .argument('<rundir>')
    .action(async (runDir: string) => {
      const batch = runDirOf(runDir);
      const status = batch.readMeta().status;
      if (status !== 'queued' && status !== 'staged') {
        process.exitCode = 1;
        return;
      }
      const meta = await runBatch(batch);
      process.exitCode = meta.status === 'completed' ? 0 : 1;
    });
}

/**
 * A detached (or Slurm, or standby) runner: executes the run unless it was stopped before it
 * started.
 */
async function runnerCommand(run: RunDir, options: IExecuteRunOptions = {}): Promise<number> {
  const status = run.readMeta().status;
  if (status !== 'queued' && status !== 'staged') {
    await options.standby?.then(k => k?.kill());
    return 1; // stopped before it started
  }
  recordNode(run, options.env);
  const meta = await executeRun(run, options);
  return meta.status === 'completed' ? 0 : 1;
}

function runDirOf(dir: string): RunDir {
  const resolved = path.resolve(dir);
  return new RunDir(path.dirname(path.dirname(resolved)), path.basename(resolved));
}

/**
 * The arguments after the notebook: `NOTEBOOK.ipynb=RUN` (a dependency's run),
 * `STEP:FLAG=VALUE` (a pipeline step's flag), and flag assignments.
 */
function splitRunArgs(args: readonly string[]): {
  pins: Record<string, string>;
  flags: string[];
  qualified: { name: string; raw: string }[];
} {
  const pins: Record<string, string> = {};
  const flags: string[] = [];
  const qualified: { name: string; raw: string }[] = [];
  for (const arg of args) {
    const eq = arg.indexOf('=');
    const name = arg.slice(0, Math.max(eq, 0)).trim();
    if (eq > 0 && name.toLowerCase().endsWith('.ipynb')) {
      pins[name] = arg.slice(eq + 1);
    } else if (eq > 0 && name.includes(':')) {
      qualified.push({ name, raw: arg.slice(eq + 1) });
    } else {
      flags.push(arg);
    }
  }
  return { pins, flags, qualified };
}

async function runCommand(notebook: string, args: string[], opts: IRunOptions): Promise<number> {
  const { pins, flags, qualified } = splitRunArgs(args);
  const project = pipelineProject(notebook);
  if (project !== null) {
    if (opts.on !== undefined && opts.on !== 'local') {
      throw new UserError(
        `pipeline ${notebook} runs its steps here: --on ${opts.on} is for notebooks`
      );
    }
    const assignments = [...parseAssignments(flags), ...qualified];
    return pipelineInForeground(notebook, project, assignments, pins, opts);
  }
  if (qualified.length) {
    parseAssignments([`${qualified[0].name}=${qualified[0].raw}`]); // refuses the name
  }
  const req: ILaunchRequest = {
    notebook,
    flags: parseAssignments(flags),
    pins,
    needed: opts.needed,
    copyDeps: opts.copyDeps,
    forceFlags: opts.forceFlags,
    kernel: opts.kernel,
    gpus: gpusText(opts.gpus),
    timeoutS: opts.timeout === undefined ? null : parseTimeout(opts.timeout),
    allowErrors: opts.allowErrors,
    label: opts.label,
    tags: opts.tag,
    command: ['nbx', ...process.argv.slice(2)],
    maxTrials: countOption('--max-trials', opts.maxTrials),
    seed: countOption('--seed', opts.seed),
    batchFile: opts.batchFile,
    parallel: countOption('--parallel', opts.parallel),
    gpusPerTrial: countOption('--gpus-per-trial', opts.gpusPerTrial),
    objective: opts.objective,
    repeat: countOption('--repeat', opts.repeat),
    content: opts.contentFile === undefined ? undefined : readNotebook(opts.contentFile),
    mode: opts.stage ? 'stage' : opts.detach ? 'detach' : 'foreground',
    placement: placementOption(opts, gpusText(opts.gpus))
  };
  if (req.placement?.on === 'slurm') {
    req.gpus = undefined;
  }
  if (opts.preview) {
    const planned = await previewLaunch(req);
    printWarnings(planned.warnings);
    const { kind, trials, seed } = planned;
    if (opts.json) {
      printJson({ kind, trials, seed });
    } else {
      process.stdout.write(`${previewTrials(planned)}\n`);
    }
    return 0;
  }
  const launched = await launch(req);
  printWarnings(launched.warnings);
  launched.notes.forEach(line => process.stderr.write(`${line}\n`));
  if (launched.kind === 'run' && launched.reused === true) {
    return reportReused(launched.run, opts);
  }
  if (opts.stage) {
    return reportStaged(
      launched.run,
      opts,
      launched.kind === 'batch' ? launched.meta.trials.length : 0
    );
  }
  if (launched.meta.slurm) {
    if (opts.json) {
      printJson(runJson(launched.meta, launched.run.path));
    } else {
      await reportSubmitted(launched.meta);
    }
    return 0;
  }
  if (opts.detach) {
    return reportDetached(launched.run, opts);
  }
  return launched.kind === 'batch'
    ? batchInForeground(launched.run, opts)
    : runInForeground(launched.run, opts, launched.kernel);
}

/** `--needed` found the run done already: says which (or prints its record). */
function reportReused(run: RunDir, opts: IRunOptions): number {
  if (opts.json) {
    printJson(runJson(run.readMeta(), run.path));
  } else {
    process.stdout.write(`${run.id}\n`);
  }
  process.stderr.write(
    `Skipped: run ${run.id.slice(0, 8)} is identical (same notebook and flags) and completed\n`
  );
  return 0;
}

/** Prints a staged run's id (or record), and on stderr how to start it. */
function reportStaged(run: RunDir, opts: IRunOptions, trials: number): number {
  if (opts.json) {
    printJson(runJson(run.readMeta(), run.path));
  } else {
    process.stdout.write(`${run.id}\n`);
  }
  const what = trials ? `batch of ${trials} trials` : 'run';
  process.stderr.write(
    `staged ${what} ${run.id.slice(0, 8)}: start it with nbx start ${run.id.slice(0, 8)}\n`
  );
  return 0;
}
