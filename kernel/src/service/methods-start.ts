/**
 * Service methods behind the "Run as experiment" dialog: a notebook's flags, the
 * kernels and GPUs to choose from, and starting a run.
 */
import * as path from 'path';
import { UserError } from '../errors';
import { notebookLanguage, parseFlags } from '../notebook/flags';
import { parseNotebook, readNotebook } from '../notebook/io';
import type { INotebook } from '../notebook/nbformat';
import { findKernelSpecs, getKernelSpec } from '../protocol/kernelspec';
import { spawnDetachedRunner } from '../scheduler/control';
import { prepareRun, type IRunRequest } from '../scheduler/prepare';
import { applyTagChanges } from '../store/tags';
import { withEffectiveStatus } from '../store/runs';
import { parseGpuList, queryGpus } from '../tracking/gpus';
import type { IMethodResult, IServiceContext } from './protocol';
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

/** The language of kernelspecs that are nbx service kernels (hidden from kernel lists). */
export const SERVICE_LANGUAGE = 'nbx';

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
export function flagsMethod(params: Params, context: IServiceContext): IMethodResult {
  const file = path.resolve(context.cwd, requireString(params, 'path'));
  const nb = notebookOf(params, file);
  const requested = optionalString(params, 'kernel');
  const spec = requested
    ? getKernelSpec(requested, { env: context.env, cwd: path.dirname(file) })
    : null;
  const ks = nb.metadata.kernelspec;
  const named =
    ks && typeof ks === 'object' && !Array.isArray(ks) && typeof ks.name === 'string'
      ? ks.name
      : null;
  const language = notebookLanguage(nb, spec?.language);
  return { json: { language, kernel: spec?.name ?? named, flags: parseFlags(nb, language) } };
}

/** `kernels()`: the installed kernelspecs runs can use, `[{ name, displayName, language }]`. */
export function kernelsMethod(_params: Params, context: IServiceContext): IMethodResult {
  const specs = [...findKernelSpecs({ env: context.env, cwd: context.cwd }).values()]
    .filter(spec => spec.language !== SERVICE_LANGUAGE)
    .map(spec => ({ name: spec.name, displayName: spec.displayName, language: spec.language }))
    .sort((a, b) => a.name.localeCompare(b.name));
  return { json: specs };
}

/** `gpus()`: what nvidia-smi reports, `{ gpus: GpuInfo[], reason }` (see tracking/gpus). */
export async function gpusMethod(
  _params: Params,
  context: IServiceContext
): Promise<IMethodResult> {
  return { json: await queryGpus({ env: context.env }) };
}

/**
 * The `gpus` param of `startRun`: a list of indexes/UUIDs or a `'0,2'` string; `[]` or
 * `''` for CPU only; absent or null to inherit CUDA_VISIBLE_DEVICES.
 */
function gpusParam(params: Params): string | undefined {
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
 * `startRun({ path, content?, kernel?, gpus?, timeout?, allowErrors?, label?, tags?, root? })`:
 * snapshots the notebook (`content`, the editor's unsaved state, when given; else the file at
 * `path`, relative to the service's directory), creates the run in the service's runs root
 * and starts it detached. Result `{ id, path, meta }`.
 */
export async function startRunMethod(
  params: Params,
  context: IServiceContext
): Promise<IMethodResult> {
  const notebook = path.resolve(context.cwd, requireString(params, 'path'));
  const content = optionalObject(params, 'content');
  const kernel = optionalString(params, 'kernel');
  const gpus = gpusParam(params);
  const timeoutS = optionalNumber(params, 'timeout');
  const allowErrors = optionalBoolean(params, 'allowErrors');
  const label = optionalString(params, 'label')?.trim() || null;
  const tags = applyTagChanges([], optionalStringList(params, 'tags') ?? []);
  const root = context.rootFor(params);
  const request: IRunRequest = {
    notebook,
    kernel,
    gpus,
    timeoutS: timeoutS ?? null,
    allowErrors,
    flags: flagAssignments(optionalObject(params, 'flags')),
    label: label ?? undefined,
    tags,
    command: equivalentCommand(notebook, { kernel, gpus, timeoutS, allowErrors, label, tags }),
    cwd: context.cwd,
    // Runs started from JupyterLab go where the Runs panel looks.
    env: { ...context.env, NBX_HOME: root }
  };
  if (content !== undefined) {
    request.content = parseNotebook(JSON.stringify(content), path.basename(notebook));
  }
  const { run, meta } = await prepareRun(request);
  if (spawnDetachedRunner(run) < 0) {
    throw new UserError(`run ${run.id.slice(0, 8)} was created but its runner could not start`);
  }
  return { json: { id: run.id, path: run.path, meta: withEffectiveStatus(meta) } };
}

/** `{ lr: 0.01, name: 'x' }` as the `NAME=VALUE` assignments `nbx run` takes. */
function flagAssignments(flags: Record<string, unknown> | undefined): string[] {
  return Object.entries(flags ?? {}).map(
    ([name, value]) => `${name}=${typeof value === 'string' ? value : JSON.stringify(value)}`
  );
}

/** The `nbx run` command line equivalent to a `startRun` request, recorded in the run. */
function equivalentCommand(
  notebook: string,
  o: {
    kernel?: string;
    gpus?: string;
    timeoutS?: number;
    allowErrors?: boolean;
    label: string | null;
    tags: string[];
  }
): string[] {
  const command = ['nbx', 'run', notebook, '--detach'];
  if (o.kernel) {
    command.push('--kernel', o.kernel);
  }
  if (o.gpus !== undefined) {
    command.push(...(o.gpus === '' ? ['--no-gpus'] : ['--gpus', o.gpus]));
  }
  if (o.timeoutS !== undefined) {
    command.push('--timeout', String(o.timeoutS));
  }
  if (o.allowErrors) {
    command.push('--allow-errors');
  }
  if (o.label !== null) {
    command.push('--label', o.label);
  }
  for (const tag of o.tags) {
    command.push('--tag', tag);
  }
  return command;
}
