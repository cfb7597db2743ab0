/**
 * The project file, `nbx.json` at the project root: found by walking up from a directory
 * (as git finds `.git`), read and validated against its JSON Schema. It declares
 * pipelines (flags with defaults and steps) and what notebooks require.
 *
 * Other top-level keys are allowed and left to their own readers. A step's data is
 * validated only when the pipeline runs (as Guild does, so one bad pipeline does not
 * make the others unusable); everything else is validated here, and an error names the
 * file, the JSON path inside it and what was expected.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import type { ErrorObject, JSONSchemaType, ValidateFunction } from 'ajv';

import { UserError } from '../base/errors';
import type { JSONValue } from '../base/json';
import { loadValidator } from '../base/json-schema';

/** The project file's name. */
export const PROJECT_FILE = 'nbx.json';

/** A file of the project, relative to the requiring notebook's directory. */
export interface IFileRequirement {
  file: string;
}

/** Files of the latest completed run of a notebook (or the one named on the command line). */
export interface IRunRequirement {
  /** The notebook, relative to the requiring notebook's directory. */
  run: string;
  /** A .gitignore-style pattern of the files to take (default: every file the run wrote). */
  select?: string;
}

/** One entry of `requires` (`metadata.nbx.requires` of a notebook, or its nbx.json entry). */
export type Requirement = IFileRequirement | IRunRequirement;

/** A pipeline as declared. */
export interface IPipelineDef {
  description?: string;
  /** The pipeline's flags with their defaults; steps use them as `${name}`. */
  flags: Record<string, JSONValue>;
  /** Steps as written: a string or an object each (checked when the pipeline runs). */
  steps: JSONValue[];
}

/** What nbx.json says about one notebook. */
export interface INotebookEntry {
  requires: Requirement[];
}

/** The parts of nbx.json this module reads. */
export interface IProjectFile {
  /** Absolute path of the file. */
  path: string;
  pipelines: Record<string, IPipelineDef>;
  /** By notebook path relative to the project file's directory. */
  notebooks: Record<string, INotebookEntry>;
  /** The whole object, for the readers of other keys (`"slurm"`: scheduler/slurm/placement). */
  value: Record<string, JSONValue>;
}

const REQUIREMENT = {
  type: 'object',
  properties: {
    file: { type: 'string', minLength: 1 },
    run: { type: 'string', minLength: 1 },
    select: { type: 'string', minLength: 1 }
  },
  additionalProperties: false
};

const REQUIREMENTS = { type: 'array', items: REQUIREMENT };

/** The schema of nbx.json (ajv's types cannot spell `Requirement`'s union: cast once). */
const PROJECT_SCHEMA = {
  type: 'object',
  properties: {
    pipelines: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        properties: {
          description: { type: 'string' },
          flags: { type: 'object', default: {} },
          steps: { type: 'array' }
        },
        required: ['steps'],
        additionalProperties: false
      },
      default: {}
    },
    notebooks: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        properties: { requires: REQUIREMENTS },
        required: ['requires']
      },
      default: {}
    }
  }
} as unknown as JSONSchemaType<Omit<IProjectFile, 'path' | 'value'>>;

const REQUIREMENTS_SCHEMA = REQUIREMENTS as unknown as JSONSchemaType<Requirement[]>;

/** The names the build writes the validators under. */
export const PROJECT_VALIDATOR = 'project-file';
export const REQUIREMENTS_VALIDATOR = 'requirements';

/** Schemas by validator name, for the build (see meta-schema-build.ts). */
export const PROJECT_SCHEMAS: Readonly<Record<string, JSONSchemaType<unknown>>> = {
  [PROJECT_VALIDATOR]: PROJECT_SCHEMA as unknown as JSONSchemaType<unknown>,
  [REQUIREMENTS_VALIDATOR]: REQUIREMENTS_SCHEMA as unknown as JSONSchemaType<unknown>
};

let projectValidator: ValidateFunction<Omit<IProjectFile, 'path' | 'value'>> | undefined;
let requirementsValidator: ValidateFunction<Requirement[]> | undefined;

/** The nearest `nbx.json` at or above `startDir`, or null when there is none. */
export function findProjectFile(startDir: string): string | null {
  for (let dir = path.resolve(startDir); ; dir = path.dirname(dir)) {
    const file = path.join(dir, PROJECT_FILE);
    try {
      if (fs.statSync(file).isFile()) {
        return file;
      }
    } catch {
      // not here: look further up
    }
    if (path.dirname(dir) === dir) {
      return null;
    }
  }
}

/** The file as a person finds it from `cwd`: relative when below it. */
function shown(file: string, cwd: string): string {
  const rel = path.relative(cwd, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

/** What the first error says was expected, at which JSON path of the document. */
function problemOf(error: ErrorObject): { at: string; expected: string } {
  const at = error.instancePath === '' ? '/' : error.instancePath;
  switch (error.keyword) {
    case 'required':
      return { at, expected: `a "${String(error.params.missingProperty)}" property` };
    case 'additionalProperties':
      return { at, expected: `no "${String(error.params.additionalProperty)}" property` };
    case 'type':
      return { at, expected: `a value of type ${String(error.params.type)}` };
    case 'minLength':
      return { at, expected: 'a non-empty string' };
    default:
      return { at, expected: `a value that ${error.message ?? 'matches the schema'}` };
  }
}

/** Checks each requirement names exactly one of `file` and `run` (`select` only with `run`). */
function requirementProblem(
  value: Requirement[],
  at: string
): { at: string; expected: string } | null {
  for (const [i, req] of value.entries()) {
    const file = 'file' in req;
    const run = 'run' in req;
    if (file === run) {
      return { at: `${at}/${i}`, expected: 'either a "file" or a "run" property' };
    }
    if (file && 'select' in req) {
      return { at: `${at}/${i}`, expected: '"select" only with "run"' };
    }
  }
  return null;
}

function invalid(where: string, problem: { at: string; expected: string }): UserError {
  return new UserError(`${where}: invalid at ${problem.at}: expected ${problem.expected}`);
}

/**
 * Reads and validates the project file at `file`. Throws a one-line `UserError` naming
 * the file (relative to `cwd` when below it), the JSON path and what was expected.
 */
export function readProjectFile(file: string, cwd = process.cwd()): IProjectFile {
  const where = shown(file, cwd);
  let data: unknown;
  try {
    data = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    const why = err instanceof SyntaxError ? err.message : String(err);
    throw new UserError(`${where}: not valid JSON (${why})`);
  }
  projectValidator ??= loadValidator(PROJECT_VALIDATOR, PROJECT_SCHEMA);
  if (!projectValidator(data)) {
    throw invalid(where, problemOf(projectValidator.errors![0]));
  }
  for (const [name, entry] of Object.entries(data.notebooks)) {
    const at = `/notebooks/${name.replace(/~/g, '~0').replace(/\//g, '~1')}/requires`;
    const problem = requirementProblem(entry.requires, at);
    if (problem !== null) {
      throw invalid(where, problem);
    }
  }
  return {
    path: file,
    pipelines: data.pipelines,
    notebooks: data.notebooks,
    value: data as unknown as Record<string, JSONValue>
  };
}

/**
 * The requirements `value` lists (a notebook's `metadata.nbx.requires`), validated as
 * nbx.json's; `where` names the place in errors (`train.ipynb metadata.nbx.requires`).
 */
export function parseRequirements(value: unknown, where: string): Requirement[] {
  requirementsValidator ??= loadValidator(REQUIREMENTS_VALIDATOR, REQUIREMENTS_SCHEMA);
  if (!requirementsValidator(value)) {
    throw invalid(where, problemOf(requirementsValidator.errors![0]));
  }
  const problem = requirementProblem(value, '');
  if (problem !== null) {
    throw invalid(where, problem);
  }
  return value;
}

/** The entry of `notebookPath` in the project file, if it has one. */
export function notebookEntry(
  project: IProjectFile,
  notebookPath: string
): INotebookEntry | undefined {
  const rel = path.relative(path.dirname(project.path), notebookPath).split(path.sep).join('/');
  return Object.prototype.hasOwnProperty.call(project.notebooks, rel)
    ? project.notebooks[rel]
    : undefined;
}
