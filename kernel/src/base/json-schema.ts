/**
 * JSON Schemas compiled to validators by ajv, once per build rather than once per process.
 *
 * Loading ajv and compiling a schema costs about 100 ms, paid by every command that reads
 * a record. So the build writes each schema's validator as JavaScript (`writeValidator`,
 * run by `npm run build:kernel`) and a process loads that. When the file is missing, or was
 * made from another version of the schema (a build by `tsc` alone), the schema is compiled
 * in the process instead: slower, never wrong.
 *
 * Validators fill in the `default` of every absent field (ajv's `useDefaults`).
 */
import { crypto } from './lazy-crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

import type { JSONSchemaType, ValidateFunction } from 'ajv';

/** Where the build writes the validator of schema `name`. */
function generatedPath(name: string): string {
  return path.join(__dirname, 'generated', `${name}-validator.js`);
}

/** A digest of `schema`, recorded in its generated validator to tell a stale one. */
function digestOf(schema: object): string {
  return crypto().createHash('sha256').update(JSON.stringify(schema)).digest('hex');
}

/** Ajv options shared by both ways of compiling. */
const OPTIONS = {
  useDefaults: true,
  // A test checks each schema against JSON Schema's own; at run time that check would
  // double the compile time.
  validateSchema: false
} as const;

/** The validator of `schema`: the build's, or compiled now when that one is missing or stale. */
export function loadValidator<T>(name: string, schema: JSONSchemaType<T>): ValidateFunction<T> {
  const digest = digestOf(schema);
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const generated = require(generatedPath(name)) as ValidateFunction<T> & { digest?: string };
    if (generated.digest === digest) {
      return generated;
    }
  } catch {
    // Not built: compiled below.
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { default: Ajv } = require('ajv') as typeof import('ajv');
  return new Ajv(OPTIONS).compile(schema);
}

/** True when the build's validator of `schema` is there and made from this version of it. */
export function hasCurrentValidator(name: string, schema: object): boolean {
  try {
    const text = fs.readFileSync(generatedPath(name), 'utf8');
    return text.includes(`module.exports.digest = ${JSON.stringify(digestOf(schema))};`);
  } catch {
    return false;
  }
}

/** Writes the validator of `schema` as a CommonJS module, for `loadValidator`. */
export function writeValidator<T>(name: string, schema: JSONSchemaType<T>): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { default: Ajv } = require('ajv') as typeof import('ajv');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const standalone = require('ajv/dist/standalone') as typeof import('ajv/dist/standalone');
  const ajv = new Ajv({ ...OPTIONS, code: { source: true } });
  const code = standalone.default(ajv, ajv.compile(schema));
  const file = generatedPath(name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${code}\nmodule.exports.digest = ${JSON.stringify(digestOf(schema))};\n`);
}
