/**
 * The iopub → nbformat output reducer.
 *
 * Turns the iopub messages of executing cells into nbformat v4 outputs on those cells with
 * nbclient's semantics (`NotebookClient.process_message` / `output` / `clear_output` /
 * `_update_display_id`), plus JupyterLab's stream consolidation so that a notebook executed
 * headlessly saves the same outputs a person would see running it in JupyterLab:
 *
 * - `stream`: one output per message, or (stream coalescing, the default) appended to the
 *   immediately preceding output when that is a stream of the same name, with carriage returns
 *   and backspaces resolved (see {@link resolveOverwrites}).
 * - `display_data`, `execute_result`, `error`: the matching output; `transient` is not saved.
 * - `clear_output`: immediate, or deferred (`wait: true`) until the next output is appended.
 * - `display_id`: outputs carrying `transient.display_id` are indexed so that a later display or
 *   an `update_display_data` with the same id updates them in whichever cell they are.
 * - everything else (`status`, `execute_input`, `comm_*`, unknown types) is ignored.
 *
 * Routing a message to its cell (by parent `msg_id`) is the caller's job.
 */
import type {
  ICodeCell,
  IDisplayDataOutput,
  IErrorOutput,
  IExecuteResultOutput,
  IStreamOutput,
  MultilineString,
  Output
} from '../notebook/nbformat';
import type { JSONObject, JSONValue } from '../base/json';

/** The part of an iopub message the reducer reads. */
export interface IIopubMessage {
  /** `header.msg_type`: `stream`, `display_data`, `clear_output`, ... */
  msg_type: string;
  /** The message content, as received (fields are checked before use). */
  content: Record<string, unknown>;
}

/** Options of {@link OutputReducer}. */
export interface IOutputReducerOptions {
  /**
   * Merge a stream into the immediately preceding output when it is a stream of the same name,
   * resolving `\r` and `\b` as JupyterLab's output area does (default `true`). When `false`,
   * every `stream` message becomes its own output with its text untouched (nbclient's default).
   */
  coalesceStreams?: boolean;
  /** Told of every change to a cell's outputs, as it is made (see {@link OutputChange}). */
  onChange?: (cell: ICodeCell, change: OutputChange) => void;
}

/**
 * A change the reducer made to a cell's outputs:
 * - `set`: output `index` was added or replaced (a display updated in place);
 * - `text`: stream output `index` got more text: its first `kept` characters are as they
 *   were (`\r` and `\b` may rewrite the end of its last line) and `appended` follows them;
 * - `clear`: the outputs were emptied.
 * Outputs are only ever added at the end, so the indexes of a cell's outputs stay valid
 * until it is cleared.
 */
export type OutputChange =
  | { kind: 'set'; index: number }
  | { kind: 'text'; index: number; kept: number; appended: string }
  | { kind: 'clear' };

/** Outputs that can carry a display id. */
type DisplayOutput = IDisplayDataOutput | IExecuteResultOutput;

/**
 * Applies iopub messages to the outputs of the cells they belong to.
 *
 * One reducer serves one notebook execution: the display-id index spans all cells it has seen,
 * so a display updated from a later cell is updated where it was first shown.
 */
export class OutputReducer {
  /** Whether streams are coalesced (see {@link IOutputReducerOptions.coalesceStreams}). */
  readonly coalesceStreams: boolean;

  constructor(options: IOutputReducerOptions = {}) {
    this.coalesceStreams = options.coalesceStreams ?? true;
    this._onChange = options.onChange ?? (() => undefined);
  }

  /**
   * Prepares a cell for execution: empties its outputs, cancels a pending `clear_output(wait)`
   * and forgets the cell's entries in the display-id index.
   */
  startCell(cell: ICodeCell): void {
    cell.outputs = [];
    this._onChange(cell, { kind: 'clear' });
    this._pendingClear.delete(cell);
    this._forgetDisplays(cell);
  }

  /**
   * Applies one iopub message that belongs to `cell`.
   *
   * @param cell - the cell whose execution the message is a child of.
   * @param executionCount - the count to give an `execute_result` output.
   * @param msg - the message (`msg_type` and `content`).
   * @returns `true` when outputs changed: this cell's, or, through a display id, another
   *   cell's. A deferred clear that has not happened yet is not a change.
   */
  handle(cell: ICodeCell, executionCount: number, msg: IIopubMessage): boolean {
    const content = msg.content;
    switch (msg.msg_type) {
      case 'stream':
        return this._appendStream(cell, streamOutput(content));
      case 'display_data':
      case 'execute_result': {
        const displayId = displayIdOf(content);
        const data = jsonObject(content.data);
        const metadata = jsonObject(content.metadata);
        const output: DisplayOutput =
          msg.msg_type === 'display_data'
            ? { output_type: 'display_data', data, metadata }
            : { output_type: 'execute_result', execution_count: executionCount, data, metadata };
        if (displayId !== null) {
          // nbclient order: earlier outputs with the id are updated, then the new one appended.
          this._updateDisplay(displayId, content);
        }
        this._append(cell, output);
        if (displayId !== null) {
          this._recordDisplay(displayId, cell, output);
        }
        return true;
      }
      case 'update_display_data': {
        const displayId = displayIdOf(content);
        return displayId === null ? false : this._updateDisplay(displayId, content);
      }
      case 'error':
        this._append(cell, errorOutput(content));
        return true;
      case 'clear_output':
        return this._clear(cell, content.wait === true);
      default:
        // status, execute_input, comm_open/comm_msg/comm_close, and types we do not know.
        return false;
    }
  }

  /** Whether a `clear_output(wait=true)` is waiting for the cell's next output. */
  hasPendingClear(cell: ICodeCell): boolean {
    return this._pendingClear.has(cell);
  }

  /** Appends an output, first carrying out a deferred clear. */
  private _append(cell: ICodeCell, output: Output): void {
    this._applyPendingClear(cell);
    cell.outputs.push(output);
    this._onChange(cell, { kind: 'set', index: cell.outputs.length - 1 });
  }

  private _appendStream(cell: ICodeCell, output: IStreamOutput): boolean {
    this._applyPendingClear(cell);
    const chunk = joinText(output.text);
    if (!this.coalesceStreams) {
      cell.outputs.push(output);
      this._onChange(cell, { kind: 'set', index: cell.outputs.length - 1 });
      return true;
    }
    const index = cell.outputs.length - 1;
    const last = cell.outputs[index];
    if (last !== undefined && last.output_type === 'stream' && last.name === output.name) {
      const before = joinText(last.text);
      const state = this._streams.get(last) ?? streamState(before);
      this._streams.set(last, state);
      const change = appendToStream(state, before, chunk);
      if (change === null) {
        return false;
      }
      last.text = change.text;
      this._onChange(cell, { kind: 'text', index, kept: change.kept, appended: change.appended });
      return true;
    }
    output.text = resolveOverwrites(chunk);
    this._streams.set(output, streamState(output.text));
    cell.outputs.push(output);
    this._onChange(cell, { kind: 'set', index: index + 1 });
    return true;
  }

  private _applyPendingClear(cell: ICodeCell): void {
    if (this._pendingClear.delete(cell)) {
      cell.outputs.splice(0);
      this._forgetDisplays(cell);
      this._onChange(cell, { kind: 'clear' });
    }
  }

  private _clear(cell: ICodeCell, wait: boolean): boolean {
    if (wait) {
      this._pendingClear.add(cell);
      return false;
    }
    this._pendingClear.delete(cell);
    this._forgetDisplays(cell);
    const changed = cell.outputs.length > 0;
    cell.outputs.splice(0);
    if (changed) {
      this._onChange(cell, { kind: 'clear' });
    }
    return changed;
  }

  private _recordDisplay(displayId: string, cell: ICodeCell, output: DisplayOutput): void {
    let byCell = this._displays.get(displayId);
    if (byCell === undefined) {
      byCell = new Map();
      this._displays.set(displayId, byCell);
    }
    const list = byCell.get(cell);
    if (list === undefined) {
      byCell.set(cell, [output]);
    } else {
      list.push(output);
    }
  }

  /** Replaces `data` and `metadata` of every output shown with `displayId`. */
  private _updateDisplay(displayId: string, content: Record<string, unknown>): boolean {
    const byCell = this._displays.get(displayId);
    if (byCell === undefined) {
      return false;
    }
    let changed = false;
    for (const [cell, outputs] of byCell) {
      for (const output of outputs) {
        output.data = jsonObject(content.data);
        output.metadata = jsonObject(content.metadata);
        const index = cell.outputs.indexOf(output);
        if (index >= 0) {
          this._onChange(cell, { kind: 'set', index });
        }
        changed = true;
      }
    }
    return changed;
  }

  private _forgetDisplays(cell: ICodeCell): void {
    for (const [displayId, byCell] of this._displays) {
      if (byCell.delete(cell) && byCell.size === 0) {
        this._displays.delete(displayId);
      }
    }
  }

  private readonly _onChange: (cell: ICodeCell, change: OutputChange) => void;
  /** How the text of each coalesced stream output ends (see {@link IStreamState}). */
  private readonly _streams = new WeakMap<IStreamOutput, IStreamState>();
  /** display_id → cell → the outputs of that cell shown with the id, in order. */
  private readonly _displays = new Map<string, Map<ICodeCell, DisplayOutput[]>>();
  /** Cells with a `clear_output(wait=true)` not yet carried out. */
  private readonly _pendingClear = new Set<ICodeCell>();
}

/**
 * Resolves carriage returns and backspaces in stream text the way a terminal (and JupyterLab's
 * output area) shows it.
 *
 * - `\r\n` is a newline.
 * - `\r` moves back to the start of the line; what follows overwrites the line character by
 *   character (so `'10%\r20%'` becomes `'20%'`). A `\r` at the very end is kept, so that text
 *   appended later still overwrites the line.
 * - `\b` deletes the previous character of the line (at the start of a line it does nothing);
 *   after a `\r`, while overwriting, it moves back one character like a terminal.
 */
export function resolveOverwrites(text: string): string {
  if (!CONTROL_CHARS.test(text)) {
    return text;
  }
  const lines: string[] = [];
  let line: string[] = [];
  let col = 0;
  let returned = false;
  for (const ch of text) {
    if (ch === '\n') {
      lines.push(line.join(''));
      line = [];
      col = 0;
      returned = false;
    } else if (ch === '\r') {
      col = 0;
      returned = true;
    } else if (ch === '\b') {
      if (col === line.length) {
        line.pop();
      }
      col = Math.max(0, col - 1);
    } else {
      line[col] = ch;
      col += 1;
      returned = false;
    }
  }
  const last = line.join('');
  lines.push(returned && last !== '' ? `${last}\r` : last);
  return lines.join('\n');
}

/**
 * Where a stream output's last line starts, and that line, kept so that appending never
 * reads the whole text: a JavaScript string built by appending is a rope, and reading it
 * (even one character, or a slice) first copies all of it into one piece, which for a flood
 * of output, chunk after chunk, would be quadratic.
 */
interface IStreamState {
  /** Length of the text up to its last newline. */
  headLength: number;
  /** The text up to its last newline, while it is known without reading the whole text. */
  head: string | null;
  /** The text after its last newline. */
  tail: string;
  /** Whether the text ends with a `\r` that the next chunk overwrites from. */
  endsWithCR: boolean;
}

function streamState(text: string): IStreamState {
  const cut = text.lastIndexOf('\n') + 1;
  return {
    headLength: cut,
    head: text.slice(0, cut),
    tail: text.slice(cut),
    endsWithCR: text.endsWith('\r')
  };
}

/**
 * Appends `chunk` to the text `before` of a stream output (whose state is `state`), with
 * `\r` and `\b` resolved. Only the last line can be affected, so only it is re-resolved.
 * Plain text is appended without reading `before`; text with `\r` or `\b` after plain text
 * reads it once (to cut its last line off), then not again while such text follows. Returns
 * the new text, how many leading characters of `before` it keeps and what follows them, or
 * null when the text does not change.
 */
function appendToStream(
  state: IStreamState,
  before: string,
  chunk: string
): { text: string; kept: number; appended: string } | null {
  if (chunk === '') {
    return null;
  }
  if (!CONTROL_CHARS.test(chunk) && !state.endsWithCR) {
    const newline = chunk.lastIndexOf('\n');
    if (newline < 0) {
      state.tail += chunk;
    } else {
      state.headLength = before.length + newline + 1;
      state.tail = chunk.slice(newline + 1);
    }
    state.head = null;
    return { text: before + chunk, kept: before.length, appended: chunk };
  }
  const resolved = resolveOverwrites(state.tail + chunk);
  if (resolved === state.tail) {
    return null;
  }
  const kept = state.headLength;
  const next = streamState(resolved);
  const head = (state.head ?? before.slice(0, kept)) + next.head;
  state.head = head;
  state.headLength = head.length;
  state.tail = next.tail;
  state.endsWithCR = next.endsWithCR;
  return { text: head + next.tail, kept, appended: resolved };
}

const CONTROL_CHARS = /[\r\b]/;

function joinText(text: MultilineString): string {
  return Array.isArray(text) ? text.join('') : text;
}

function streamOutput(content: Record<string, unknown>): IStreamOutput {
  const text = content.text;
  return {
    output_type: 'stream',
    // nbformat only knows stdout and stderr; anything else is shown as stdout.
    name: content.name === 'stderr' ? 'stderr' : 'stdout',
    text:
      typeof text === 'string'
        ? text
        : Array.isArray(text)
          ? text.filter((t): t is string => typeof t === 'string').join('')
          : ''
  };
}

function errorOutput(content: Record<string, unknown>): IErrorOutput {
  const { ename, evalue, traceback } = content;
  return {
    output_type: 'error',
    ename: typeof ename === 'string' ? ename : '<Error>',
    evalue: typeof evalue === 'string' ? evalue : '',
    traceback: Array.isArray(traceback)
      ? traceback.map(line => (typeof line === 'string' ? line : String(line)))
      : []
  };
}

/** `content.transient.display_id`, when it is a non-empty string. */
function displayIdOf(content: Record<string, unknown>): string | null {
  const transient = content.transient;
  if (!isPlainObject(transient)) {
    return null;
  }
  const id = transient.display_id;
  return typeof id === 'string' && id !== '' ? id : null;
}

/** A deep JSON copy of `value` when it is an object, else `{}`. */
function jsonObject(value: unknown): JSONObject {
  const copy = copyJSON(value);
  return copy !== undefined && copy !== null && typeof copy === 'object' && !Array.isArray(copy)
    ? copy
    : {};
}

/**
 * A deep copy of a JSON-compatible value, with what JSON cannot hold treated as
 * `JSON.stringify` would: non-finite numbers become `null`, `undefined` members are dropped.
 */
function copyJSON(value: unknown): JSONValue | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') {
    return value;
  }
  if (typeof value === 'number') {
    return Number.isFinite(value) ? value : null;
  }
  if (Array.isArray(value)) {
    return value.map(item => copyJSON(item) ?? null);
  }
  if (isPlainObject(value)) {
    const copy: JSONObject = {};
    for (const [key, item] of Object.entries(value)) {
      const itemCopy = copyJSON(item);
      if (itemCopy !== undefined) {
        copy[key] = itemCopy;
      }
    }
    return copy;
  }
  return undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return false;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
