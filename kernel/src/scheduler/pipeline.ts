/**
 * Pipelines (nbx.json `pipelines`): a parent run (`kind: 'pipeline'`, which executes no
 * notebook itself) and its steps run in order, each a normal run launched through
 * `launch` with `parent` set. The parent's directory links each step's run by the step's
 * name (`_2`, `_3` on repeats); its record lists the steps and carries their scalars
 * (later steps' values win), so comparing pipelines compares what their steps measured.
 * A step that fails, or cannot start, fails the pipeline and nothing after it runs. A
 * step given list values is a sweep: its batch is the step.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { errorMessage, UserError } from '../base/errors';
import type { JSONValue } from '../base/json';
import { flagDefaults, resolveFlagValues, type IFlagDef } from '../notebook/flags';
import type { KernelManager } from '../protocol/manager';
import type { RunMeta } from '../store/meta';
import { readProjectFile, type IPipelineDef, type IProjectFile } from '../store/project-file';
import { processStartToken } from '../store/process';
import { resolveRunsRoot } from '../store/root';
import { createRun, type RunDir } from '../store/run-dir';
import { defaultLabel, expandLabel } from './label';
import { launch, type ILaunchRequest } from './launch';
import {
  forcedStepFlags,
  linkNames,
  parseStep,
  stepCommand,
  type IPipelineStep
} from './pipeline-steps';
import { checkTags } from './prepare';
import { runBatch } from './queue';
import { executeRun } from './runner';
import { registerStoppable, requestStop, stopActive } from './stop-requests';

/** `nbx run PIPELINE ...`: what to run and the options every step gets. */
export interface IPipelineRequest {
  /** The pipeline's name in the project file. */
  name: string;
  project: IProjectFile;
  /** `flag=value` for the pipeline; `STEP:flag=value` (with `forceFlags`) for a step. */
  flags?: { name: string; raw: string }[];
  forceFlags?: boolean;
  label?: string;
  tags?: string[];
  /** Reuse each step's identical completed run (see `ILaunchRequest.needed`). */
  needed?: boolean;
  copyDeps?: boolean;
  pins?: Record<string, string>;
  gpus?: string;
  timeoutS?: number | null;
  allowErrors?: boolean;
  command: string[];
  env?: NodeJS.ProcessEnv;
}

/** A pipeline request checked: nothing is written until it runs. */
export interface IPipelinePlan {
  req: IPipelineRequest;
  def: IPipelineDef;
  /** The project file's directory: step notebooks are relative to it. */
  dir: string;
  root: string;
  flags: Record<string, JSONValue>;
  defaults: Record<string, JSONValue>;
  /** `STEP:flag=value` assignments, for the steps they name. */
  forced: { name: string; raw: string }[];
}

/** How a pipeline reports while it runs. */
export interface IPipelineEvents {
  /** `running train: train.ipynb lr=0.1`, `Using run <id> for prepare.ipynb`, ... */
  onInfo?: (line: string) => void;
  onWarning?: (line: string) => void;
  /** Executes a step's run (default: `executeRun`, silent) and resolves with its record. */
  execute?: (run: RunDir, kernel?: Promise<KernelManager>) => Promise<RunMeta>;
}

/** A pipeline flag's definition, typed by its default. */
function flagDefOf(name: string, value: JSONValue): IFlagDef {
  const type = Array.isArray(value)
    ? 'list'
    : value === null
      ? 'null'
      : typeof value === 'number'
        ? 'number'
        : typeof value === 'boolean'
          ? 'boolean'
          : 'string';
  return { name, type, default: value, description: null, cellIndex: 0 };
}

/**
 * Checks the request: the pipeline exists, its flags are known (or forced), tags are
 * valid. Throws a one-line `UserError`; writes nothing.
 */
export function planPipeline(req: IPipelineRequest): IPipelinePlan {
  const { project, name } = req;
  if (!Object.prototype.hasOwnProperty.call(project.pipelines, name)) {
    throw new UserError(`no pipeline '${name}' in ${project.path} (see nbx pipelines)`);
  }
  checkTags(req.tags ?? []);
  const def = project.pipelines[name];
  const defs = Object.entries(def.flags).map(([flag, value]) => flagDefOf(flag, value));
  const qualified = (req.flags ?? []).filter(a => a.name.includes(':'));
  const plain = (req.flags ?? []).filter(a => !a.name.includes(':'));
  if (req.forceFlags !== true) {
    const declared = (name: string): boolean =>
      Object.prototype.hasOwnProperty.call(def.flags, name);
    const unknown = [...qualified, ...plain].find(a => !declared(a.name));
    if (unknown !== undefined) {
      throw new UserError(
        `unsupported flag '${unknown.name}' for pipeline ${name}: see nbx pipelines for its ` +
          'flags, or use --force-flags to pass STEP:FLAG=VALUE to a step'
      );
    }
  }
  const defaults = flagDefaults(defs);
  const values = resolveFlagValues(defs, plain, {
    force: req.forceFlags === true,
    notebook: `pipeline ${name}`
  });
  const dir = path.dirname(project.path);
  const env = req.env ?? process.env;
  return {
    req,
    def,
    dir,
    root: resolveRunsRoot({ cwd: dir, env }),
    flags: { ...defaults, ...values },
    defaults,
    forced: qualified
  };
}

/** Where a pipeline's run keeps its request, for a detached runner to read back. */
const REQUEST_FILE = 'pipeline.json';

/** Keeps `req` with `pipeline`'s run (its private directory) for `readPipelineRequest`. */
export function writePipelineRequest(pipeline: RunDir, req: IPipelineRequest): void {
  const { project, env, ...rest } = req;
  void env; // the runner has its own, inherited from whoever started it
  fs.mkdirSync(pipeline.privateDir, { recursive: true });
  const saved = { ...rest, projectFile: project.path };
  fs.writeFileSync(path.join(pipeline.privateDir, REQUEST_FILE), `${JSON.stringify(saved)}\n`);
}

/** The request `writePipelineRequest` kept, its project file read again. */
export function readPipelineRequest(pipeline: RunDir): IPipelineRequest {
  const text = fs.readFileSync(path.join(pipeline.privateDir, REQUEST_FILE), 'utf8');
  const { projectFile, ...rest } = JSON.parse(text) as Omit<IPipelineRequest, 'project'> & {
    projectFile: string;
  };
  return { ...rest, project: readProjectFile(projectFile) };
}

/** Writes the pipeline's parent run, `queued`. */
export function createPipelineRun(plan: IPipelinePlan): RunDir {
  const { req } = plan;
  const label =
    req.label !== undefined
      ? expandLabel(req.label, plan.flags, plan.defaults)
      : defaultLabel(plan.flags, plan.defaults);
  return createRun(plan.root, {
    notebook: req.project.path,
    notebookName: req.name,
    kind: 'pipeline',
    status: 'queued',
    flags: plan.flags,
    flagDefaults: plan.defaults,
    label: label === '' ? null : label,
    tags: [...new Set(req.tags ?? [])],
    gpus: req.gpus ?? null,
    command: req.command,
    host: os.hostname(),
    settings: { timeoutS: req.timeoutS ?? null, allowErrors: req.allowErrors ?? false }
  });
}

/**
 * Runs the steps of `pipeline` (written by `createPipelineRun`) here, in order, and
 * records how the pipeline ended. Resolves with its final record; never throws for a
 * failing step.
 */
export async function runPipeline(
  plan: IPipelinePlan,
  pipeline: RunDir,
  events: IPipelineEvents = {}
): Promise<RunMeta> {
  pipeline.updateMeta(m => ({
    ...m,
    status: 'running',
    pid: process.pid,
    pidStart: processStartToken(process.pid),
    started: new Date().toISOString()
  }));
  let stopReason: string | null = null;
  let current: string | null = null;
  const unregister = registerStoppable(pipeline, reason => {
    stopReason ??= reason;
    if (current !== null) {
      stopActive(current, reason);
    }
  });
  let error: string | null = null;
  try {
    const steps = plan.def.steps.map(data => parseStep(data, plan.flags));
    const links = linkNames(steps.map(s => s.name));
    for (const [i, step] of steps.entries()) {
      if (stopReason !== null) {
        break;
      }
      const meta = await runStep(plan, pipeline, step, links[i], events, run => {
        current = run.id;
        // Stopped while the step was being prepared: it stops as soon as it starts.
        if (stopReason !== null) {
          requestStop(run, stopReason);
        }
      });
      current = null;
      if (meta.status !== 'completed') {
        error = `step ${links[i]} ${meta.status === 'terminated' ? 'stopped' : 'failed'}`;
        break;
      }
    }
  } catch (err) {
    error = errorMessage(err);
  } finally {
    unregister();
  }
  const status = stopReason !== null ? 'terminated' : error === null ? 'completed' : 'error';
  return pipeline.updateMeta(m => ({
    ...m,
    status,
    error: stopReason ?? error,
    stopped: new Date().toISOString(),
    exitCode: status === 'completed' ? 0 : 1
  }));
}

/** Launches one step, links it under the pipeline, executes it, rolls its scalars up. */
async function runStep(
  plan: IPipelinePlan,
  pipeline: RunDir,
  step: IPipelineStep,
  link: string,
  events: IPipelineEvents,
  onStarted: (run: RunDir) => void
): Promise<RunMeta> {
  const { req } = plan;
  step.warnings.forEach(w => events.onWarning?.(w));
  const flags = [...step.flags, ...forcedStepFlags(step, plan.forced)];
  const options = { label: req.label, tags: req.tags };
  events.onInfo?.(`running ${step.name}: ${stepCommand(step, flags, options)}`);
  const launchReq: ILaunchRequest = {
    notebook: step.notebook,
    flags,
    forceFlags: req.forceFlags,
    label: req.label,
    tags: req.tags,
    gpus: req.gpus,
    timeoutS: req.timeoutS,
    allowErrors: req.allowErrors,
    pins: req.pins,
    copyDeps: req.copyDeps,
    needed: req.needed === true || step.needed,
    parent: pipeline.id,
    mode: 'foreground',
    cwd: plan.dir,
    env: req.env
  };
  const launched = await launch(launchReq);
  launched.warnings.forEach(w => events.onWarning?.(w));
  launched.notes.forEach(line => events.onInfo?.(line));
  fs.symlinkSync(path.join('..', launched.run.id), path.join(pipeline.path, link));
  pipeline.updateMeta(m => ({
    ...m,
    steps: [...(m.steps ?? []), { name: link, run: launched.run.id }]
  }));
  let final: RunMeta;
  if (launched.kind === 'batch') {
    // A step with list values is a sweep: its batch runs here, its trials one by one.
    onStarted(launched.run);
    final = await runBatch(launched.run, { env: req.env });
  } else if (launched.reused === true) {
    events.onInfo?.(`Skipped ${step.name}: run ${launched.run.id} is identical and completed`);
    final = launched.meta;
  } else {
    onStarted(launched.run);
    final = await (events.execute ?? ((run, kernel) => executeRun(run, { kernel })))(
      launched.run,
      launched.kernel
    );
  }
  // A step's system metrics describe its kernel, not the pipeline's.
  const measured = Object.entries(final.scalars).filter(([key]) => !key.startsWith('sys/'));
  pipeline.updateMeta(m => ({ ...m, scalars: { ...m.scalars, ...Object.fromEntries(measured) } }));
  return final;
}
