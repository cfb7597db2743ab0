/**
 * `nbx pipelines`: the pipelines nbx.json declares (found from the working directory up),
 * their steps and flags. `nbx run PIPELINE` runs one (see run.ts).
 */
import * as fs from 'fs';
import type { Command } from 'commander';
import { UserError } from '../../base/errors';
import type { JSONValue } from '../../base/json';
import { startDetached } from '../../scheduler/control';
import {
  createPipelineRun,
  planPipeline,
  runPipeline,
  writePipelineRequest
} from '../../scheduler/pipeline';
import { flagText, formatStepData, parseStep } from '../../scheduler/pipeline-steps';
import { findProjectFile, readProjectFile, type IProjectFile } from '../../store/project-file';
import { gpusText, parseTimeout, printWarnings, reportDetached, runInForeground } from '../execute';
import { printJson, runJson, runSummary } from '../format';

/** The project file found from the working directory up; a `UserError` when there is none. */
export function projectFileHere(): IProjectFile {
  const file = findProjectFile(process.cwd());
  if (file === null) {
    throw new UserError(
      `no nbx.json in ${process.cwd()} or above: declare pipelines in nbx.json at the project root`
    );
  }
  return readProjectFile(file);
}

/** A step as listed: its name, or the data as written when it is not a valid step. */
function stepName(data: JSONValue, flags: Record<string, JSONValue>): string {
  try {
    return parseStep(data, flags).name;
  } catch {
    return `(invalid: ${formatStepData(data)})`;
  }
}

export function addPipelinesCommand(program: Command): void {
  program
    .command('pipelines')
    .description('list the pipelines nbx.json declares (run one with nbx run PIPELINE)')
    .option('--json', 'print them as JSON')
    .addHelpText(
      'after',
      `
nbx.json, at the project root (found from the working directory up, as git
finds .git), declares pipelines: flags with defaults, and steps, each a
notebook run (a string, or an object with run, name and flags):

  {
    "pipelines": {
      "end-to-end": {
        "flags": { "lr": 0.01 },
        "steps": ["prepare.ipynb", "train.ipynb lr=\${lr}",
                  { "run": "evaluate.ipynb", "name": "eval" }]
      }
    }
  }

  nbx pipelines
  nbx run end-to-end lr=0.1`
    )
    .action((opts: { json?: boolean }) => {
      const project = projectFileHere();
      const entries = Object.entries(project.pipelines);
      if (opts.json) {
        printJson({
          file: project.path,
          pipelines: entries.map(([name, def]) => ({ name, ...def }))
        });
        return;
      }
      if (entries.length === 0) {
        process.stderr.write(`no pipelines in ${project.path}\n`);
        return;
      }
      const width = Math.max(...entries.map(([name]) => name.length));
      for (const [name, def] of entries) {
        const steps = def.steps.map(step => stepName(step, def.flags)).join(' → ');
        const flags = Object.entries(def.flags).map(([flag, v]) => `${flag}=${flagText(v)}`);
        const tail = flags.length ? `  (${flags.join(' ')})` : '';
        process.stdout.write(`${name.padEnd(width)}  ${steps}${tail}\n`);
        if (def.description) {
          process.stdout.write(`${' '.repeat(width)}  ${def.description}\n`);
        }
      }
    });
}

/**
 * The project file declaring pipeline `name` when `name` is one (not a notebook path, and
 * declared in the nbx.json found from the working directory up), else null. A name that
 * is neither a file nor a pipeline of that nbx.json is a `UserError` naming both.
 */
export function pipelineProject(name: string): IProjectFile | null {
  if (name.toLowerCase().endsWith('.ipynb') || fs.existsSync(name)) {
    return null;
  }
  const file = findProjectFile(process.cwd());
  if (file === null) {
    return null;
  }
  const project = readProjectFile(file);
  if (!Object.prototype.hasOwnProperty.call(project.pipelines, name)) {
    throw new UserError(
      `no such notebook or pipeline: ${name} (nbx pipelines lists those of ${file})`
    );
  }
  return project;
}

/** `nbx run` options a pipeline does not take (its steps are plain runs, run in order). */
const NOT_FOR_PIPELINES: [keyof IPipelineRunOptions, string][] = [
  ['stage', '--stage'],
  ['preview', '--preview'],
  ['kernel', '--kernel'],
  ['maxTrials', '--max-trials'],
  ['seed', '--seed'],
  ['batchFile', '--batch-file'],
  ['parallel', '--parallel'],
  ['gpusPerTrial', '--gpus-per-trial'],
  ['objective', '--objective'],
  ['contentFile', '--content-file']
];

/** The `nbx run` options a pipeline reads. */
export interface IPipelineRunOptions {
  gpus?: string | boolean;
  timeout?: string;
  allowErrors?: boolean;
  forceFlags?: boolean;
  label?: string;
  tag?: string[];
  json?: boolean;
  quiet?: boolean;
  needed?: boolean;
  copyDeps?: boolean;
  detach?: boolean;
  stage?: boolean;
  preview?: boolean;
  kernel?: string;
  maxTrials?: string;
  seed?: string;
  batchFile?: string;
  parallel?: string;
  gpusPerTrial?: string;
  objective?: string;
  contentFile?: string;
}

/**
 * Runs pipeline `name` here: each step's output echoed (unless `quiet` or `json`) with its
 * summary line, then the pipeline's. Returns the exit status (0 when every step completed).
 * With `detach`, a runner process of its own runs it, and its id is printed.
 */
export async function pipelineInForeground(
  name: string,
  project: IProjectFile,
  flags: { name: string; raw: string }[],
  pins: Record<string, string>,
  opts: IPipelineRunOptions
): Promise<number> {
  const refused = NOT_FOR_PIPELINES.find(([key]) => opts[key] !== undefined && opts[key] !== false);
  if (refused !== undefined) {
    throw new UserError(
      `${refused[1]} is not for pipelines: ${name} runs its steps here, in order`
    );
  }
  const plan = planPipeline({
    name,
    project,
    flags,
    pins,
    forceFlags: opts.forceFlags,
    label: opts.label,
    tags: opts.tag,
    needed: opts.needed,
    copyDeps: opts.copyDeps,
    gpus: gpusText(opts.gpus),
    timeoutS: opts.timeout === undefined ? null : parseTimeout(opts.timeout),
    allowErrors: opts.allowErrors,
    command: ['nbx', ...process.argv.slice(2)]
  });
  const pipeline = createPipelineRun(plan);
  if (opts.detach) {
    writePipelineRequest(pipeline, plan.req);
    startDetached(pipeline);
    return reportDetached(pipeline, opts);
  }
  const quiet = opts.quiet === true || opts.json === true;
  const final = await runPipeline(plan, pipeline, {
    onInfo: line => process.stderr.write(`${line}\n`),
    onWarning: line => printWarnings([line]),
    execute: async (run, kernel) => {
      await runInForeground(run, { quiet }, kernel);
      return run.readMeta();
    }
  });
  if (opts.json) {
    printJson(runJson(final, pipeline.path));
  } else {
    process.stderr.write(`${runSummary(final, pipeline.path)}\n`);
  }
  return final.status === 'completed' ? 0 : 1;
}
