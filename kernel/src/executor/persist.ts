/**
 * Keeping an executing notebook on disk at a cost in proportion to its output.
 *
 * Rewriting the whole notebook whenever it changes costs its whole size each time, which
 * over a long or loud run is quadratic. Instead:
 *
 * - changes go to a journal beside the notebook (see journal.ts), appended every
 *   `flushMs` with the changes of each cell since the last flush merged into one line, so
 *   that a reader sees output within a fraction of a second;
 * - the notebook file itself (a checkpoint, to which the journal then starts anew) is
 *   rewritten only while the checkpoints written so far come to at most half its size plus
 *   `slackBytes`: after every cell while a notebook is small, less and less often, in
 *   geometric steps, as it grows. All checkpoints together stay within 1.5 times the final
 *   size plus the slack;
 * - a checkpoint is written from a snapshot of the notebook's structure (its text is shared,
 *   not copied) a piece at a time, with the event loop running in between, and is not
 *   fsynced; the final notebook is written the same way but durably, then the journal is
 *   removed.
 *
 * Write failures are reported to `onError` (and thrown by `close` for the final notebook):
 * nothing here throws from a timer.
 */
import * as fs from 'fs';
import { writeNotebookChunked } from '../notebook/io';
import type { ICodeCell, INotebook } from '../notebook/nbformat';
import type { JSONObject } from '../base/json';
import { shallowCopy } from '../notebook/pyjson';
import type { CellChange } from './execute';
import { journalHeader, type IJournalEntry } from './journal';

export interface IPersistOptions {
  /** The notebook file. */
  path: string;
  /** Its journal. */
  journalPath: string;
  /** How often changes are appended to the journal (default 250 ms). */
  flushMs?: number;
  /** Checkpoint bytes allowed beyond half the notebook's size (default 1 MiB); see above. */
  slackBytes?: number;
  /** Told about failed writes (the run goes on; the final write's failure is thrown). */
  onError?: (err: Error) => void;
}

/** What changed in a cell since the last flush. */
interface IDirtyCell {
  /** Changed outputs by index: replaced whole, or stream text appended after `kept` characters. */
  outputs: Map<number, 'whole' | { kept: number; appended: string }>;
  /** The execution count or metadata changed. */
  cell: boolean;
}

export class NotebookPersister {
  constructor(
    readonly notebook: INotebook,
    private readonly _options: IPersistOptions
  ) {
    this._cellIndex = new Map(notebook.cells.map((cell, index) => [cell, index]));
  }

  /** Bytes written so far: checkpoints and journal. */
  get bytesWritten(): number {
    return this._bytes;
  }

  /** Checkpoints written so far (the final notebook included). */
  get checkpoints(): number {
    return this._checkpoints;
  }

  /** Records a change to a cell (the executor's `onChange`). */
  change(cell: ICodeCell, change: CellChange): void {
    let dirty = this._dirty.get(cell);
    if (dirty === undefined) {
      dirty = { outputs: new Map(), cell: false };
      this._dirty.set(cell, dirty);
    }
    switch (change.kind) {
      case 'cell':
        dirty.cell = true;
        break;
      case 'clear':
        dirty.outputs.clear();
        break;
      case 'set':
        dirty.outputs.set(change.index, 'whole');
        break;
      case 'text':
        dirty.outputs.set(
          change.index,
          appendText(dirty.outputs.get(change.index), change.kept, change.appended)
        );
        break;
    }
  }

  /**
   * A moment to rewrite the notebook file (the executor's `save`: start, cell ends, end):
   * done when the budget allows, always the first time, and in the background.
   */
  save(): void {
    if (this._closed) {
      return;
    }
    if (this._timer === undefined) {
      this._timer = setInterval(() => this._tick(), this._options.flushMs ?? 250);
      this._timer.unref();
    }
    this._maybeCheckpoint();
  }

  /**
   * Writes the final notebook atomically and durably and removes the journal. Throws if
   * the notebook could not be written.
   */
  async close(): Promise<void> {
    if (this._closed) {
      return;
    }
    this._closed = true;
    clearInterval(this._timer);
    await this._checkpointing;
    this._flush();
    const written = await this._write(true);
    this._bytes += written.bytes;
    this._checkpoints++;
    this._closeJournal();
    fs.rmSync(this._options.journalPath, { force: true });
  }

  /** Appends the changes made since the last flush to the journal now. */
  flush(): void {
    this._flush();
  }

  private _tick(): void {
    this._flush();
    this._maybeCheckpoint();
  }

  private _maybeCheckpoint(): void {
    if (this._checkpointing !== null) {
      return;
    }
    const size = this._checkpointSize + this._journalBytes;
    const budget = size / 2 + (this._options.slackBytes ?? 1 << 20);
    if (this._checkpoints > 0 && this._checkpointBytes > budget) {
      return;
    }
    this._checkpointing = this._checkpoint().finally(() => {
      this._checkpointing = null;
    });
  }

  /** Writes a checkpoint, then starts the journal anew for it. */
  private async _checkpoint(): Promise<void> {
    // Whoever reads the current file and journal until the new ones are in place must see
    // every change so far, and those made while the new file is written.
    this._flush();
    this._pending = [];
    try {
      const written = await this._write(false);
      this._bytes += written.bytes;
      this._checkpointBytes += written.bytes;
      this._checkpointSize = written.bytes;
      this._checkpoints++;
      this._startJournal(journalHeader(written) + this._pending.join(''));
    } catch (err) {
      this._fail(err);
    } finally {
      this._pending = null;
    }
  }

  /** Writes the notebook as it is now; resolves once it is in place. */
  private _write(durable: boolean): ReturnType<typeof writeNotebookChunked> {
    return writeNotebookChunked(this._options.path, snapshot(this.notebook), { durable });
  }

  /** Replaces the journal with one holding `text`, atomically; appends go there from now. */
  private _startJournal(text: string): void {
    const file = this._options.journalPath;
    const temp = `${file}.${process.pid}.tmp`;
    const fd = fs.openSync(temp, 'w');
    try {
      fs.writeSync(fd, text);
      fs.renameSync(temp, file);
    } catch (err) {
      fs.closeSync(fd);
      fs.rmSync(temp, { force: true });
      throw err;
    }
    this._closeJournal();
    this._journal = fd;
    this._journalBytes = Buffer.byteLength(text);
    this._bytes += this._journalBytes;
  }

  private _closeJournal(): void {
    if (this._journal !== null) {
      fs.closeSync(this._journal);
      this._journal = null;
    }
  }

  /** Appends the changes since the last flush, one line per changed cell. */
  private _flush(): void {
    if (this._dirty.size === 0) {
      return;
    }
    let text = '';
    for (const [cell, dirty] of this._dirty) {
      const entry = this._entry(cell, dirty);
      if (entry !== null) {
        text += JSON.stringify(entry) + '\n';
      }
    }
    this._dirty.clear();
    this._pending?.push(text);
    if (this._journal !== null) {
      try {
        const bytes = fs.writeSync(this._journal, text);
        this._journalBytes += bytes;
        this._bytes += bytes;
      } catch (err) {
        this._fail(err);
      }
    }
  }

  private _entry(cell: ICodeCell, dirty: IDirtyCell): IJournalEntry | null {
    const c = this._cellIndex.get(cell);
    if (c === undefined) {
      return null;
    }
    const entry: IJournalEntry = { c, n: cell.outputs.length };
    const indexes = [...dirty.outputs.keys()].sort((a, b) => a - b);
    for (const index of indexes) {
      const output = cell.outputs[index];
      const change = dirty.outputs.get(index);
      if (output === undefined || change === undefined) {
        continue;
      }
      if (change === 'whole') {
        (entry.set ??= []).push([index, output as unknown as JSONObject]);
      } else {
        (entry.text ??= []).push([index, change.kept, change.appended]);
      }
    }
    if (dirty.cell) {
      entry.ec = cell.execution_count;
      entry.md = cell.metadata;
    }
    return entry;
  }

  private _fail(err: unknown): void {
    this._options.onError?.(err instanceof Error ? err : new Error(String(err)));
  }

  private readonly _cellIndex: Map<INotebook['cells'][number], number>;
  private readonly _dirty = new Map<ICodeCell, IDirtyCell>();
  private _timer: NodeJS.Timeout | undefined;
  private _closed = false;
  private _checkpointing: Promise<void> | null = null;
  /** Journal text flushed while a checkpoint is written: the new journal starts with it. */
  private _pending: string[] | null = null;
  private _journal: number | null = null;
  /** Bytes in the journal now, and in the latest checkpoint. */
  private _journalBytes = 0;
  private _checkpointSize = 0;
  /** Bytes of all checkpoints so far, and of everything written. */
  private _checkpointBytes = 0;
  private _bytes = 0;
  private _checkpoints = 0;
}

/**
 * Merges an append to a stream output's text into what changed since the last flush: the
 * text is now `text.slice(0, kept) + appended`, relative to the text before this append.
 */
function appendText(
  before: 'whole' | { kept: number; appended: string } | undefined,
  kept: number,
  appended: string
): 'whole' | { kept: number; appended: string } {
  if (before === 'whole') {
    return 'whole';
  }
  if (before === undefined || kept <= before.kept) {
    return { kept, appended };
  }
  const still = kept - before.kept;
  const prefix =
    still === before.appended.length ? before.appended : before.appended.slice(0, still);
  return { kept: before.kept, appended: prefix + appended };
}

/**
 * A copy of the notebook's structure as it is now, sharing its strings and untouched
 * objects, so that it can be written out while the run goes on changing the notebook:
 * the executor replaces outputs' fields and cells' outputs lists and counts, and adds to
 * the execution timings in cells' metadata, but changes nothing else in place.
 */
function snapshot(nb: INotebook): INotebook {
  const copy = shallowCopy(nb as unknown as JSONObject) as unknown as INotebook;
  copy.metadata = shallowCopy(nb.metadata);
  copy.cells = nb.cells.map(cell => {
    if (cell.cell_type !== 'code') {
      return cell;
    }
    const metadata = shallowCopy(cell.metadata);
    const execution = metadata.execution;
    if (execution !== null && typeof execution === 'object' && !Array.isArray(execution)) {
      metadata.execution = shallowCopy(execution);
    }
    const copy = shallowCopy(cell as unknown as JSONObject) as unknown as ICodeCell;
    copy.metadata = metadata;
    copy.outputs = cell.outputs.map(o =>
      shallowCopy(o as unknown as JSONObject)
    ) as unknown as ICodeCell['outputs'];
    return copy;
  });
  return copy;
}
