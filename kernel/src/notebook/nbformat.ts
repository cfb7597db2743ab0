/**
 * nbformat v4 types: the subset of the schema the engine reads and writes.
 *
 * Field names follow the nbformat JSON schema exactly, so a notebook read with
 * these types and written back is byte-for-byte what JupyterLab would save
 * (given the same key order and indentation, see `serializeNotebook`).
 */
import type { JSONObject, JSONValue } from '../base/json';

/** Multiline strings may be stored as one string or as a list of lines. */
export type MultilineString = string | string[];

/** MIME bundle: `text/plain` etc. mapped to their (multiline) data. */
export type MimeBundle = { [mime: string]: JSONValue };

export interface IStreamOutput {
  output_type: 'stream';
  name: 'stdout' | 'stderr';
  text: MultilineString;
}

export interface IDisplayDataOutput {
  output_type: 'display_data';
  data: MimeBundle;
  metadata: JSONObject;
  /** Not part of the saved notebook; only used while executing. */
  transient?: JSONObject;
}

export interface IExecuteResultOutput {
  output_type: 'execute_result';
  execution_count: number | null;
  data: MimeBundle;
  metadata: JSONObject;
}

export interface IErrorOutput {
  output_type: 'error';
  ename: string;
  evalue: string;
  traceback: string[];
}

export type Output = IStreamOutput | IDisplayDataOutput | IExecuteResultOutput | IErrorOutput;

export interface ICellMetadata extends JSONObject {}

export interface ICodeCell {
  cell_type: 'code';
  id?: string;
  metadata: ICellMetadata;
  source: MultilineString;
  execution_count: number | null;
  outputs: Output[];
}

export interface IMarkdownCell {
  cell_type: 'markdown';
  id?: string;
  metadata: ICellMetadata;
  source: MultilineString;
  attachments?: JSONObject;
}

export interface IRawCell {
  cell_type: 'raw';
  id?: string;
  metadata: ICellMetadata;
  source: MultilineString;
  attachments?: JSONObject;
}

export type Cell = ICodeCell | IMarkdownCell | IRawCell;

export interface IKernelspecMetadata extends JSONObject {
  name: string;
  display_name: string;
}

export interface INotebookMetadata extends JSONObject {}

export interface INotebook {
  nbformat: 4;
  nbformat_minor: number;
  metadata: INotebookMetadata;
  cells: Cell[];
}

/** Joins a multiline string into one string. */
export function sourceText(source: MultilineString): string {
  return Array.isArray(source) ? source.join('') : source;
}

/** The cell's tags (`metadata.tags`), or an empty list. */
export function cellTags(cell: Cell): string[] {
  const tags = cell.metadata.tags;
  return Array.isArray(tags) ? tags.filter((t): t is string => typeof t === 'string') : [];
}
