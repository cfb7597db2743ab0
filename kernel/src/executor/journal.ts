/**
 * The journal of an executed notebook: what changed in its cells since the notebook file
 * was last written, one JSON line per change, appended as a run produces output (see
 * persist.ts for the writer).
 *
 * The first line names the notebook file the journal applies to, by device and inode
 * number (a new version of the file is a new inode, renamed into place); every other line
 * is an {@link IJournalEntry}. A reader takes the notebook file, checks that the journal
 * is the one for it, and applies the entries in order: {@link readExecutedNotebook}.
 */
import * as fs from 'fs';
import type { JSONObject, JSONValue } from '../base/json';

/** The first line of a journal: the notebook file it applies to. */
export interface IJournalHeader {
  checkpoint: { dev: number; ino: number };
}

/**
 * What changed in one cell: outputs added or replaced (`set`), text appended to stream
 * outputs (`text`: the output's first `kept` characters stay, `appended` follows), the
 * number of outputs after the change (`n`, which truncates a cleared cell), and the
 * execution count and metadata when they changed.
 */
export interface IJournalEntry {
  /** Index of the cell in the notebook. */
  c: number;
  n: number;
  set?: [index: number, output: JSONObject][];
  text?: [index: number, kept: number, appended: string][];
  ec?: number | null;
  md?: JSONObject;
}

/** The journal line naming the notebook file `checkpoint` as the one it applies to. */
export function journalHeader(checkpoint: { dev: number; ino: number }): string {
  const header: IJournalHeader = { checkpoint: { dev: checkpoint.dev, ino: checkpoint.ino } };
  return JSON.stringify(header) + '\n';
}

/**
 * Applies one entry to a notebook as parsed from its file (stream text may be a list of
 * lines). Returns false, leaving the cell in an unspecified state, when the entry does not
 * fit the notebook (a journal that belongs to another version of it).
 */
export function applyJournalEntry(nb: JSONObject, entry: IJournalEntry): boolean {
  const cells = nb.cells;
  const cell = Array.isArray(cells) ? cells[entry.c] : undefined;
  if (!isObject(cell) || cell.cell_type !== 'code' || !Array.isArray(cell.outputs)) {
    return false;
  }
  const outputs = cell.outputs;
  for (const [index, output] of entry.set ?? []) {
    if (index > outputs.length) {
      return false;
    }
    outputs[index] = output;
  }
  for (const [index, kept, appended] of entry.text ?? []) {
    const output = outputs[index];
    if (!isObject(output) || output.output_type !== 'stream') {
      return false;
    }
    const before = joinText(output.text);
    if (before.length < kept) {
      return false;
    }
    output.text = before.slice(0, kept) + appended;
  }
  if (outputs.length < entry.n) {
    return false;
  }
  outputs.length = entry.n;
  if (entry.ec !== undefined) {
    cell.execution_count = entry.ec;
  }
  if (entry.md !== undefined) {
    cell.metadata = entry.md;
  }
  return true;
}

/** How often a reader tries again when it meets a journal being replaced. */
const READ_ATTEMPTS = 5;
const RETRY_MS = 20;

/**
 * The executed notebook as it is now: the notebook file with its journal (when there is
 * one for it) applied, or null when there is no notebook file yet. Files are opened with
 * `open` (null for a file that does not exist). Throws a SyntaxError when the file is not
 * JSON. A journal that does not fit is ignored: the notebook file alone is returned.
 */
export function readExecutedNotebook(
  notebookPath: string,
  journalPath: string,
  open: (file: string) => number | null = openIfExists
): JSONObject | null {
  for (let attempt = 1; ; attempt++) {
    const fd = open(notebookPath);
    if (fd === null) {
      return null;
    }
    let text: string;
    let stat: fs.Stats;
    let journal: string | null;
    try {
      stat = fs.fstatSync(fd);
      text = fs.readFileSync(fd, 'utf8');
      // Read while the notebook file is open, so that its inode cannot be reused meanwhile.
      journal = readWhole(open(journalPath));
    } finally {
      fs.closeSync(fd);
    }
    const nb = JSON.parse(text) as JSONObject;
    if (journal === null) {
      return nb;
    }
    const lines = completeLines(journal);
    const header = parseLine(lines[0]) as Partial<IJournalHeader> | null;
    const checkpoint = header?.checkpoint;
    const matches = checkpoint?.dev === stat.dev && checkpoint.ino === stat.ino;
    if (matches && lines.slice(1).every(line => applyLine(nb, line))) {
      return nb;
    }
    if (attempt >= READ_ATTEMPTS) {
      // The journal belongs to no version of the notebook we could read: show the file.
      return JSON.parse(text) as JSONObject;
    }
    // The writer replaces the file and then the journal: give it a moment to do both.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, RETRY_MS);
  }
}

function applyLine(nb: JSONObject, line: string): boolean {
  const entry = parseLine(line);
  return isObject(entry) && applyJournalEntry(nb, entry as unknown as IJournalEntry);
}

function openIfExists(file: string): number | null {
  try {
    return fs.openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return null;
    }
    throw err;
  }
}

function readWhole(fd: number | null): string | null {
  if (fd === null) {
    return null;
  }
  try {
    return fs.readFileSync(fd, 'utf8');
  } finally {
    fs.closeSync(fd);
  }
}

/** The lines of `text` that are complete (a line being appended has no newline yet). */
function completeLines(text: string): string[] {
  const end = text.lastIndexOf('\n');
  return end < 0 ? [''] : text.slice(0, end).split('\n');
}

function parseLine(line: string): JSONValue | null {
  try {
    return JSON.parse(line) as JSONValue;
  } catch {
    return null;
  }
}

function joinText(text: JSONValue | undefined): string {
  if (typeof text === 'string') {
    return text;
  }
  return Array.isArray(text) ? text.filter(t => typeof t === 'string').join('') : '';
}

function isObject(value: unknown): value is JSONObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
