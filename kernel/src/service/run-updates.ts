/**
 * The changes of a run's executed notebook as the service pushes them (`run-output`):
 * journal entries turned into updates a view applies to what it shows, updates merged
 * (everything one push carries for a cell in one update), and bounded (a stream that grew
 * by more than a push may carry is sent as its end). Pure functions over nbformat JSON.
 */
import type { JSONObject, JSONValue } from '../base/json';
import type { IRunCellUpdate, ITextChange } from '../contract';
import type { IJournalEntry } from '../executor/journal';

/** The text of a stream output (nbformat allows a list of lines). */
export function streamText(output: JSONValue | undefined): string {
  if (!isObject(output)) {
    return '';
  }
  const text = output.text;
  if (typeof text === 'string') {
    return text;
  }
  return Array.isArray(text) ? text.filter(t => typeof t === 'string').join('') : '';
}

/** The outputs of cell `index` of a notebook, or null when it is not a code cell. */
export function cellOutputs(nb: JSONObject, index: number): JSONValue[] | null {
  const cells = nb.cells;
  const cell = Array.isArray(cells) ? cells[index] : undefined;
  return isObject(cell) && Array.isArray(cell.outputs) ? cell.outputs : null;
}

/**
 * What journal entry `entry` changes, said relative to the notebook `nb` it is about to be
 * applied to: stream text as characters dropped from the end and appended.
 */
export function entryUpdate(nb: JSONObject, entry: IJournalEntry): IRunCellUpdate {
  const update: IRunCellUpdate = { cell: entry.c, outputs: entry.n };
  if (entry.set?.length) {
    update.set = entry.set.map(([index, output]) => [index, output]);
  }
  if (entry.text?.length) {
    const outputs = cellOutputs(nb, entry.c) ?? [];
    update.text = entry.text.map(([index, kept, appended]) => [
      index,
      { drop: Math.max(0, streamText(outputs[index]).length - kept), text: appended }
    ]);
  }
  if (entry.ec !== undefined) {
    update.executionCount = entry.ec;
  }
  return update;
}

/** Text changed by `first`, then by `second`, as one change. */
export function mergeText(first: ITextChange, second: ITextChange): ITextChange {
  if (second.drop <= first.text.length) {
    return {
      drop: first.drop,
      text: first.text.slice(0, first.text.length - second.drop) + second.text
    };
  }
  return { drop: first.drop + second.drop - first.text.length, text: second.text };
}

/**
 * Adds `next` to the updates of one push (by cell): a cell's updates become one, in which
 * an output set whole is sent as it is at push time (the notebook's own object, which later
 * text changes then already hold), and outputs a clear removed are forgotten.
 */
export function mergeUpdate(pending: Map<number, IRunCellUpdate>, next: IRunCellUpdate): void {
  const before = pending.get(next.cell);
  if (!before) {
    pending.set(next.cell, { ...next });
    return;
  }
  const set = new Map(before.set ?? []);
  const text = new Map(before.text ?? []);
  for (const index of [...set.keys(), ...text.keys()]) {
    if (index >= next.outputs) {
      set.delete(index);
      text.delete(index);
    }
  }
  for (const [index, output] of next.set ?? []) {
    set.set(index, output);
    text.delete(index);
  }
  for (const [index, change] of next.text ?? []) {
    if (set.has(index)) {
      continue;
    }
    const earlier = text.get(index);
    text.set(index, earlier ? mergeText(earlier, change) : change);
  }
  const merged: IRunCellUpdate = { cell: next.cell, outputs: next.outputs };
  if (set.size) {
    merged.set = [...set].sort((a, b) => a[0] - b[0]);
  }
  if (text.size) {
    merged.text = [...text].sort((a, b) => a[0] - b[0]);
  }
  const count = next.executionCount !== undefined ? next.executionCount : before.executionCount;
  if (count !== undefined) {
    merged.executionCount = count;
  }
  pending.set(next.cell, merged);
}

/**
 * The update with no stream text longer than `maxChars` in it: an output that grew by more
 * is sent whole, as its last `maxChars` characters (from a line start) after a line saying
 * how much is left out. `nb` is the notebook as it is now.
 */
export function boundUpdate(
  nb: JSONObject,
  update: IRunCellUpdate,
  maxChars: number
): IRunCellUpdate {
  const outputs = cellOutputs(nb, update.cell) ?? [];
  const set = new Map(update.set ?? []);
  const text: [number, ITextChange][] = [];
  for (const [index, change] of update.text ?? []) {
    if (change.text.length > maxChars && isObject(outputs[index])) {
      set.set(index, outputs[index] as JSONObject);
    } else {
      text.push([index, change]);
    }
  }
  const bounded: IRunCellUpdate = { ...update };
  delete bounded.set;
  delete bounded.text;
  if (set.size) {
    bounded.set = [...set]
      .sort((a, b) => a[0] - b[0])
      .map(([index, output]) => [index, boundOutput(output, maxChars)]);
  }
  if (text.length) {
    bounded.text = text;
  }
  return bounded;
}

/** A stream output with at most `maxChars` of its text (its end); other outputs as they are. */
export function boundOutput(output: JSONObject, maxChars: number): JSONObject {
  if (output.output_type !== 'stream') {
    return output;
  }
  const text = streamText(output);
  if (text.length <= maxChars) {
    return output;
  }
  return { ...output, text: textEnd(text, maxChars) };
}

/** The last `maxChars` characters of `text` from a line start, after a line saying what is left out. */
export function textEnd(text: string, maxChars: number): string {
  let cut = text.length - maxChars;
  const newline = text.indexOf('\n', cut);
  if (newline >= 0 && newline < text.length - 1) {
    cut = newline + 1;
  }
  return `[${cut} characters before these are not shown while the run is live]\n${text.slice(cut)}`;
}

/**
 * The updates that turn notebook `before` into `after`, or null when its cells differ (a
 * notebook rewritten as another one: send it whole). Used when the notebook file was
 * replaced (a checkpoint the journal did not lead to): the cost is the notebook's size, as
 * it was for the writer.
 */
export function notebookDiff(before: JSONObject, after: JSONObject): IRunCellUpdate[] | null {
  const cellsBefore = Array.isArray(before.cells) ? before.cells : [];
  const cellsAfter = Array.isArray(after.cells) ? after.cells : [];
  if (cellsBefore.length !== cellsAfter.length) {
    return null;
  }
  const updates: IRunCellUpdate[] = [];
  for (let c = 0; c < cellsAfter.length; c++) {
    const a = cellsBefore[c];
    const b = cellsAfter[c];
    if (!isObject(a) || !isObject(b) || a.cell_type !== b.cell_type) {
      return null;
    }
    if (b.cell_type !== 'code') {
      continue;
    }
    const update = cellDiff(c, a, b);
    if (update !== null) {
      updates.push(update);
    }
  }
  return updates;
}

function cellDiff(c: number, a: JSONObject, b: JSONObject): IRunCellUpdate | null {
  const outA = Array.isArray(a.outputs) ? a.outputs : [];
  const outB = Array.isArray(b.outputs) ? b.outputs : [];
  const update: IRunCellUpdate = { cell: c, outputs: outB.length };
  let changed = outA.length !== outB.length;
  const set: [number, JSONObject][] = [];
  const text: [number, ITextChange][] = [];
  outB.forEach((output, index) => {
    const old = outA[index];
    if (!isObject(output) || JSON.stringify(old) === JSON.stringify(output)) {
      return;
    }
    changed = true;
    if (isObject(old) && old.output_type === 'stream' && output.output_type === 'stream') {
      if (old.name === output.name) {
        const from = streamText(old);
        const to = streamText(output);
        const kept = commonPrefix(from, to);
        text.push([index, { drop: from.length - kept, text: to.slice(kept) }]);
        return;
      }
    }
    set.push([index, output]);
  });
  if (set.length) {
    update.set = set;
  }
  if (text.length) {
    update.text = text;
  }
  const count = b.execution_count ?? null;
  if ((a.execution_count ?? null) !== count) {
    changed = true;
    update.executionCount = typeof count === 'number' ? count : null;
  }
  return changed ? update : null;
}

/** Length of the common prefix of two strings, compared a block at a time. */
function commonPrefix(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  const block = 1 << 14;
  let i = 0;
  while (i + block <= n && a.slice(i, i + block) === b.slice(i, i + block)) {
    i += block;
  }
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) {
    i++;
  }
  return i;
}

/**
 * Index of the cell executing now: the last code cell started (it has an execution count
 * and the executor's timings) that has no `shell.execute_reply` yet; null when none has.
 * A run that stopped mid-cell leaves one: the view only shows it while the run runs.
 */
export function runningCell(nb: JSONObject | null): number | null {
  const cells = nb !== null && Array.isArray(nb.cells) ? nb.cells : [];
  for (let c = cells.length - 1; c >= 0; c--) {
    const cell = cells[c];
    if (!isObject(cell) || cell.cell_type !== 'code' || typeof cell.execution_count !== 'number') {
      continue;
    }
    const execution = isObject(cell.metadata) ? cell.metadata.execution : undefined;
    return isObject(execution) && !('shell.execute_reply' in execution) ? c : null;
  }
  return null;
}

export function isObject(value: unknown): value is JSONObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
