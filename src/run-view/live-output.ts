/**
 * A run's pushed output (`run-output`) applied to what a run view holds, without DOM: a
 * cell's outputs, and the end of the run's console output. Says per cell whether the change
 * was text appended to its last stream (the view appends it to what it shows) or more (the
 * view shows the cell's outputs anew). While a run is live, a stream keeps at most
 * `LIVE_TEXT_CHARS` of its text (its end): a cell printing for hours must not make the view
 * slow; the whole notebook is fetched again when the run ends.
 */
import type * as nbformat from '@jupyterlab/nbformat';
import { joinOutput } from './notebook-content';
import type {
  ILogTail,
  IRunCellUpdate,
  IRunOutputEvent,
  ITextChange
} from '../../kernel/src/contract/service';

/** A change of a run's output, as pushed. */
export type ILogChange = NonNullable<IRunOutputEvent['log']>;

/** Most characters of one stream's text a live view keeps. */
export const LIVE_TEXT_CHARS = 32 * 1024;

/** What changed in one cell of the view. */
export interface ILiveCellChange {
  /** Index of the cell. */
  cell: number;
  /** Its outputs now. */
  outputs: nbformat.IOutput[];
  /** Set when the only change is this change of the last output's text (a stream). */
  append: ITextChange | null;
  /** The cell's execution count, when it changed. */
  executionCount?: number | null;
}

/** Text changed by `change`. */
export function changedText(text: string, change: ITextChange): string {
  return text.slice(0, Math.max(0, text.length - change.drop)) + change.text;
}

/**
 * Applies `update` to the outputs of `cell` (in place: the cell holds the new list) and
 * says what changed.
 */
export function applyCellUpdate(cell: nbformat.ICodeCell, update: IRunCellUpdate): ILiveCellChange {
  const outputs = [...(cell.outputs ?? [])];
  const before = outputs.length;
  let append: ITextChange | null = null;
  let whole = Boolean(update.set?.length) || update.outputs !== before;
  for (const [index, change] of update.text ?? []) {
    const output = outputs[index];
    if (output?.output_type !== 'stream') {
      whole = true;
      continue;
    }
    const text = changedText(streamText(output), change);
    const kept = keptText(text);
    outputs[index] = { ...output, text: kept };
    if (kept !== text || index !== before - 1 || append !== null) {
      whole = true;
    } else {
      append = change;
    }
  }
  for (const [index, output] of update.set ?? []) {
    outputs[index] = withText(output as unknown as nbformat.IOutput);
  }
  outputs.length = Math.min(outputs.length, update.outputs);
  cell.outputs = outputs;
  const change: ILiveCellChange = { cell: update.cell, outputs, append: whole ? null : append };
  if (update.executionCount !== undefined) {
    cell.execution_count = update.executionCount;
    change.executionCount = update.executionCount;
  }
  return change;
}

/**
 * The end of a run's output after `change` (`reset`: the text is the whole tail), kept to
 * at most `maxChars` characters from a line start.
 */
export function applyLogChange(log: ILogTail, change: ILogChange, maxChars: number): ILogTail {
  const text = change.reset ? change.text : changedText(log.text, change);
  const kept = keptText(text, maxChars);
  return {
    text: kept,
    size: change.size,
    truncated: log.truncated || kept !== text || change.reset === true
  };
}

/** `text`, or its end from a line start when it is longer than `maxChars`. */
export function keptText(text: string, maxChars = LIVE_TEXT_CHARS): string {
  if (text.length <= maxChars) {
    return text;
  }
  // Half: so that it is cut again only after as much more text.
  let cut = text.length - Math.floor(maxChars / 2);
  const newline = text.indexOf('\n', cut);
  if (newline >= 0 && newline < text.length - 1) {
    cut = newline + 1;
  }
  return text.slice(cut);
}

function streamText(output: nbformat.IOutput): string {
  const text = (output as nbformat.IStream).text;
  return Array.isArray(text) ? text.join('') : (text ?? '');
}

/** An output with its multiline strings joined, a stream's text kept to the live limit. */
function withText(output: nbformat.IOutput): nbformat.IOutput {
  const joined = joinOutput(output);
  return joined.output_type === 'stream'
    ? { ...joined, text: keptText(streamText(joined)) }
    : joined;
}
