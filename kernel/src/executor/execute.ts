/**
 * Runs one notebook in one kernel with nbclient's semantics.
 *
 * Cells execute in order; iopub messages are routed to their cell by parent
 * `msg_id` and reduced to nbformat outputs; a failing cell stops the run
 * unless errors are allowed. The notebook object is updated in place: every
 * change is reported to `onChange` as it is made, and the notebook is handed to
 * `save` at the start, after every cell and at the end (see persist.ts for how a
 * run keeps it on disk).
 */
import { stripVTControlCharacters } from 'node:util';
import type { KernelManager } from '../protocol/manager';
import { delay } from '../base/async';
import { str, type IMessage } from '../protocol/messages';
import {
  cellTags,
  sourceText,
  type ICodeCell,
  type IErrorOutput,
  type INotebook
} from '../notebook/nbformat';
import { type JSONObject, type JSONValue } from '../base/json';
import { OutputReducer, type OutputChange } from './outputs';

export interface IExecuteOptions {
  /** Per-cell limit; the kernel is interrupted and the run fails when it passes. */
  timeoutMs?: number | null;
  /** Keep going after a failing cell (nbclient's `allow_errors`). */
  allowErrors?: boolean;
  /** Called with the notebook at the start, after each cell and at the end. */
  save?: (nb: INotebook) => void;
  /** Told of every change to a cell as it is made: its outputs, or its count and metadata. */
  onChange?: (cell: ICodeCell, change: CellChange) => void;
  /** Stream text as it arrives, for the run's log and the terminal. */
  onStream?: (name: 'stdout' | 'stderr', text: string) => void;
  /**
   * The traceback of an error a cell raised, as the kernel sent it (ANSI colours kept),
   * when it arrives (not while the run is being stopped). Kernels that report errors on stderr instead (tslab) never call it:
   * their text comes through `onStream`.
   */
  onError?: (traceback: string) => void;
  /** Progress: `done` code cells of `total`, `current` being the 1-based number running. */
  onProgress?: (progress: IProgress) => void;
}

export interface IProgress {
  total: number;
  done: number;
  /** 1-based position among the cells to execute, or null between cells. */
  current: number | null;
  /** Index of the cell in the notebook, or null. */
  cellIndex: number | null;
}

/** A change to a cell: to its outputs, or (`cell`) to its execution count or metadata. */
export type CellChange = OutputChange | { kind: 'cell' };

export type ExecuteStatus = 'completed' | 'error' | 'terminated';

export interface IExecuteResult {
  status: ExecuteStatus;
  /** One line saying what went wrong, when the status is not `completed`. */
  error: string | null;
  /** Index of the failing cell in the notebook, if any. */
  cellIndex: number | null;
  /** The failing cell's traceback, without ANSI escapes, when the status is `error`. */
  traceback: string | null;
}

/** How one cell ended. */
type CellEnd =
  | { kind: 'done'; reply: IMessage }
  | { kind: 'timeout' }
  | { kind: 'died'; message: string }
  | { kind: 'stopped' };

/** True for the cells nbclient executes: code, not blank, not tagged `skip-execution`. */
export function isExecutable(cell: INotebook['cells'][number]): cell is ICodeCell {
  return (
    cell.cell_type === 'code' &&
    sourceText(cell.source).trim() !== '' &&
    !cellTags(cell).includes('skip-execution')
  );
}

export class NotebookExecutor {
  constructor(
    private readonly _kernel: KernelManager,
    readonly notebook: INotebook,
    private readonly _options: IExecuteOptions = {}
  ) {
    const onChange = _options.onChange;
    this._reducer = new OutputReducer({ onChange });
    this._cellChanged = onChange ? cell => onChange(cell, { kind: 'cell' }) : () => undefined;
  }

  /**
   * Asks the run to stop: the running cell is interrupted and `run()`
   * resolves with status `terminated` and `reason`.
   */
  stop(reason: string): void {
    if (this._stopReason === null) {
      this._stopReason = reason;
      this._wakeStop();
    }
  }

  async run(): Promise<IExecuteResult> {
    const nb = this.notebook;
    const languageInfo = this._kernel.info.language_info;
    if (languageInfo && typeof languageInfo === 'object') {
      nb.metadata.language_info = languageInfo as JSONObject;
    }
    const indexes = nb.cells.map((c, i) => (isExecutable(c) ? i : -1)).filter(i => i >= 0);
    for (const i of indexes) {
      const cell = nb.cells[i] as ICodeCell;
      cell.outputs = [];
      cell.execution_count = null;
    }
    const progress: IProgress = { total: indexes.length, done: 0, current: null, cellIndex: null };
    this._save();
    let count = 0;
    let failedBefore = false;
    for (const [position, index] of indexes.entries()) {
      if (this._stopReason !== null) {
        return this._finish('terminated', this._stopReason, null);
      }
      progress.current = position + 1;
      progress.cellIndex = index;
      this._options.onProgress?.({ ...progress });
      const cell = nb.cells[index] as ICodeCell;
      let end = await this._executeCell(cell, ++count);
      // tslab aborts what arrives within 200 ms of a failed cell; going on past errors
      // means sending the cell again once that window has passed.
      for (let retry = 0; failedBefore && retry < 3 && isAborted(end); retry++) {
        await delay(250);
        end = await this._executeCell(cell, count);
      }
      failedBefore = end.kind !== 'done' || this._failure(cell, end.reply) !== null;
      progress.done = position + 1;
      progress.current = null;
      progress.cellIndex = null;
      this._save();
      this._options.onProgress?.({ ...progress });
      const label = `cell ${position + 1} of ${indexes.length}`;
      switch (end.kind) {
        case 'stopped':
          return this._finish('terminated', this._stopReason ?? 'stopped', index);
        case 'died':
          return this._finish('error', `${end.message} while running ${label}`, index);
        case 'timeout':
          if (this._errorsAllowed(cell)) {
            // nbclient's interrupt_on_timeout with allow_errors: the interrupt is the
            // cell's error, and the run goes on.
            this._recordTimeout(cell);
            break;
          }
          return this._finish(
            'error',
            `${label} timed out after ${formatSeconds(this._options.timeoutMs ?? 0)}` +
              ' (raise --timeout if it needs longer)',
            index
          );
        case 'done': {
          const failure = this._failure(cell, end.reply);
          if (failure !== null && !this._errorsAllowed(cell)) {
            return this._finish('error', `${label} failed: ${failure}`, index, tracebackOf(cell));
          }
        }
      }
    }
    return this._finish('completed', null, null);
  }

  private async _executeCell(cell: ICodeCell, count: number): Promise<CellEnd> {
    this._reducer.startCell(cell);
    cell.execution_count = count;
    const timing: JSONObject = {};
    cell.metadata.execution = timing;
    this._cellChanged(cell);
    let idle!: () => void;
    const idleSeen = new Promise<void>(resolve => {
      idle = resolve;
    });
    const { msgId, reply } = this._kernel.client.request(
      'shell',
      'execute_request',
      {
        code: sourceText(cell.source),
        silent: false,
        store_history: true,
        user_expressions: {},
        allow_stdin: false,
        stop_on_error: !this._errorsAllowed(cell)
      },
      msg => this._onIopub(cell, count, timing, msg, idle)
    );
    const stopped = new Promise<CellEnd>(resolve => {
      this._wakeStop = () => resolve({ kind: 'stopped' });
    });
    if (this._stopReason !== null) {
      this._wakeStop();
    }
    const died = this._kernel.died.then<CellEnd>(err => ({ kind: 'died', message: err.message }));
    const timeoutMs = this._options.timeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<CellEnd>(resolve => {
      if (timeoutMs) {
        timer = setTimeout(() => resolve({ kind: 'timeout' }), timeoutMs);
      }
    });
    const replied = reply.then(
      (msg): CellEnd => ({ kind: 'done', reply: msg }),
      (err: Error): CellEnd => ({ kind: 'died', message: err.message })
    );
    let end = await Promise.race([replied, died, timedOut, stopped]);
    clearTimeout(timer);
    if (end.kind === 'done') {
      timing['shell.execute_reply'] = timestamp();
      this._cellChanged(cell);
      // Outputs may still be in flight: wait for this request's idle (nbclient's iopub_timeout).
      await Promise.race([idleSeen, died, delay(4000)]);
    } else if (end.kind === 'timeout' || end.kind === 'stopped') {
      // Interrupt, then give the kernel a moment to report what it was doing. A timed-out
      // cell's traceback belongs in the record, and behind a flood of output it can trail
      // the reply by seconds, so a timeout waits as long as a finished cell does; a run
      // being stopped only needs the kernel quiet.
      await this._kernel.interrupt();
      const patience =
        end.kind === 'timeout' ? { reply: 5000, idle: 4000 } : { reply: 2000, idle: 500 };
      const settled = await Promise.race([replied, died, delay(patience.reply).then(() => null)]);
      if (settled?.kind === 'died') {
        end = settled;
      } else if (settled) {
        await Promise.race([idleSeen, died, delay(patience.idle)]);
      }
    }
    this._kernel.client.release(msgId);
    this._wakeStop = () => undefined;
    return end;
  }

  private _onIopub(
    cell: ICodeCell,
    count: number,
    timing: JSONObject,
    msg: IMessage,
    idle: () => void
  ): void {
    const type = msg.header.msg_type;
    if (type === 'status') {
      const state = str(msg.content, 'execution_state');
      if (state === 'busy') {
        timing['iopub.status.busy'] = timestamp();
        this._cellChanged(cell);
      } else if (state === 'idle') {
        timing['iopub.status.idle'] = timestamp();
        this._cellChanged(cell);
        idle();
      }
      return;
    }
    if (type === 'execute_input') {
      timing['iopub.execute_input'] = timestamp();
      this._cellChanged(cell);
      return;
    }
    if (type === 'stream') {
      const name = str(msg.content, 'name') === 'stderr' ? 'stderr' : 'stdout';
      this._options.onStream?.(name, str(msg.content, 'text'));
    } else if (type === 'error' && this._stopReason === null) {
      // (A run being stopped is interrupted by nbx: its KeyboardInterrupt is no news.)
      this._options.onError?.(errorText(msg.content));
    }
    this._reducer.handle(cell, count, { msg_type: type, content: msg.content });
  }

  /** Makes sure an interrupted cell shows an error (the kernel may have reported none). */
  private _recordTimeout(cell: ICodeCell): void {
    if (!cell.outputs.some(o => o.output_type === 'error')) {
      const evalue = `cell timed out after ${formatSeconds(this._options.timeoutMs ?? 0)} and was interrupted`;
      cell.outputs.push({ output_type: 'error', ename: 'CellTimeoutError', evalue, traceback: [] });
      this._options.onChange?.(cell, { kind: 'set', index: cell.outputs.length - 1 });
    }
    this._save();
  }

  /** What failed in the cell, or null: an error reply or an error output. */
  private _failure(cell: ICodeCell, reply: IMessage): string | null {
    const status = str(reply.content, 'status');
    const errorOutput = cell.outputs.find((o): o is IErrorOutput => o.output_type === 'error');
    if (status !== 'error' && !errorOutput) {
      return null;
    }
    const ename = str(reply.content, 'ename') || (errorOutput?.ename ?? '');
    const evalue = str(reply.content, 'evalue') || (errorOutput?.evalue ?? '');
    if (ename) {
      return evalue ? `${ename}: ${evalue}` : ename;
    }
    // tslab reports errors only as stderr text: quote its last line.
    return lastStderrLine(cell) ?? 'the kernel reported an error';
  }

  private _errorsAllowed(cell: ICodeCell): boolean {
    return this._options.allowErrors === true || cellTags(cell).includes('raises-exception');
  }

  private _finish(
    status: ExecuteStatus,
    error: string | null,
    cellIndex: number | null,
    traceback: string | null = null
  ): IExecuteResult {
    this._save();
    return { status, error, cellIndex, traceback };
  }

  private _save(): void {
    this._options.save?.(this.notebook);
  }

  private readonly _reducer: OutputReducer;
  private readonly _cellChanged: (cell: ICodeCell) => void;
  private _stopReason: string | null = null;
  private _wakeStop: () => void = () => undefined;
}

/** True when the kernel aborted the request instead of running it (`abort` is tslab's spelling). */
function isAborted(end: CellEnd): boolean {
  if (end.kind !== 'done') {
    return false;
  }
  const status = str(end.reply.content, 'status');
  return status === 'abort' || status === 'aborted';
}

/** An error's traceback lines as one text, or `ename: evalue` when it has none. */
function errorText(error: object): string {
  const { traceback, ename, evalue } = error as Partial<IErrorOutput>;
  if (Array.isArray(traceback) && traceback.length > 0) {
    return traceback.join('\n');
  }
  return [ename, evalue].filter(Boolean).join(': ');
}

/**
 * What a failed cell says about its failure, without ANSI escapes: its error output's
 * traceback, else (tslab) what it wrote to stderr; null when neither is there.
 */
function tracebackOf(cell: ICodeCell): string | null {
  const error = cell.outputs.find((o): o is IErrorOutput => o.output_type === 'error');
  const text =
    error !== undefined
      ? errorText(error)
      : cell.outputs
          .map(o =>
            o.output_type === 'stream' && o.name === 'stderr'
              ? Array.isArray(o.text)
                ? o.text.join('')
                : o.text
              : ''
          )
          .join('');
  const plain = stripVTControlCharacters(text).trimEnd();
  return plain === '' ? null : plain;
}

function lastStderrLine(cell: ICodeCell): string | null {
  for (let i = cell.outputs.length - 1; i >= 0; i--) {
    const out = cell.outputs[i];
    if (out.output_type === 'stream' && out.name === 'stderr') {
      const lines = (Array.isArray(out.text) ? out.text.join('') : out.text)
        .split('\n')
        .map(l => l.trim())
        .filter(l => l !== '');
      // tslab prints `L:C - message` for type errors and `Error: message` plus
      // a stack for runtime errors: prefer those lines over stack frames.
      const telling = lines.filter(l => !l.startsWith('at '));
      const pick =
        telling.find(
          l => /^\d+:\d+ - /.test(l) || /^([A-Za-z_$][\w$]*)?(Error|Exception)\b/.test(l)
        ) ??
        telling[0] ??
        lines[lines.length - 1];
      if (pick) {
        return pick.length > 200 ? `${pick.slice(0, 197)}...` : pick;
      }
    }
  }
  return null;
}

/** nbclient's timestamp format: ISO 8601 with microseconds and a Z. */
function timestamp(): JSONValue {
  return new Date().toISOString().replace('Z', '000Z');
}

export function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}
