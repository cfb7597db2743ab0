/**
 * The JSON Schema of `meta.json`, typed by `RunMeta` (a field added to the type and not to
 * the schema, or of another type, does not compile), and the parser that applies it.
 *
 * Fields a record lacks take their empty value (records written by older versions still
 * load); a field of the wrong type makes the record unusable, and the error names the field
 * and what it must be. Unknown fields are kept.
 */
import * as path from 'node:path';

import type { ErrorObject, JSONSchemaType, ValidateFunction } from 'ajv';

import type { PropertiesSchema } from 'ajv/dist/types/json-schema';

import type { JSONValue } from '../base/json';
import { loadValidator } from '../base/json-schema';
import {
  CorruptMetaError,
  RUN_STATUSES,
  type IRunAttempt,
  type IRunBatch,
  type IRunDependency,
  type IRunGit,
  type IRunKernel,
  type IRunRuntime,
  type IRunSlurm,
  type IRunStep,
  type IScalarSummary,
  type ISlurmPlacement,
  type RunMeta
} from './meta';

/**
 * `schema`, or null. ajv's types tie `nullable` to optional fields, so a required field of
 * type `T | null` is declared through this one cast; `schema` itself is checked against `T`.
 */
function orNull<T>(schema: JSONSchemaType<T>): NullableField<T> {
  return { ...schema, nullable: true, default: null } as unknown as NullableField<T>;
}

/** The schema of a required field of type `T | null`, as ajv's types spell it. */
type NullableField<T> = PropertiesSchema<{ field: T | null }>['field'];

/** Values the schema leaves as JSON: flags, attributes (any JSON value each). */
const JSON_RECORD = {
  type: 'object',
  required: [],
  default: {}
} as unknown as JSONSchemaType<Record<string, JSONValue>>;

/** Scalar summaries are written by nbx alone (and may hold null for a non-finite value). */
const SCALARS = {
  type: 'object',
  required: [],
  additionalProperties: { type: 'object' },
  default: {}
} as unknown as JSONSchemaType<Record<string, IScalarSummary>>;

const STRINGS: JSONSchemaType<string[]> = { type: 'array', items: { type: 'string' }, default: [] };

const BATCH: JSONSchemaType<IRunBatch> = {
  type: 'object',
  properties: {
    kind: { type: 'string', enum: ['grid', 'random', 'file'], default: 'grid' },
    seed: orNull<number>({ type: 'number' }),
    parallel: { type: 'number', default: 1 },
    gpus: orNull<string[]>({ type: 'array', items: { type: 'string' } }),
    gpusPerTrial: { type: 'number', default: 0 },
    objective: orNull<string>({ type: 'string' }),
    repeat: { type: 'number', nullable: true }
  },
  required: ['kind', 'seed', 'parallel', 'gpus', 'gpusPerTrial', 'objective']
};

const ATTEMPT: JSONSchemaType<IRunAttempt> = {
  type: 'object',
  properties: {
    attempt: { type: 'number' },
    started: orNull<string>({ type: 'string' }),
    stopped: orNull<string>({ type: 'string' }),
    status: { type: 'string', enum: RUN_STATUSES },
    error: orNull<string>({ type: 'string' }),
    exitCode: orNull<number>({ type: 'number' }),
    flags: JSON_RECORD,
    gpus: orNull<string>({ type: 'string' }),
    scalars: SCALARS,
    attrs: JSON_RECORD,
    traceback: { type: 'string', nullable: true }
  },
  required: [
    'attempt',
    'started',
    'stopped',
    'status',
    'error',
    'exitCode',
    'flags',
    'gpus',
    'scalars',
    'attrs'
  ]
};

const SLURM_PLACEMENT: JSONSchemaType<ISlurmPlacement> = {
  type: 'object',
  properties: {
    partition: { type: 'string', nullable: true },
    time: { type: 'string', nullable: true },
    gpus: { type: 'number', nullable: true },
    cpus: { type: 'number', nullable: true },
    mem: { type: 'string', nullable: true },
    template: { type: 'string', nullable: true }
  },
  required: [],
  default: {}
};

const SLURM: JSONSchemaType<IRunSlurm> = {
  type: 'object',
  properties: {
    jobId: { type: 'string' },
    partition: { type: 'string', default: '' },
    node: { type: 'string', default: '' },
    placement: SLURM_PLACEMENT,
    queue: {
      type: 'object',
      nullable: true,
      properties: { position: { type: 'number' }, reason: { type: 'string' } },
      required: ['position', 'reason']
    },
    state: { type: 'string', nullable: true }
  },
  required: ['jobId', 'partition', 'node', 'placement']
};

const STEP: JSONSchemaType<IRunStep> = {
  type: 'object',
  properties: { name: { type: 'string' }, run: { type: 'string' } },
  required: ['name', 'run']
};

const DEPENDENCY: JSONSchemaType<IRunDependency> = {
  type: 'object',
  properties: {
    kind: { type: 'string', enum: ['file', 'run'] },
    source: { type: 'string' },
    run: orNull<string>({ type: 'string' }),
    files: STRINGS,
    copied: { type: 'boolean', default: false }
  },
  required: ['kind', 'source', 'run', 'files', 'copied']
};

/** The schema of a whole record. */
export const RUN_META_SCHEMA: JSONSchemaType<RunMeta> = {
  type: 'object',
  properties: {
    id: { type: 'string', minLength: 1 },
    notebook: { type: 'string', default: '' },
    notebookName: { type: 'string', default: '' },
    kernel: orNull<IRunKernel>({
      type: 'object',
      properties: {
        name: { type: 'string' },
        displayName: { type: 'string' },
        language: { type: 'string', default: '' }
      },
      required: ['name', 'displayName', 'language']
    }),
    flags: JSON_RECORD,
    label: orNull<string>({ type: 'string' }),
    tags: STRINGS,
    status: { type: 'string', enum: RUN_STATUSES },
    pid: orNull<number>({ type: 'number' }),
    pidStart: orNull<string>({ type: 'string' }),
    kernelPid: orNull<number>({ type: 'number' }),
    kernelWarm: { type: 'boolean', nullable: true },
    host: { type: 'string', default: '' },
    user: { type: 'string', default: '' },
    gpus: orNull<string>({ type: 'string' }),
    command: STRINGS,
    created: { type: 'string', default: '' },
    started: orNull<string>({ type: 'string' }),
    stopped: orNull<string>({ type: 'string' }),
    exitCode: orNull<number>({ type: 'number' }),
    error: orNull<string>({ type: 'string' }),
    traceback: { type: 'string', nullable: true },
    progress: {
      type: 'object',
      properties: {
        cells: { type: 'number', default: 0 },
        done: { type: 'number', default: 0 },
        current: orNull<number>({ type: 'number' })
      },
      required: ['cells', 'done', 'current'],
      default: { cells: 0, done: 0, current: null }
    },
    sourceDigest: orNull<string>({ type: 'string' }),
    git: orNull<IRunGit>({
      type: 'object',
      properties: {
        commit: { type: 'string' },
        branch: orNull<string>({ type: 'string' }),
        dirty: { type: 'boolean', default: false }
      },
      required: ['commit', 'branch', 'dirty']
    }),
    nbxVersion: { type: 'string', default: '' },
    settings: {
      type: 'object',
      nullable: true,
      properties: {
        timeoutS: orNull<number>({ type: 'number' }),
        allowErrors: { type: 'boolean', default: false }
      },
      required: ['timeoutS', 'allowErrors']
    },
    flagDefaults: JSON_RECORD,
    attrs: JSON_RECORD,
    scalars: SCALARS,
    comments: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          time: { type: 'string' },
          user: { type: 'string' },
          text: { type: 'string' }
        },
        required: ['time', 'user', 'text']
      },
      default: []
    },
    runtime: orNull<IRunRuntime>({
      type: 'object',
      properties: {
        node: { type: 'string' },
        language: orNull<string>({ type: 'string' }),
        languageVersion: orNull<string>({ type: 'string' })
      },
      required: ['node', 'language', 'languageVersion']
    }),
    kind: { type: 'string', enum: ['run', 'batch', 'pipeline'], default: 'run' },
    parent: orNull<string>({ type: 'string' }),
    trials: STRINGS,
    batch: orNull(BATCH),
    attempts: { type: 'array', items: ATTEMPT, nullable: true, default: [] },
    repeat: { type: 'number', nullable: true },
    config: { type: 'string', nullable: true },
    slurm: { ...SLURM, nullable: true },
    steps: { type: 'array', items: STEP, nullable: true, default: [] },
    deps: { type: 'array', items: DEPENDENCY, nullable: true, default: [] }
  },
  // `id` and `status` first: a record without them is named by what it lacks first.
  required: [
    'id',
    'status',
    'notebook',
    'notebookName',
    'kernel',
    'flags',
    'label',
    'tags',
    'pid',
    'pidStart',
    'kernelPid',
    'host',
    'user',
    'gpus',
    'command',
    'created',
    'started',
    'stopped',
    'exitCode',
    'error',
    'progress',
    'sourceDigest',
    'git',
    'nbxVersion',
    'flagDefaults',
    'attrs',
    'scalars',
    'comments',
    'runtime',
    'kind',
    'parent',
    'trials',
    'batch'
  ]
};

/** The name the build writes the validator of `RUN_META_SCHEMA` under. */
export const META_VALIDATOR = 'run-meta';

let validator: ValidateFunction<RunMeta> | undefined;

/** The validator, loaded at the first record read: a warm `nbx runs` reads none. */
function validate(): ValidateFunction<RunMeta> {
  validator ??= loadValidator(META_VALIDATOR, RUN_META_SCHEMA);
  return validator;
}

/** The value of `data` at a JSON pointer such as `/status`. */
function at(data: unknown, pointer: string): unknown {
  return pointer
    .split('/')
    .slice(1)
    .reduce<unknown>(
      (value, key) =>
        typeof value === 'object' && value !== null
          ? (value as Record<string, unknown>)[key.replace(/~1/g, '/').replace(/~0/g, '~')]
          : undefined,
      data
    );
}

/** The one-line reason for the first error of a record, naming the field. */
function reasonOf(error: ErrorObject, data: unknown): string {
  const missing = error.keyword === 'required' ? (error.params.missingProperty as string) : null;
  const pointer = missing === null ? error.instancePath : `${error.instancePath}/${missing}`;
  if (pointer === '/id') {
    return 'meta.json has no run id';
  }
  if (pointer === '/status') {
    const status = at(data, pointer);
    return status === undefined
      ? 'meta.json has no status'
      : `meta.json has unknown status ${JSON.stringify(status)}`;
  }
  const field = pointer.slice(1).replace(/\//g, '.');
  if (missing !== null) {
    return `meta.json field ${field} is missing`;
  }
  const expected =
    error.keyword === 'enum'
      ? `one of ${(error.params.allowedValues as string[]).join(', ')}`
      : (error.message ?? 'valid').replace(/^must be /, '');
  return `meta.json field ${field} must be ${expected}`;
}

/**
 * Parses a `meta.json` text: an object with a string `id` and a known `status`, every other
 * field absent (read as its empty value) or of its type. Unknown fields are kept.
 *
 * Throws `CorruptMetaError` (a `UserError` naming `file`) when the text is unusable.
 */
export function parseMeta(text: string, file: string): RunMeta {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new CorruptMetaError(file, 'meta.json is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CorruptMetaError(file, 'meta.json is not a JSON object');
  }
  // Defaults that depend on other fields, filled before the schema fills the rest.
  const record = value as Record<string, unknown>;
  if (record.notebookName === undefined && typeof record.notebook === 'string') {
    record.notebookName = path.basename(record.notebook);
  }
  const kernel = record.kernel as Record<string, unknown> | null | undefined;
  if (typeof kernel === 'object' && kernel !== null && kernel.displayName === undefined) {
    kernel.displayName = kernel.name;
  }
  const check = validate();
  if (!check(value)) {
    throw new CorruptMetaError(file, reasonOf(check.errors![0], value));
  }
  if (value.settings === null) {
    delete value.settings;
  }
  if (value.traceback === null) {
    delete value.traceback;
  }
  return value;
}
