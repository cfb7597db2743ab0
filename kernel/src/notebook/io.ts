/**
 * Reading, validating and writing `.ipynb` files.
 *
 * Reading checks the structure lightly (enough that the rest of the engine can trust
 * the types) and keeps every field it does not know. Writing produces exactly the bytes
 * Jupyter (nbformat) would write for the same notebook.
 */

import * as fs from 'node:fs';

import { UserError } from '../base/errors';
import {
  writeChunksAtomic,
  writeFileAtomic,
  writeFileAtomicSync,
  type IWrittenFile
} from '../base/atomic-write';
import type { Cell, INotebook } from './nbformat';
import type { JSONObject, JSONValue } from '../base/json';
import {
  dumpPythonJsonChunks,
  JsonSyntaxError,
  parseJson,
  SplitLines,
  type DumpHook
} from './pyjson';

const CELL_TYPES = ['code', 'markdown', 'raw'];

function isObject(value: unknown): value is JSONObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isMultiline(value: unknown): boolean {
  return (
    typeof value === 'string' || (Array.isArray(value) && value.every(l => typeof l === 'string'))
  );
}

function describe(value: unknown): string {
  if (value === null) {
    return 'null';
  }
  if (Array.isArray(value)) {
    return 'a list';
  }
  if (typeof value === 'object') {
    return 'an object';
  }
  return `${typeof value} ${JSON.stringify(value)}`;
}

function validateCell(cell: unknown, index: number, path: string): Cell {
  const where = `${path}: cells[${index}]`;
  const fix = 'fix it in a text editor or re-save the notebook in JupyterLab';
  if (!isObject(cell)) {
    throw new UserError(`${where} is ${describe(cell)}, not a cell object — ${fix}`);
  }
  const type = cell.cell_type;
  if (typeof type !== 'string' || !CELL_TYPES.includes(type)) {
    const found =
      type === undefined ? 'has no "cell_type"' : `has cell_type ${JSON.stringify(type)}`;
    throw new UserError(`${where} ${found}; expected "code", "markdown" or "raw" — ${fix}`);
  }
  if (!isMultiline(cell.source)) {
    const found = cell.source === undefined ? 'has no "source"' : 'has a "source" that is not text';
    throw new UserError(`${where} (${type}) ${found} — ${fix}`);
  }
  if (cell.metadata === undefined) {
    cell.metadata = {};
  }
  if (!isObject(cell.metadata)) {
    throw new UserError(`${where} has a "metadata" that is not an object — ${fix}`);
  }
  if (type === 'code') {
    if (cell.outputs === undefined) {
      cell.outputs = [];
    }
    if (!Array.isArray(cell.outputs)) {
      throw new UserError(`${where} has "outputs" that are not a list — ${fix}`);
    }
    cell.outputs.forEach((output, i) => {
      if (!isObject(output) || typeof output.output_type !== 'string') {
        throw new UserError(`${where}.outputs[${i}] has no "output_type" — ${fix}`);
      }
    });
    if (cell.execution_count === undefined) {
      cell.execution_count = null;
    }
    const count = cell.execution_count;
    if (count !== null && !Number.isInteger(count)) {
      throw new UserError(`${where} has an "execution_count" that is not a number — ${fix}`);
    }
  }
  return cell as unknown as Cell;
}

/**
 * Parses and lightly validates notebook JSON.
 *
 * Code cells missing `outputs` / `execution_count` (or any cell missing `metadata`) get
 * the empty defaults; every other field, known or not, is kept as it is.
 * Throws a one-line `UserError` naming `path` (and the cell index) when the text is not
 * a usable nbformat 4 notebook.
 */
export function parseNotebook(text: string, path: string): INotebook {
  let value: JSONValue;
  try {
    value = parseJson(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    const detail = err instanceof JsonSyntaxError ? err.message : (err as Error).message;
    throw new UserError(
      `${path} is not valid JSON (${detail}) — fix it in a text editor or restore it from version control`
    );
  }
  if (!isObject(value)) {
    throw new UserError(
      `${path} is not a notebook: it holds ${describe(value)} instead of a JSON object`
    );
  }
  const version = value.nbformat;
  if (version === undefined) {
    throw new UserError(`${path} has no "nbformat" field — is it a Jupyter notebook?`);
  }
  if (version !== 4) {
    const shown = typeof version === 'number' ? String(version) : JSON.stringify(version);
    const fix =
      typeof version === 'number' && version < 4
        ? 'open and save it in JupyterLab to upgrade'
        : 'save it as nbformat 4 (jupyter nbconvert --to notebook --nbformat 4)';
    throw new UserError(`${path} is nbformat ${shown}; nbx reads nbformat 4 notebooks — ${fix}`);
  }
  if (value.nbformat_minor === undefined) {
    value.nbformat_minor = 0;
  }
  const minor = value.nbformat_minor;
  if (typeof minor !== 'number' || !Number.isInteger(minor) || minor < 0) {
    throw new UserError(`${path} has an invalid "nbformat_minor" (expected a whole number)`);
  }
  if (!isObject(value.metadata)) {
    const found = value.metadata === undefined ? 'no' : 'an invalid';
    throw new UserError(
      `${path} has ${found} "metadata" object — re-save the notebook in JupyterLab to repair it`
    );
  }
  if (!Array.isArray(value.cells)) {
    const found = value.cells === undefined ? 'no' : 'an invalid';
    throw new UserError(
      `${path} has ${found} "cells" list — re-save the notebook in JupyterLab to repair it`
    );
  }
  value.cells.forEach((cell, index) => validateCell(cell, index, path));
  return value as unknown as INotebook;
}

/** Decodes UTF-8 strictly: a notebook is UTF-8 JSON. */
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads and validates a notebook file.
 *
 * Throws a one-line `UserError` when the file does not exist, is a directory, is not
 * an `.ipynb` file, cannot be read, or is not a valid nbformat 4 notebook.
 */
export function readNotebook(path: string): INotebook {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new UserError(`no such notebook: ${path}`);
    }
    throw new UserError(`cannot read ${path}: ${(err as Error).message}`);
  }
  if (stat.isDirectory()) {
    throw new UserError(`${path} is a directory — give the path of an .ipynb notebook`);
  }
  if (!path.toLowerCase().endsWith('.ipynb')) {
    throw new UserError(`${path} is not a notebook — nbx runs Jupyter notebooks (*.ipynb files)`);
  }
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new UserError(`cannot read ${path}: ${why}`);
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new UserError(
      `${path} is not UTF-8 text — re-save it in JupyterLab (notebooks are UTF-8)`
    );
  }
  return parseNotebook(text, path);
}

/** MIME types other than `text/*` that nbformat splits into lines. */
const SPLIT_MIMES = new Set(['application/javascript', 'image/svg+xml']);

/** Notebook-level metadata nbformat strips on write (`strip_transient`). */
const TRANSIENT_NB_METADATA = new Set(['orig_nbformat', 'orig_nbformat_minor', 'signature']);

/**
 * Serializes a notebook exactly as Jupyter (nbformat 4's writer) does:
 * `json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n"`, after nbformat's
 * `split_lines` (string sources, stream text and `text/*` data become lists of lines) and
 * `strip_transient` (`orig_nbformat*` and `signature` in notebook metadata, `trusted` in
 * cell metadata), and without the `transient` field of outputs. `nb` is not modified.
 */
export function serializeNotebook(nb: INotebook): string {
  return [...notebookChunks(nb, Infinity)].join('');
}

/**
 * The text of `serializeNotebook(nb)` in pieces of about `chunkSize` characters, for
 * writing a large notebook without holding its whole text. `nb` must not change until the
 * last piece has been taken.
 */
export function* notebookChunks(
  nb: INotebook,
  chunkSize = 64 * 1024
): Generator<string, void, undefined> {
  const cells = new Set<object>();
  const cellMetadata = new Set<object>();
  const outputs = new Set<object>();
  const streams = new Set<object>();
  const bundles = new Set<object>();
  for (const cell of nb.cells) {
    cells.add(cell);
    cellMetadata.add(cell.metadata);
    const attachments: unknown = (cell as { attachments?: unknown }).attachments;
    if (isObject(attachments)) {
      for (const bundle of Object.values(attachments)) {
        if (isObject(bundle)) {
          bundles.add(bundle);
        }
      }
    }
    if (cell.cell_type !== 'code') {
      continue;
    }
    for (const output of cell.outputs) {
      outputs.add(output);
      if (output.output_type === 'stream') {
        streams.add(output);
      }
      const data: unknown = (output as { data?: unknown }).data;
      const rich = output.output_type === 'display_data' || output.output_type === 'execute_result';
      if (rich && isObject(data)) {
        bundles.add(data);
      }
    }
  }
  const hook: DumpHook = (holder, key, value) => {
    if (holder === nb.metadata && TRANSIENT_NB_METADATA.has(key)) {
      return undefined;
    }
    if (key === 'trusted' && cellMetadata.has(holder)) {
      return undefined;
    }
    if (key === 'transient' && outputs.has(holder)) {
      return undefined;
    }
    if (typeof value !== 'string') {
      return value;
    }
    const split =
      (key === 'source' && cells.has(holder)) ||
      (key === 'text' && streams.has(holder)) ||
      (bundles.has(holder) && (key.startsWith('text/') || SPLIT_MIMES.has(key)));
    return split ? new SplitLines(value) : value;
  };
  yield* dumpPythonJsonChunks(nb as unknown as JSONObject, hook, chunkSize);
  yield '\n';
}

/** Writes `nb` to `path` atomically, exactly as Jupyter would (see `serializeNotebook`). */
export function writeNotebookAtomic(path: string, nb: INotebook): void {
  writeFileAtomicSync(path, serializeNotebook(nb));
}

/** Async version of `writeNotebookAtomic`. */
export async function writeNotebookAtomicAsync(path: string, nb: INotebook): Promise<void> {
  await writeFileAtomic(path, serializeNotebook(nb));
}

/**
 * Writes `nb` to `path` atomically, a piece at a time with pauses for the event loop in
 * between (see `writeChunksAtomic`), without holding its whole text: for notebooks that
 * may be large. `nb` must not change until the promise resolves.
 */
export function writeNotebookChunked(
  path: string,
  nb: INotebook,
  options: { durable?: boolean } = {}
): Promise<IWrittenFile> {
  return writeChunksAtomic(path, notebookChunks(nb), options);
}
