/**
 * Following a run's executed notebook as the runner writes it, at a cost in proportion to
 * what changed.
 *
 * The source is the notebook file plus its journal (executor/persist.ts): the runner appends
 * every change of a cell (stream text appended after `\r`/`\b` were resolved, displays added
 * or updated, `clear_output`, execution counts and timings) to the journal about four times
 * a second, and rewrites the notebook file now and then, starting a new journal for it. So
 * the journal says exactly what the notebook shows, change by change, and is read from where
 * the last read stopped. `output.log` would not do: it holds stream text only (no displays,
 * no clears, no cell boundaries). When the file or the journal is replaced, what is left of
 * the old journal is read first (the open descriptor still reads it), then the new file and
 * journal are read whole and compared with what was known: the changes are sent, not the
 * notebook (rewrites are rare: geometric in the notebook's size).
 */
import * as fs from 'fs';
import type { JSONObject } from '../base/json';
import type { IRunCellUpdate } from '../contract';
import { applyJournalEntry, type IJournalEntry, type IJournalHeader } from '../executor/journal';
import { entryUpdate, isObject, notebookDiff } from './run-updates';

/** What a poll found. */
export interface IExecutedChanges {
  /** The whole notebook, when it replaces what was known (first read, or other cells). */
  notebook?: JSONObject;
  /** Changes, in order. */
  updates: IRunCellUpdate[];
}

interface IFileId {
  dev: number;
  ino: number;
}

interface IJournalRead {
  fd: number;
  id: IFileId;
  /** Bytes read up to the end of the last complete line. */
  offset: number;
}

export class ExecutedFollower {
  constructor(
    private readonly _notebookPath: string,
    private readonly _journalPath: string,
    private readonly _open: (file: string) => number | null
  ) {}

  /** The notebook as last read, or null before it exists. */
  get notebook(): JSONObject | null {
    return this._nb;
  }

  /** Reads what changed since the last poll. */
  poll(): IExecutedChanges {
    if (this._nb === null) {
      return this._reload() && this._nb !== null
        ? { notebook: this._nb, updates: [] }
        : { updates: [] };
    }
    const updates = this._readJournal();
    if (this._replaced()) {
      const before = this._nb;
      if (this._reload()) {
        const diff = notebookDiff(before, this._nb);
        if (diff === null) {
          return { notebook: this._nb, updates: [] };
        }
        updates.push(...diff);
      }
    }
    return { updates };
  }

  close(): void {
    this._closeJournal();
  }

  /** The journal's new complete lines, applied to the notebook; their updates. */
  private _readJournal(): IRunCellUpdate[] {
    const journal = this._journal;
    const nb = this._nb;
    if (journal === null || nb === null) {
      return [];
    }
    const updates: IRunCellUpdate[] = [];
    for (const line of readLines(journal)) {
      const entry = parseEntry(line);
      if (entry === null) {
        continue;
      }
      const update = entryUpdate(nb, entry);
      if (!applyJournalEntry(nb, entry)) {
        // Not this notebook's journal after all: read both again.
        this._stale = true;
        break;
      }
      updates.push(update);
    }
    return updates;
  }

  /** True when the notebook file or its journal is not the one read. */
  private _replaced(): boolean {
    if (this._stale) {
      return true;
    }
    const file = statId(this._notebookPath);
    const journal = statId(this._journalPath);
    return !sameId(file, this._fileId) || !sameId(journal, this._journal?.id ?? null);
  }

  /**
   * Reads the notebook file and, when there is one for it, its journal. False (and what
   * was known stays) when the file is missing, not JSON yet, or the journal is for another
   * version of it: the next poll tries again.
   */
  private _reload(): boolean {
    const fd = this._open(this._notebookPath);
    if (fd === null) {
      return false;
    }
    let nb: JSONObject;
    let fileId: IFileId;
    let journal: IJournalRead | null = null;
    try {
      const stat = fs.fstatSync(fd);
      fileId = { dev: stat.dev, ino: stat.ino };
      const parsed = JSON.parse(fs.readFileSync(fd, 'utf8')) as unknown;
      if (!isObject(parsed)) {
        return false;
      }
      nb = parsed;
      // Opened while the notebook file is open, so that its inode cannot be reused meanwhile.
      const jfd = this._open(this._journalPath);
      if (jfd !== null) {
        const jstat = fs.fstatSync(jfd);
        journal = { fd: jfd, id: { dev: jstat.dev, ino: jstat.ino }, offset: 0 };
      }
    } catch {
      return false;
    } finally {
      fs.closeSync(fd);
    }
    if (journal !== null) {
      const lines = readLines(journal);
      const header = lines.length ? (parseLine(lines[0]) as Partial<IJournalHeader> | null) : null;
      const applies =
        header?.checkpoint !== undefined && sameId(header.checkpoint, fileId) && lines.length > 0;
      const entries = lines.slice(1).map(parseEntry);
      if (!applies || !entries.every(entry => entry !== null && applyJournalEntry(nb, entry))) {
        fs.closeSync(journal.fd);
        return false;
      }
    }
    this._closeJournal();
    this._nb = nb;
    this._fileId = fileId;
    this._journal = journal;
    this._stale = false;
    return true;
  }

  private _closeJournal(): void {
    if (this._journal !== null) {
      fs.closeSync(this._journal.fd);
      this._journal = null;
    }
  }

  private _nb: JSONObject | null = null;
  private _fileId: IFileId | null = null;
  private _journal: IJournalRead | null = null;
  private _stale = false;
}

/** The complete lines appended to a journal since the last read (a line being written waits). */
function readLines(journal: IJournalRead): string[] {
  const size = fs.fstatSync(journal.fd).size;
  if (size <= journal.offset) {
    return [];
  }
  const bytes = Buffer.alloc(size - journal.offset);
  const read = fs.readSync(journal.fd, bytes, 0, bytes.length, journal.offset);
  const end = bytes.lastIndexOf(0x0a, read - 1);
  if (end < 0) {
    return [];
  }
  journal.offset += end + 1;
  return bytes.toString('utf8', 0, end).split('\n');
}

function parseLine(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return null;
  }
}

function parseEntry(line: string): IJournalEntry | null {
  const entry = parseLine(line);
  return isObject(entry) && typeof entry.c === 'number' && typeof entry.n === 'number'
    ? (entry as unknown as IJournalEntry)
    : null;
}

function statId(file: string): IFileId | null {
  try {
    const stat = fs.statSync(file);
    return { dev: stat.dev, ino: stat.ino };
  } catch {
    return null;
  }
}

function sameId(a: IFileId | null, b: IFileId | null): boolean {
  return a === null || b === null ? a === b : a.dev === b.dev && a.ino === b.ino;
}
