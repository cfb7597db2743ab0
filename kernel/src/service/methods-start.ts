/**
 * Service methods that start runs, and those behind the "Run as experiment" dialog: a
 * notebook's flags, the kernels and GPUs to choose from, the trials a set of values
 * makes, starting a run or a sweep, and restarting a finished run.
 */
import * as path from 'path';
import { UserError } from '../base/errors';
import { notebookLanguage, parseFlags, type IFlagDef } from '../notebook/flags';
import { parseNotebook, readNotebook } from '../notebook/io';
import type { JSONValue } from '../base/json';
import type { INotebook } from '../notebook/nbformat';
import { getKernelSpec, runKernelSpecs } from '../protocol/kernelspec';
import { expandTrials, parseFlagDomain, type BatchKind, type IBatchPlan } from '../scheduler/batch';
import { unknownFlagError } from '../scheduler/batch-file';
import { startDetached } from '../scheduler/control';
import { launch } from '../scheduler/launch';
import { prepareRestart } from '../scheduler/restart';
import { applyTagChanges } from '../store/tags';
import { withEffectiveStatus } from '../store/runs';
import { parseGpuList, resolveGpus } from '../scheduler/gpu-list';
import { queryGpus } from '../tracking/gpus';
import { runOf } from './methods-read';
import { placementParam } from './placement-param';
import { oneLine, type IMethodReply, type IServiceContext, type RequestOf } from './protocol';
import {
  optionalBoolean,
  optionalNumber,
  optionalObject,
  optionalString,
  optionalStringList,
  ParamError,
  requireString,
  type Params
} from './params';

/** The notebook of a request: its `content` param (validated), else the file at `path`. */
function notebookOf(params: Params, file: string): INotebook {
  const content = optionalObject(params, 'content');
  return content === undefined
    ? readNotebook(file)
    : parseNotebook(JSON.stringify(content), path.basename(file));
}

/**
 * `flags({ path, content?, kernel? })`: the notebook's flags as `nbx flags` reads them:
 * `{ language, kernel, flags: IFlagDef[] }` where `kernel` is the kernelspec name the
 * notebook names (or the `kernel` param) and `language` the one its flags cell is read in.
 */
export function flagsMethod(
  params: RequestOf<'flags'>,
  context: IServiceContext
): IMethodReply<'flags'> {
  const { language, kernel, defs } = notebookFlags(params, context);
  return { json: { language, kernel, flags: defs } };
}

/** What `flags` and `previewTrials` read from a request's notebook. */
interface INotebookFlags {
  file: string;
  notebook: INotebook;
  language: ReturnType<typeof notebookLanguage>;
  /** The kernelspec name of the `kernel` param, else the one the notebook names. */
  kernel: string | null;
  defs: IFlagDef[];
}

function notebookFlags(params: Params, context: IServiceContext): INotebookFlags {
  const file = path.resolve(context.cwd, requireString(params, 'path'));
  const notebook = notebookOf(params, file);
  const requested = optionalString(params, 'kernel');
  const spec = requested
    ? getKernelSpec(requested, { env: context.env, cwd: path.dirname(file) })
    : null;
  const ks = notebook.metadata.kernelspec;
  const named =
    ks && typeof ks === 'object' && !Array.isArray(ks) && typeof ks.name === 'string'
      ? ks.name
      : null;
  const language = notebookLanguage(notebook, spec?.language);
  return {
    file,
    notebook,
    language,
    kernel: spec?.name ?? named,
    defs: parseFlags(notebook, language)
  };
}

/** The most trials `previewTrials` lists (`count` is always the full number). */
export const PREVIEW_TRIALS_LIMIT = 100;

/** What a flag's value makes: one value, a list of values, or a distribution. */
export type ValueKind = 'value' | 'values' | 'distribution';

/** The result of `previewTrials`. */
export interface ITrialsPreview {
  /** The kind of batch; null when a value is invalid or the batch cannot be made. */
  kind: BatchKind | null;
  /** How many trials the values make (0 when they make none). */
  count: number;
  /** The first `PREVIEW_TRIALS_LIMIT` trials: the assigned flags of each. */
  trials: Record<string, JSONValue>[];
  /** The seed random choices used, else null. */
  seed: number | null;
  /** The size of the full grid of a `grid`, else null. */
  gridSize: number | null;
  /** Per flag, what its value makes (flags whose value is invalid are left out). */
  values: Record<string, ValueKind>;
  /** Per flag, the one-line error of its value (an unknown flag, a value that is not valid). */
  errors: Record<string, string>;
  /** An error of the batch as a whole (e.g. a random search without `maxTrials`), else null. */
  error: string | null;
  warnings: string[];
}

/**
 * `previewTrials({ path, content?, kernel?, flags, maxTrials?, seed? })`: the trials the
 * `flags` values (`{ name: 'VALUE as typed' }`, as `nbx run NAME=VALUE`) make for the
 * notebook, for the dialog to show the number of trials live and refuse bad values before
 * anything starts. Bad values are not failures: each is a one-line message in `errors`
 * under its flag's name; a problem of the whole batch is in `error`.
 */
export function previewTrialsMethod(
  params: RequestOf<'previewTrials'>,
  context: IServiceContext
): IMethodReply<'previewTrials'> {
  const { file, defs } = notebookFlags(params, context);
  const assignments = assignmentsOf(optionalObject(params, 'flags'));
  const maxTrials = optionalNumber(params, 'maxTrials');
  const seed = optionalNumber(params, 'seed');
  const preview: ITrialsPreview = {
    kind: null,
    count: 0,
    trials: [],
    seed: null,
    gridSize: null,
    values: {},
    errors: {},
    error: null,
    warnings: []
  };
  const byName = new Map(defs.map(def => [def.name, def]));
  const notebook = path.basename(file);
  for (const { name, raw } of assignments) {
    const def = byName.get(name);
    try {
      if (def === undefined) {
        throw unknownFlagError(defs, name, notebook);
      }
      preview.values[name] = parseFlagDomain(def, name, raw).kind;
    } catch (err) {
      preview.errors[name] = oneLine(err);
    }
  }
  if (Object.keys(preview.errors).length > 0) {
    return { json: preview };
  }
  let plan: IBatchPlan;
  try {
    plan = expandTrials(defs, assignments, { maxTrials, seed, notebook });
  } catch (err) {
    if (err instanceof UserError) {
      return { json: { ...preview, error: oneLine(err) } };
    }
    throw err;
  }
  return {
    json: {
      ...preview,
      kind: plan.kind,
      count: plan.trials.length,
      trials: plan.trials.slice(0, PREVIEW_TRIALS_LIMIT),
      seed: plan.seed,
      gridSize: plan.gridSize,
      warnings: plan.warnings
    }
  };
}

/** `kernels()`: the installed kernelspecs runs can use, `[{ name, displayName, language }]`. */
export function kernelsMethod(
  _params: RequestOf<'kernels'>,
  context: IServiceContext
): IMethodReply<'kernels'> {
  const specs = [...runKernelSpecs({ env: context.env, cwd: context.cwd }).values()]
    .map(spec => ({ name: spec.name, displayName: spec.displayName, language: spec.language }))
    .sort((a, b) => a.name.localeCompare(b.name));
  return { json: specs };
}

/** `gpus()`: what nvidia-smi reports, `{ gpus: GpuInfo[], reason }` (see tracking/gpus). */
export async function gpusMethod(
  _params: RequestOf<'gpus'>,
  context: IServiceContext
): Promise<IMethodReply<'gpus'>> {
  return { json: await queryGpus({ env: context.env }) };
}

/**
 * The `gpus` param of `startRun`: a list of indexes/UUIDs or a `'0,2'` string; `[]` or
 * `''` for CPU only; absent or null to inherit CUDA_VISIBLE_DEVICES. A GPU nvidia-smi does
 * not list (when it lists any) is a one-line error.
 */
async function gpusParam(params: Params, context: IServiceContext): Promise<string | undefined> {
  const gpus = gpusText(params);
  if (gpus !== undefined) {
    await resolveGpus(gpus, context.env);
  }
  return gpus;
}

function gpusText(params: Params): string | undefined {
  const value = params.gpus;
  if (value === undefined || value === null) {
    return undefined;
  }
  const list = Array.isArray(value) ? value : typeof value === 'string' ? [value] : null;
  if (list === null || !list.every(v => typeof v === 'string' || typeof v === 'number')) {
    throw new ParamError("parameter 'gpus' must be a list of GPU indexes or a string like '0,2'");
  }
  const text = list.map(String).join(',').trim();
  return text === '' ? '' : parseGpuList(text);
}

/**
 * `startRun({ path, content?, kernel?, gpus?, timeout?, allowErrors?, label?, tags?, flags?,
 * parallel?, maxTrials?, seed?, gpusPerTrial?, objective?, placement?, root?, standby? })`: snapshots the
 * notebook (`content`, the editor's unsaved state, when given; else the file at `path`,
 * relative to the service's directory) and starts it detached in the service's runs root.
 *
 * `flags` are `{ name: value }`, a string value as typed (`'0.01'`, `'[0.001,0.01]'`,
 * `'uniform[0:1]'`). When they make one trial this creates the run and starts its runner;
 * when they make several (lists, sequences, distributions with `maxTrials`) a batch and
 * its runner. Result `{ id, path, meta }` (for a sweep: the batch run, whose `meta.trials`
 * lists its trials' ids). Bad input fails with the one line `nbx run` prints.
 *
 * A single run takes the service's standby kernel when one is held for exactly it, and
 * leaves one for the next run of its kernelspec and GPUs (see scheduler/standby.ts);
 * `standby: false` (the setting off) discards the one held and leaves none.
 */
export async function startRunMethod(
  params: RequestOf<'startRun'>,
  context: IServiceContext
): Promise<IMethodReply<'startRun'>> {
  const notebook = path.resolve(context.cwd, requireString(params, 'path'));
  const root = context.rootFor(params);
  const content = optionalObject(params, 'content');
  const env = { ...context.env, NBX_HOME: root };
  const standby =
    optionalBoolean(params, 'standby') === false
      ? await context.standby?.discard()
      : await context.standby?.get();
  const launched = await launch({
    notebook,
    content:
      content === undefined
        ? undefined
        : parseNotebook(JSON.stringify(content), path.basename(notebook)),
    flags: assignmentsOf(optionalObject(params, 'flags')),
    kernel: optionalString(params, 'kernel'),
    gpus: gpusText(params),
    timeoutS: optionalNumber(params, 'timeout') ?? null,
    allowErrors: optionalBoolean(params, 'allowErrors'),
    label: optionalString(params, 'label')?.trim() || undefined,
    tags: applyTagChanges([], optionalStringList(params, 'tags') ?? []),
    parallel: optionalPositiveInteger(params, 'parallel'),
    maxTrials: optionalPositiveInteger(params, 'maxTrials'),
    seed: optionalNumber(params, 'seed'),
    gpusPerTrial: optionalPositiveInteger(params, 'gpusPerTrial'),
    objective: optionalString(params, 'objective')?.trim() || undefined,
    mode: 'detach',
    placement: placementParam(params),
    oneTrialAsRun: true,
    cwd: context.cwd,
    // Runs started from JupyterLab go where the Runs panel looks.
    env,
    standby
  });
  const { run, meta } = launched;
  if (standby !== undefined && launched.kind === 'run' && meta.kernel !== null) {
    // The next run of this notebook, kernelspec and GPUs starts on a kernel ready now.
    const target = { root, notebook: meta.notebook, kernel: meta.kernel.name, gpus: meta.gpus };
    standby.prepare({ ...target, env });
  }
  return { json: { id: run.id, path: run.path, meta: withEffectiveStatus(meta) } };
}

/**
 * `restartRun({ id, flags?, gpus?, root? })`: runs a finished run again in its own
 * directory, detached, as `nbx restart ID NAME=VALUE... --detach` does: `flags` changes
 * values (`{ name: 'value as typed' }`), `gpus` as for `startRun` (absent: the run's
 * own). A batch runs its unfinished trials again. Result: the record, now queued (its
 * runner waits for its GPUs, reserved like a trial's). A run still going, or never
 * started, is a one-line error.
 */
export async function restartRunMethod(
  params: RequestOf<'restartRun'>,
  context: IServiceContext
): Promise<IMethodReply<'restartRun'>> {
  const run = runOf(params, context);
  const flags = flagArgs(params);
  prepareRestart(run, { flags, gpus: await gpusParam(params, context) });
  startDetached(run);
  return { json: withEffectiveStatus(run.readMeta()) };
}

/** A positive integer param, or undefined when absent. */
function optionalPositiveInteger(params: Params, name: string): number | undefined {
  const value = optionalNumber(params, name);
  if (value !== undefined && (!Number.isSafeInteger(value) || value < 1)) {
    throw new ParamError(`parameter '${name}' must be a positive integer, not ${value}`);
  }
  return value;
}

/**
 * The `flags` param as `NAME=VALUE` assignments: a string value is the value as typed, any
 * other JSON value is written as JSON (`0.01`, `[64,32]`, `true`).
 */
function assignmentsOf(flags: Params | undefined): { name: string; raw: string }[] {
  return Object.entries(flags ?? {}).map(([name, value]) => ({
    name,
    raw: typeof value === 'string' ? value : JSON.stringify(value)
  }));
}

/** The `flags` param as `nbx restart`'s `NAME=VALUE` arguments. */
function flagArgs(params: Params): string[] {
  return assignmentsOf(optionalObject(params, 'flags')).map(a => `${a.name}=${a.raw}`);
}
