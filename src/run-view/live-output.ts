/**
 * A run's pushed output (`run-output`) applied to what a run view holds, without DOM: a
 * cell's outputs, and the end of the run's console output. Says per cell whether the change
 * was text appended to its last stream (the view appends it to what it shows) or more (the
 * view shows the cell's outputs anew). While a run is live, a stream keeps at most
 * `LIVE_TEXT_CHARS` of its text (its end): a cell printing for hours must not make the view
 * slow; the whole notebook is fetched again when the run ends. Changes that arrive between
 * two renders of the view fold into one (`mergeCellChanges`): a cell printing 10,000
 * lines a second costs a render now and then, each of what was appended.
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
  /**
   * Set when the only change is this change at the end of the last output's text (a
   * stream), and its text is kept whole (the live limit did not cut its start).
   */
  append: ITextChange | null;
  /**
   * Set when the only change is this change of the last output's text (a stream): at its
   * end, its start cut by the live limit or not, or the whole text replaced (a stream
   * that grew more than a push carries); `append` is null but in the first case.
   */
  grow: ITextChange | null;
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
  let grow: ITextChange | null = null;
  let cut = false;
  let whole = update.outputs !== before;
  for (const [index, change] of update.text ?? []) {
    const output = outputs[index];
    if (output?.output_type !== 'stream') {
      whole = true;
      continue;
    }
    const text = changedText(streamText(output), change);
    const kept = keptText(text);
    outputs[index] = { ...output, text: kept };
    if (index !== before - 1 || grow !== null) {
      whole = true;
    } else {
      grow = change;
      cut = kept !== text;
    }
  }
  for (const [index, output] of update.set ?? []) {
    const previous = outputs[index];
    const next = withText(output as unknown as nbformat.IOutput);
    outputs[index] = next;
    if (grow === null && index === before - 1 && sameStream(previous, next)) {
      // The last stream sent whole (it grew more than a push carries): its text replaced.
      grow = { drop: streamText(previous).length, text: streamText(next) };
      cut = true;
    } else {
      whole = true;
    }
  }
  outputs.length = Math.min(outputs.length, update.outputs);
  cell.outputs = outputs;
  const change: ILiveCellChange = {
    cell: update.cell,
    outputs,
    append: whole || cut ? null : grow,
    grow: whole ? null : grow
  };
  if (update.executionCount !== undefined) {
    cell.execution_count = update.executionCount;
    change.executionCount = update.executionCount;
  }
  return change;
}

/**
 * One change of a cell standing for `before` then `next` (changes pushed between two
 * renders): appends to the last stream compose; anything else shows the cell anew.
 */
export function mergeCellChanges(before: ILiveCellChange, next: ILiveCellChange): ILiveCellChange {
  const grow = before.grow && next.grow ? composeTextChanges(before.grow, next.grow) : null;
  return {
    ...next,
    append: before.append && next.append ? grow : null,
    grow,
    executionCount: next.executionCount !== undefined ? next.executionCount : before.executionCount
  };
}

/** The change of a text that `a` then `b` make. */
export function composeTextChanges(a: ITextChange, b: ITextChange): ITextChange {
  if (b.drop <= a.text.length) {
    return { drop: a.drop, text: a.text.slice(0, a.text.length - b.drop) + b.text };
  }
  return { drop: a.drop + b.drop - a.text.length, text: b.text };
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

/** True when `a` and `b` are both the stream of the same name (stdout, stderr). */
function sameStream(a: nbformat.IOutput | undefined, b: nbformat.IOutput): a is nbformat.IStream {
  return (
    a?.output_type === 'stream' &&
    b.output_type === 'stream' &&
    (a as nbformat.IStream).name === (b as nbformat.IStream).name
  );
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
