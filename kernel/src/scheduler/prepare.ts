/**
 * Preparing a run: validate the request, create the run directory, and
 * write everything the run is made of — the snapshot notebook with its flags
 * injected, the source files, the record of what it is (flags, label, tags,
 * source digest, git state).
 *
 * Split in three so a foreground run can start its kernel while the flags
 * are parsed: `planRun` (checks, nothing written), `createRunDir` (the
 * directory and a first meta.json), `materializeRun` (the rest; on a bad
 * flag it removes the run directory again, so nothing is left half-written).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { diskFullOr, UserError } from '../base/errors';
import { readNotebook, serializeNotebook, writeNotebookAtomic } from '../notebook/io';
import type { INotebook } from '../notebook/nbformat';
import type { JSONValue } from '../base/json';
import {
  checkFlagValue,
  flagDefaults,
  injectFlags,
  notebookLanguage,
  resolveFlagValues,
  type FlagLanguage,
  type IFlagDef
} from '../notebook/flags';
import { parseFlagsCached } from '../notebook/flags-cache';
import { expandTrials } from './batch';
import { isText, type FlagAssignment } from './flag-input';
import { getKernelSpec, type IKernelSpec } from '../protocol/kernelspec';
import { isTslabSpec, tslabPackageDir, tslabReadsShorthand } from '../protocol/tslab';
import type { IRunGit, RunMeta } from '../store/meta';
import { resolveRunsRoot } from '../store/root';
import { createRun, type RunDir } from '../store/run-dir';
import { gitInfo } from '../tracking/git';
import { defaultLabel, expandLabel } from './label';
import { snapshotSource } from '../tracking/source';
import { ensureNbxResolvable } from './nbx-package';
import {
  notebookRequirements,
  placeDependencies,
  resolveDependencies,
  type IResolvedDependencies
} from './dependencies';
import { parseOutputScalarsConfig } from '../tracking/output-scan';

export interface IRunRequest {
  /** Path of the notebook (relative to `cwd`). */
  notebook: string;
  /** The notebook's content when it differs from the file (unsaved edits in the editor). */
  content?: INotebook;
  /** The flags' values, as typed or typed already (see flag-input). */
  flags?: FlagAssignment[];
  /**
   * Flag values already typed (a trial of a batch); `flags` assignments win over them.
   * Names the notebook does not declare need `forceFlags`.
   */
  values?: Record<string, JSONValue>;
  /**
   * The flag defaults to record, when `content` is a snapshot whose flags were injected
   * already (a rerun): the label and `flagDefaults` then compare with the original ones.
   */
  defaults?: Record<string, JSONValue>;
  /** The batch this run is a trial of. */
  parent?: string;
  /** `queued` (default: it starts now) or `staged` (it waits for `nbx start`). */
  status?: 'queued' | 'staged';
  /** Inject flags the notebook does not declare instead of refusing them. */
  forceFlags?: boolean;
  kernel?: string;
  /** CUDA_VISIBLE_DEVICES for the kernel: a list, '' for none, undefined to inherit. */
  gpus?: string;
  timeoutS?: number | null;
  allowErrors?: boolean;
  /** A label, with `${flag}` references; default: the flags that differ from the defaults. */
  label?: string;
  tags?: string[];
  /** The command line that asked for the run, recorded as is. */
  command: string[];
  /** Upstream runs to use for the notebook's requirements: `prepare.ipynb` → a run ref. */
  pins?: Record<string, string>;
  /** Copy the files of dependencies into the run instead of linking them. */
  copyDeps?: boolean;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** A validated request: what `createRunDir` and `materializeRun` work from. */
export interface IRunPlan {
  req: IRunRequest;
  notebookPath: string;
  notebook: INotebook;
  spec: IKernelSpec;
  root: string;
  assignments: FlagAssignment[];
  env: NodeJS.ProcessEnv;
  /** The notebook's flags, when parsed already (a batch parses them once for all trials). */
  defs?: IFlagDef[];
  /** The git state, when looked up already (shared by the trials of a batch). */
  git?: Promise<IRunGit | null>;
  /** What the notebook requires, resolved (see dependencies.ts). */
  deps: IResolvedDependencies;
}

export interface IPreparedRun {
  run: RunDir;
  meta: RunMeta;
  /** Lines to show the person (e.g. the source snapshot hit its cap). */
  warnings: string[];
}

/** Checks the request; throws a `UserError` for bad input. Writes nothing. */
export function planRun(req: IRunRequest): IRunPlan {
  const cwd = req.cwd ?? process.cwd();
  const env = req.env ?? process.env;
  const notebookPath = path.resolve(cwd, req.notebook);
  const notebook = req.content ?? readNotebook(notebookPath);
  if (req.content && !fs.existsSync(path.dirname(notebookPath))) {
    throw new UserError(`no such directory: ${path.dirname(notebookPath)}`);
  }
  const spec = chooseKernel(notebook, notebookPath, req.kernel, env);
  if (req.timeoutS !== undefined && req.timeoutS !== null && !(req.timeoutS > 0)) {
    throw new UserError(`invalid --timeout '${req.timeoutS}': give a number of seconds above 0`);
  }
  checkTags(req.tags ?? []);
  parseOutputScalarsConfig(notebook.metadata);
  const root = resolveRunsRoot({ notebookPath, cwd, env });
  const deps = resolveDependencies(notebookRequirements(notebook, notebookPath), {
    root,
    notebookPath,
    pins: req.pins,
    stage: req.status === 'staged',
    cwd
  });
  return { req, notebookPath, notebook, spec, root, assignments: req.flags ?? [], env, deps };
}

/** Refuses a tag with blanks or commas (`--tag`) with a one-line `UserError`. */
export function checkTags(tags: readonly string[]): void {
  for (const tag of tags) {
    if (tag.trim() === '' || /[\s,]/.test(tag)) {
      throw new UserError(`invalid --tag '${tag}': tags have no spaces or commas`);
    }
  }
}

/** The kernel named on the command line, else the notebook's own. */
function chooseKernel(
  nb: INotebook,
  notebookPath: string,
  requested: string | undefined,
  env: NodeJS.ProcessEnv
): IKernelSpec {
  const options = { env, cwd: path.dirname(notebookPath) };
  if (requested) {
    return getKernelSpec(requested, options);
  }
  const ks = nb.metadata.kernelspec;
  const name =
    ks && typeof ks === 'object' && !Array.isArray(ks) && typeof ks.name === 'string'
      ? ks.name
      : null;
  if (!name) {
    throw new UserError(
      `${path.basename(notebookPath)} names no kernel (metadata.kernelspec); choose one with --kernel`
    );
  }
  return getKernelSpec(name, options);
}

/** Creates the run directory with its first record (status `queued`, or `staged`). */
export function createRunDir(plan: IRunPlan): RunDir {
  const { req, spec } = plan;
  return createRun(plan.root, {
    notebook: plan.notebookPath,
    notebookName: path.basename(plan.notebookPath),
    kernel: { name: spec.name, displayName: spec.displayName, language: spec.language },
    status: req.status ?? 'queued',
    parent: req.parent ?? null,
    gpus: req.gpus ?? null,
    command: req.command,
    host: os.hostname(),
    label: req.label ?? null,
    tags: [...new Set(req.tags ?? [])],
    settings: { timeoutS: req.timeoutS ?? null, allowErrors: req.allowErrors ?? false }
  });
}

/**
 * Parses and injects the flags, writes the snapshot notebook, the source
 * files and the run's identity. On any error the run directory is removed
 * and the error rethrown (a full disk as a `DiskFullError`).
 */
export async function materializeRun(plan: IRunPlan, run: RunDir): Promise<IPreparedRun> {
  try {
    return await materialize(plan, run);
  } catch (err) {
    fs.rmSync(run.path, { recursive: true, force: true });
    throw diskFullOr(err, run.path);
  }
}

async function materialize(plan: IRunPlan, run: RunDir): Promise<IPreparedRun> {
  const { req, notebook, notebookPath } = plan;
  const git =
    plan.git ?? gitInfo(path.dirname(notebookPath), { exclude: [plan.root], env: plan.env });
  const language = notebookLanguage(notebook, plan.spec.language);
  const defs =
    plan.defs ?? parseFlagsCached(notebook, language, path.join(plan.root, 'cache', 'flags'));
  await refuseUnreadableShorthand(plan, defs, language, run.path);
  const values: Record<string, JSONValue> = {
    ...typedValues(defs, req.values ?? {}, req.forceFlags === true),
    ...assignedValues(defs, plan.assignments, req.forceFlags === true, notebookPath)
  };
  const defaults = req.defaults ?? flagDefaults(defs);
  const flags: Record<string, JSONValue> = { ...flagDefaults(defs), ...values };
  const snapshot = Object.keys(values).length
    ? injectFlags(notebook, language, values, defs)
    : notebook;
  const label =
    req.label !== undefined
      ? expandLabel(req.label, flags, defaults)
      : defaultLabel(flags, defaults);
  writeNotebookAtomic(run.snapshotPath, snapshot);
  const source = snapshotSource(notebookPath, run.path, {
    runsRoot: plan.root,
    notebook: req.content ? serializeNotebook(req.content) : undefined
  });
  recordSources(run, source.files);
  const deps = placeDependencies(run.path, plan.deps.deps, req.copyDeps === true);
  ensureNbxResolvable(run.path, path.dirname(notebookPath));
  const gitState = await git;
  const meta = run.updateMeta(m => ({
    ...m,
    deps,
    flags,
    flagDefaults: defaults,
    label: label === '' ? null : label,
    sourceDigest: source.digest,
    git: gitState ?? m.git
  }));
  return { run, meta, warnings: [...plan.deps.warnings, ...source.warnings] };
}

/**
 * Refuses, before anything runs, a TypeScript notebook whose later cells use a flag as a
 * shorthand property (`{ lr }`) when the tslab the kernel will run turns that into
 * `ReferenceError: lr is not defined` (tslab 1.0.22 as published; the setup patches the
 * tslab nbx installs, see patches/). Other kernels and fixed tslabs are not checked.
 */
async function refuseUnreadableShorthand(
  plan: IRunPlan,
  defs: readonly IFlagDef[],
  language: FlagLanguage | null,
  kernelCwd: string
): Promise<void> {
  if (defs.length === 0 || language === 'python' || !isTslabSpec(plan.spec)) {
    return;
  }
  const tslab = tslabPackageDir(plan.spec, kernelCwd);
  if (tslab === null || tslabReadsShorthand(tslab)) {
    return;
  }
  const { findShorthandFlagUse } = await import('../notebook/flags-shorthand');
  const names = defs.map(def => def.name);
  const use = findShorthandFlagUse(plan.notebook, defs[0].cellIndex, names);
  if (use !== null) {
    throw new UserError(
      `cell ${use.cellIndex + 1} uses flag '${use.name}' as a shorthand property ` +
        `({ ${use.name} }), which the tslab in ${tslab} runs as ` +
        `"ReferenceError: ${use.name} is not defined": write { ${use.name}: ${use.name} }, ` +
        'or patch that tslab (patches/ in nbx)'
    );
  }
}

/** Lists the copied sources, so the files the run writes can be told from them. */
function recordSources(run: RunDir, files: readonly string[]): void {
  fs.mkdirSync(run.privateDir, { recursive: true });
  fs.writeFileSync(run.sourcesListPath, files.map(file => `${file}\n`).join(''));
}

/**
 * Typed values (a batch's trial): checked against the flags — known, and numbers nbx can
 * record exactly (`checkFlagValue`) — never coerced again.
 */
function typedValues(
  defs: readonly IFlagDef[],
  values: Record<string, JSONValue>,
  force: boolean
): Record<string, JSONValue> {
  const byName = new Map(defs.map(def => [def.name, def]));
  for (const [name, value] of Object.entries(values)) {
    const def = byName.get(name);
    if (def === undefined && !force) {
      throw new UserError(`unknown flag '${name}' (or use --force-flags)`);
    }
    checkFlagValue(def ?? { name }, value);
  }
  return values;
}

/**
 * The values a plain run's assignments give: text coerced to the flags' types (an unknown
 * name refused unless `force`), typed values checked as a batch's are.
 */
function assignedValues(
  defs: readonly IFlagDef[],
  assignments: readonly FlagAssignment[],
  force: boolean,
  notebookPath: string
): Record<string, JSONValue> {
  const notebook = path.basename(notebookPath);
  const typed = assignments.filter(a => !isText(a));
  return {
    ...resolveFlagValues(defs, assignments.filter(isText), { force, notebook }),
    ...(typed.length ? expandTrials(defs, typed, { force, notebook }).trials[0] : {})
  };
}

/** Plans, creates and materializes a run in one go (detached runs, sweeps, the service). */
export async function prepareRun(req: IRunRequest): Promise<IPreparedRun> {
  const plan = planRun(req);
  return materializeRun(plan, createRunDir(plan));
}
