/**
 * The stream a running cell prints to, shown light while the run is live. JupyterLab's
 * output area renders a stream's whole text on every change (ANSI colours, links): with a
 * cell printing thousands of lines a second that blocks the page. A `LiveStream` takes
 * over the `<pre>` JupyterLab rendered for the stream and writes plain text into it:
 * appended text becomes a text node of its own (what is shown is not rendered again), a
 * `\r` rewrite drops characters from the end, and when the live limit cuts the stream's
 * start the kept text is set anew, once. ANSI escapes are left out; the cell's outputs
 * are rendered whole by JupyterLab when it finishes.
 */
import type { ITextChange } from '../../kernel/src/contract/service';

/** CSI escapes (colours, cursor moves) that a plain text view would show as garbage. */
// eslint-disable-next-line no-control-regex
const ANSI_ESCAPE = /\u001b\[[0-9;?]*[A-Za-z]/g;

/** The class of a `<pre>` a live stream writes to. */
const LIVE_CLASS = 'nbx-mod-liveStream';

/** A stream's `<pre>`, written as text arrives. */
export class LiveStream {
  /** Takes over `pre` (its content is replaced at the first write). */
  constructor(pre: HTMLElement) {
    this._pre = pre;
    pre.classList.add(LIVE_CLASS);
  }

  /** Shows `text` whole. */
  reset(text: string): void {
    this._pre.textContent = '';
    this._chunks = [];
    this._push(text);
  }

  /** Applies a change at the end of the text shown. */
  append(change: ITextChange): void {
    let drop = change.drop;
    while (drop > 0 && this._chunks.length > 0) {
      const last = this._chunks[this._chunks.length - 1];
      if (last.raw.length <= drop) {
        drop -= last.raw.length;
        last.node.remove();
        this._chunks.pop();
      } else {
        last.raw = last.raw.slice(0, last.raw.length - drop);
        last.node.data = plain(last.raw);
        drop = 0;
      }
    }
    this._push(change.text);
  }

  /** True while `pre` is still in the page (the output area did not render it anew). */
  get attached(): boolean {
    return this._pre.isConnected;
  }

  private _push(text: string): void {
    if (text === '') {
      return;
    }
    const node = document.createTextNode(plain(text));
    this._pre.appendChild(node);
    this._chunks.push({ raw: text, node });
  }

  private readonly _pre: HTMLElement;
  /** What was written, in order: the raw text of each node (`drop` counts raw characters). */
  private _chunks: { raw: string; node: Text }[] = [];
}

/** `text` without ANSI escapes. */
function plain(text: string): string {
  return text.includes('\u001b') ? text.replace(ANSI_ESCAPE, '') : text;
}
