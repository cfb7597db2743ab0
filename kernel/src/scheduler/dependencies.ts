/**
 * Run dependencies: what a notebook `requires` (its `metadata.nbx.requires`, else its
 * entry in nbx.json) — files of the project, or files an earlier run of another notebook
 * wrote — resolved before its run starts and linked (or copied) into the run directory.
 *
 * A run requirement resolves to the latest completed run of that notebook, or to the run
 * the command line names (`prepare.ipynb=RUNID`). Whatever cannot be resolved is an error
 * before any kernel starts; for a staged run, a warning.
 */
import * as fs from 'fs';
import * as path from 'path';
import ignore from 'ignore';
import { UserError } from '../base/errors';
import type { INotebook } from '../notebook/nbformat';
import { latestCompletedRun } from '../store/completed-runs';
import type { IRunDependency } from '../store/meta';
import {
  findProjectFile,
  notebookEntry,
  parseRequirements,
  readProjectFile,
  type Requirement
} from '../store/project-file';
import { listRunFiles } from '../store/run-files';
import { RunDir } from '../store/run-dir';
import { resolveRunRef } from '../store/runs';

/** A requirement resolved: where each file comes from and where it goes in the run. */
export interface IResolvedDependency {
  kind: 'file' | 'run';
  source: string;
  run: string | null;
  /** `from`: absolute path; `to`: path relative to the run directory. */
  files: { from: string; to: string }[];
}

/** Dependencies resolved for one launch, and the lines that tell how. */
export interface IResolvedDependencies {
  deps: IResolvedDependency[];
  /** `Resolving prepare.ipynb`, `Using run <id> for prepare.ipynb`. */
  notes: string[];
  /** What could not be resolved (for a staged run; otherwise it throws). */
  warnings: string[];
}

/** Where a launch resolves its dependencies. */
export interface IResolveOptions {
  /** The runs root. */
  root: string;
  notebookPath: string;
  /** Upstream runs named on the command line: `prepare.ipynb` → a run id, prefix or index. */
  pins?: Readonly<Record<string, string>>;
  /** Resolve what can be resolved and warn about the rest (a staged run). */
  stage?: boolean;
  /** Relative pin names resolve against it (the command line's directory). */
  cwd?: string;
}

/**
 * What the notebook requires: its `metadata.nbx.requires`, else its entry in the project
 * file found above it, else nothing. Throws a `UserError` naming where an entry is bad.
 */
export function notebookRequirements(nb: INotebook, notebookPath: string): Requirement[] {
  const settings = nb.metadata.nbx;
  if (settings && typeof settings === 'object' && !Array.isArray(settings)) {
    if (settings.requires !== undefined) {
      const where = `${path.basename(notebookPath)} metadata.nbx.requires`;
      return parseRequirements(settings.requires, where);
    }
  }
  const file = findProjectFile(path.dirname(notebookPath));
  return file === null ? [] : (notebookEntry(readProjectFile(file), notebookPath)?.requires ?? []);
}

/** `/`-separated, for records and messages. */
const slashed = (p: string): string => p.split(path.sep).join('/');

/**
 * Resolves `requirements` of the notebook at `options.notebookPath`; throws a one-line
 * `UserError` for the first one missing (unless `stage`). Writes nothing.
 */
export function resolveDependencies(
  requirements: readonly Requirement[],
  options: IResolveOptions
): IResolvedDependencies {
  const result: IResolvedDependencies = { deps: [], notes: [], warnings: [] };
  const notebookDir = path.dirname(options.notebookPath);
  const name = path.basename(options.notebookPath);
  for (const req of requirements) {
    try {
      if ('file' in req) {
        result.deps.push(resolveFile(req.file, notebookDir, name));
      } else {
        result.notes.push(`Resolving ${req.run}`);
        const dep = resolveRun(req.run, req.select, notebookDir, options);
        result.notes.push(`Using run ${dep.run} for ${req.run}`);
        result.deps.push(dep);
      }
    } catch (err) {
      if (!(err instanceof UserError) || options.stage !== true) {
        throw err;
      }
      result.warnings.push(err.message);
    }
  }
  return result;
}

function resolveFile(file: string, notebookDir: string, name: string): IResolvedDependency {
  const from = path.resolve(notebookDir, file);
  if (!fs.existsSync(from)) {
    throw new UserError(`missing dependency of ${name}: no file ${file}`);
  }
  const rel = path.relative(notebookDir, from);
  const to = rel.startsWith('..') || path.isAbsolute(rel) ? path.basename(from) : rel;
  return { kind: 'file', source: file, run: null, files: [{ from, to: slashed(to) }] };
}

/** The run the command line names for `ref`, if it names one. */
function pinned(ref: string, upstream: string, options: IResolveOptions): string | undefined {
  const cwd = options.cwd ?? process.cwd();
  for (const [name, id] of Object.entries(options.pins ?? {})) {
    if (name === ref || path.resolve(cwd, name) === upstream) {
      return id;
    }
  }
  return undefined;
}

function resolveRun(
  ref: string,
  select: string | undefined,
  notebookDir: string,
  options: IResolveOptions
): IResolvedDependency {
  const upstream = path.resolve(notebookDir, ref);
  const pin = pinned(ref, upstream, options);
  let id: string;
  if (pin !== undefined) {
    const meta = resolveRunRef(options.root, pin).readMeta();
    if (meta.notebook !== upstream) {
      throw new UserError(`run ${meta.id} is a run of ${meta.notebookName}, not of ${ref}`);
    }
    id = meta.id;
  } else {
    const latest = latestCompletedRun(options.root, upstream);
    if (latest === null) {
      throw new UserError(
        `missing dependency of ${path.basename(options.notebookPath)}: no completed run of ` +
          `${ref} (run it first, or name one with ${ref}=RUNID)`
      );
    }
    id = latest.id;
  }
  const selected = select === undefined ? null : ignore().add(select);
  const files = listRunFiles(new RunDir(options.root, id))
    .filter(f => f.kind === 'output' && (selected === null || selected.ignores(f.path)))
    .map(f => ({ from: path.join(options.root, 'runs', id, f.path), to: f.path }));
  if (files.length === 0) {
    const what = select === undefined ? 'no file' : `no file matching ${select}`;
    throw new UserError(`missing dependency: run ${id} of ${ref} wrote ${what}`);
  }
  return { kind: 'run', source: ref, run: id, files };
}

/**
 * Links (or, with `copy`, copies) the files of `deps` into the run directory at `runPath`:
 * a file the source snapshot holds already stays as it is for a file requirement, and is
 * replaced by the upstream run's for a run requirement. Returns what the record keeps.
 */
export function placeDependencies(
  runPath: string,
  deps: readonly IResolvedDependency[],
  copy: boolean
): IRunDependency[] {
  return deps.map(dep => {
    for (const { from, to } of dep.files) {
      const target = path.join(runPath, to);
      if (dep.kind === 'file' && fs.existsSync(target)) {
        continue;
      }
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.rmSync(target, { force: true });
      if (copy) {
        fs.copyFileSync(from, target);
      } else {
        fs.symlinkSync(from, target);
      }
    }
    return {
      kind: dep.kind,
      source: dep.source,
      run: dep.run,
      files: dep.files.map(f => f.to),
      copied: copy
    };
  });
}
