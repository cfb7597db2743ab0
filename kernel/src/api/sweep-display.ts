/**
 * One live output in the cell: in a tslab kernel, a display that is sent once as
 * `display_data` with a `display_id` and then replaced in place with
 * `update_display_data` (the same id), each time a bundle of `text/html` and
 * `text/plain`; in plain Node, lines on stdout.
 *
 * tslab keeps the function that sends display messages for the cell executing now in
 * `lastWriteDisplayData` of its `dist/jupyter.js` module (rebound per execute request).
 * That must be the module instance the running kernel loaded, so it is found in
 * `require.cache` (a fresh `require('tslab')` would be another copy that was never bound
 * and says "Not ready"). tslab's public `newDisplay()` is a thin wrapper over the same
 * function that sends one MIME type per call; calling the function directly sends both
 * types in one bundle, so the output stays ONE output that renders as HTML and still reads
 * as text. It is looked up at each send, so updates sent while a later cell runs go with
 * that cell's request (frontends and nbclient route updates by display id, not by cell).
 */
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';

/** A display bundle as tslab's `lastWriteDisplayData` takes it. */
interface IDisplayData {
  data: Record<string, string>;
  metadata: Record<string, never>;
  transient: { display_id: string };
}

type WriteDisplayData = (data: IDisplayData, update: boolean) => void;

interface ITslabJupyter {
  lastWriteDisplayData: WriteDisplayData | null;
}

const JUPYTER_MODULE = path.join('tslab', 'dist', 'jupyter.js');

function isTslabJupyter(value: unknown): value is ITslabJupyter {
  return typeof value === 'object' && value !== null && 'lastWriteDisplayData' in value;
}

/**
 * The `dist/jupyter.js` module of the tslab kernel running this process (one that has
 * been bound to an execute request), or null outside tslab.
 */
export function findTslabJupyter(): ITslabJupyter | null {
  for (const [file, mod] of Object.entries(require.cache)) {
    if (!file.endsWith(path.sep + JUPYTER_MODULE) || mod === undefined) {
      continue;
    }
    const exports: unknown = mod.exports;
    if (isTslabJupyter(exports) && typeof exports.lastWriteDisplayData === 'function') {
      return exports;
    }
  }
  return null;
}

/** Where a sweep shows its progress. */
export interface ISweepOutput {
  /** True for a rich display updated in place; false for appended text lines. */
  readonly rich: boolean;
  /** Shows `html` (with `text` as its plain fallback), replacing what was shown. */
  show(html: string, text: string): void;
  /** Appends lines (plain output only). */
  lines(lines: readonly string[]): void;
}

/** A display in a tslab kernel, updated in place. */
class TslabDisplay implements ISweepOutput {
  readonly rich = true;
  private readonly _id = randomBytes(8).toString('hex');
  private _sent = false;
  private _lastText: string | null = null;

  constructor(private readonly _jupyter: ITslabJupyter) {}

  show(html: string, text: string): void {
    if (this._sent && text === this._lastText) {
      return;
    }
    const write = this._jupyter.lastWriteDisplayData;
    if (write === null) {
      return;
    }
    write(
      {
        data: { 'text/html': html, 'text/plain': text },
        metadata: {},
        transient: { display_id: this._id }
      },
      this._sent
    );
    this._sent = true;
    this._lastText = text;
  }

  lines(): void {
    // The display says it all.
  }
}

/** Plain Node: lines on stdout. */
class LineOutput implements ISweepOutput {
  readonly rich = false;

  show(): void {
    // No rich display: the lines say it.
  }

  lines(lines: readonly string[]): void {
    if (lines.length > 0) {
      process.stdout.write(`${lines.join('\n')}\n`);
    }
  }
}

/** A display in the running tslab kernel's current cell, else stdout lines. */
export function openSweepOutput(): ISweepOutput {
  const jupyter = findTslabJupyter();
  return jupyter !== null ? new TslabDisplay(jupyter) : new LineOutput();
}
