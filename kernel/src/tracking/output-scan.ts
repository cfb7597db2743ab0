/**
 * Output scalars: finds scalar values in the text a notebook prints, as Guild AI does.
 *
 * The defaults are Guild's two output-scalar patterns, applied to each line after trailing
 * whitespace is stripped (the `^...$` span the whole line):
 *
 * ```
 * A  ^KEY:\s+NUM\s+\((?:step\s+)?(?<step>[0-9]+)\)$      `loss: 0.25 (step 3)` sets the step
 * B  ^(KEY):\s+(NUM)(?:\s+\(.*\))?$                     `loss: 0.25`, `acc: 0.9 (best)`
 * KEY = [_a-zA-Z]\S*
 * NUM = [-+]?[0-9]*\.?[0-9]*(?:[eE][-+]?[0-9]+)? | nan | [-+]?inf(inity)?   (nan, inf in any case)
 * ```
 *
 * plus nbx's pairs, any number per line: `key=value` (`step=3 loss=0.25 acc=0.9`,
 * `epoch=1, loss=0.3`, a tqdm postfix `[..., loss=0.251]`) and, on lines A and B do not
 * match, `key: value` (`loss: 0.5 acc: 0.9`, `tick=0 loss: 1`, Keras'
 * `- loss: 0.23 - accuracy: 0.91`):
 *
 * ```
 * C  (?<=^|SEP)([_a-zA-Z][\w./-]*)=(NUM)(?=$|SEP)
 * D  (?<=^|SEP)([_a-zA-Z][\w./-]*):\s+(NUM)(?=$|SEP)
 * SEP = [\s,;|()\[\]{}]
 * ```
 *
 * Steps follow Guild: the key `step` (any pattern) or A's `(step N)` sets the step, and the
 * step then sticks for every later value. Until a step has been seen, the step is implied:
 * it starts at 0 and goes up by one whenever a key repeats (`x: 1 / y: 2 / x: 3` puts the
 * second `x` at step 1). On a line of pairs, a `step` pair applies to the whole line,
 * whichever its position, and the other pairs are taken in line order. With the default
 * patterns, keys equal to a flag name are ignored (printing the flags records no
 * scalars). Values that do not parse as numbers are skipped.
 *
 * Per notebook, `metadata.nbx.output_scalars` configures scanning (see
 * `parseOutputScalarsConfig`).
 */
import {
  DEFAULT_OUTPUT_SCALARS,
  type IOutputPattern,
  type OutputScalarsConfig
} from './output-scan-config';
import {
  canEndColonValue,
  canStartNum,
  isKeyStart,
  isNumSyntaxAt,
  isPairKeyChar,
  isPairSeparator,
  isSpace,
  parseNumberAt
} from './output-scan-lex';

export {
  DEFAULT_OUTPUT_SCALARS,
  DEFAULT_PATTERNS,
  KEY_PATTERN,
  NUM_PATTERN,
  OUTPUT_SCALARS_SETTING,
  outputScalarsConfig,
  parseOutputScalarsConfig,
  STEP_PATTERN,
  type IOutputPattern,
  type OutputScalarsConfig
} from './output-scan-config';

/**
 * Parses a number as Python's `float()` does for the values the patterns capture (see
 * `parseNumberAt`); surrounding whitespace is ignored. Null when it is not one.
 */
export function parseScalarNumber(text: string): number | null {
  const s = text.trim();
  return parseNumberAt(s, 0, s.length);
}

/** Receives the scalars found. */
export type ScalarCallback = (key: string, value: number, step: number) => void;

/** Options of an OutputScanner. */
export interface IOutputScannerOptions {
  /** How to scan (default: the default patterns). */
  config?: OutputScalarsConfig;
  /** Flag names; values under these keys are ignored with the default patterns. */
  flags?: Iterable<string>;
  /** Longest partial line kept between chunks (default 64 KiB); longer lines are not scanned. */
  maxLineLength?: number;
}

/** How many recent keys are remembered to avoid allocating their strings again. */
const KEY_CACHE_SIZE = 16;

/**
 * A streaming scanner for output scalars: feed it chunks of text as they arrive (lines may
 * be split anywhere, `\r` ends a line as `\n` does); each complete line is scanned and
 * the scalars found go to the callback, in line order. stdout and stderr keep separate
 * partial lines and share the step.
 *
 * The default patterns are hand-coded (same matches as DEFAULT_PATTERNS, tested against
 * them), with cheap checks first: a line is looked at further only when it holds a `:` or
 * a `=`, and a `:` only when whitespace follows it or the line could match A or B.
 */
export class OutputScanner {
  private readonly _onScalar: ScalarCallback;
  private readonly _config: OutputScalarsConfig;
  private readonly _ignore: Set<string>;
  private readonly _maxLine: number;
  private readonly _partial = new Map<string, string>();
  private readonly _overlong = new Set<string>();
  private _step = 0;
  private _explicitStep = false;
  /** Per key, the implied step it was last seen at. */
  private readonly _seenAt = new Map<string, number>();
  // Positions of the next ':' and '=' in the text being scanned (-1: none left).
  private _nextColon = -1;
  private _nextEquals = -1;
  private _nextCR = -1;
  // The pairs of the line being scanned: key span and value (reused, never shrunk).
  private readonly _pairStarts: number[] = [];
  private readonly _pairEnds: number[] = [];
  private readonly _pairValues: number[] = [];
  private readonly _keyCache: string[] = [];
  private _keyCacheNext = 0;

  constructor(onScalar: ScalarCallback, options: IOutputScannerOptions = {}) {
    this._onScalar = onScalar;
    this._config = options.config ?? DEFAULT_OUTPUT_SCALARS;
    this._ignore = new Set(this._config.mode === 'default' ? (options.flags ?? []) : []);
    this._maxLine = options.maxLineLength ?? 64 * 1024;
  }

  /** The current step (the next value's, unless a key repeats first). */
  get step(): number {
    return this._step;
  }

  /** True when scanning is disabled. */
  get disabled(): boolean {
    return this._config.mode === 'off';
  }

  /** Scans the complete lines of `chunk`; the rest waits for the next chunk of `stream`. */
  write(chunk: string, stream = 'stdout'): void {
    if (this._config.mode === 'off' || chunk.length === 0) {
      return;
    }
    let start = 0;
    const partial = this._partial.get(stream);
    const overlong = this._overlong.has(stream);
    if (partial !== undefined || overlong) {
      // Finish the pending line without copying the whole chunk onto it.
      this._nextCR = chunk.indexOf('\r');
      const end = this._lineEnd(chunk, 0);
      if (end < 0) {
        if (!overlong) {
          this._keepPartial(stream, `${partial}${chunk}`);
        }
        return;
      }
      this._partial.delete(stream);
      this._overlong.delete(stream);
      if (!overlong) {
        const line = partial + chunk.slice(0, end);
        this._markNext(line, 0);
        this._scanLine(line, 0, line.length);
      }
      start = end + 1;
    }
    this._markNext(chunk, start);
    this._nextCR = chunk.indexOf('\r', start);
    for (;;) {
      const end = this._lineEnd(chunk, start);
      if (end < 0) {
        break;
      }
      this._scanLine(chunk, start, end);
      start = end + 1;
    }
    if (start < chunk.length) {
      this._keepPartial(stream, start === 0 ? chunk : chunk.slice(start));
    }
  }

  /** Keeps an unfinished line for the next chunk, unless it is too long to scan. */
  private _keepPartial(stream: string, rest: string): void {
    if (rest.length > this._maxLine) {
      this._partial.delete(stream);
      this._overlong.add(stream);
    } else {
      this._partial.set(stream, rest);
    }
  }

  /** Index of the `\n` or `\r` ending the line that starts at `start`, or -1. */
  private _lineEnd(text: string, start: number): number {
    const nl = text.indexOf('\n', start);
    let cr = this._nextCR;
    if (cr >= 0 && cr < start) {
      cr = this._nextCR = text.indexOf('\r', start);
    }
    return cr >= 0 && (nl < 0 || cr < nl) ? cr : nl;
  }

  /** Finds the first `:` and `=` from `start` (the pre-checks' positions). */
  private _markNext(text: string, start: number): void {
    this._nextColon = text.indexOf(':', start);
    this._nextEquals = text.indexOf('=', start);
  }

  /** Scans what is left of unfinished lines (call when the output has ended). */
  end(): void {
    for (const [stream, rest] of [...this._partial]) {
      this._partial.delete(stream);
      this._markNext(rest, 0);
      this._scanLine(rest, 0, rest.length);
    }
    this._overlong.clear();
  }

  /** Scans `text[start, end)` (one line without its newline). */
  private _scanLine(text: string, start: number, end: number): void {
    let e = end;
    while (e > start && isSpace(text.charCodeAt(e - 1))) {
      e--;
    }
    if (e === start) {
      return;
    }
    if (this._config.mode === 'custom') {
      this._scanCustom(text.slice(start, e), this._config.patterns);
      return;
    }
    this._scanDefault(text, start, e);
  }

  private _scanDefault(text: string, start: number, e: number): void {
    let colon = this._nextColon;
    if (colon >= 0 && colon < start) {
      colon = this._nextColon = text.indexOf(':', start);
    }
    let eq = this._nextEquals;
    if (eq >= 0 && eq < start) {
      eq = this._nextEquals = text.indexOf('=', start);
    }
    const hasColon = colon >= 0 && colon < e;
    const hasEquals = eq >= 0 && eq < e;
    // Patterns A and B: `key: value` spanning the whole line; else D, `key: value` pairs.
    const whole =
      hasColon &&
      isKeyStart(text.charCodeAt(start)) &&
      canEndColonValue(text.charCodeAt(e - 1)) &&
      this._scanColonLine(text, start, e);
    const colonPairs = hasColon && !whole && this._mayHoldColonPair(text, colon, e);
    if (hasEquals || colonPairs) {
      this._scanPairs(text, start, e, colonPairs);
    }
  }

  /**
   * True when a `:` from `colon` on, before `e`, follows a key character and is followed by
   * whitespace and what may start a number: the cheap check before looking for D's pairs.
   * Moves the `:` cursor to the first such colon (or past the line).
   */
  private _mayHoldColonPair(text: string, colon: number, e: number): boolean {
    for (let c = colon; c >= 0 && c < e; c = text.indexOf(':', c + 1)) {
      let v = c + 1;
      if (v >= e || !isSpace(text.charCodeAt(v)) || !isPairKeyChar(text.charCodeAt(c - 1))) {
        continue;
      }
      while (v < e && isSpace(text.charCodeAt(v))) {
        v++;
      }
      if (v < e && canStartNum(text.charCodeAt(v))) {
        this._nextColon = c;
        return true;
      }
    }
    return false;
  }

  /**
   * Patterns A and B on `text[start, e)`, whose first character is a key start:
   * `KEY:\s+NUM` then the end, `\s+(...)` or A's `\s+((step )?N)`. True when the line
   * matches one of them (its value may still not parse).
   */
  private _scanColonLine(text: string, start: number, e: number): boolean {
    // KEY is \S*, so it runs to the first whitespace, which must follow a ':'.
    let w = start + 1;
    while (w < e && !isSpace(text.charCodeAt(w))) {
      w++;
    }
    if (w >= e || w - 1 <= start || text.charCodeAt(w - 1) !== 58) {
      return false;
    }
    let v = w + 1;
    while (v < e && isSpace(text.charCodeAt(v))) {
      v++;
    }
    // NUM has no whitespace: it is the whole token, then the end or `\s+(...)`.
    let ve = v;
    while (ve < e && !isSpace(text.charCodeAt(ve))) {
      ve++;
    }
    let step = -1;
    if (ve < e || text.charCodeAt(v) === 40) {
      // A `(...)` suffix; an empty NUM when the token itself starts the parentheses (it
      // then takes a whitespace of its own besides the one after the colon).
      let p = ve;
      if (text.charCodeAt(v) === 40) {
        if (v - w < 2) {
          return false;
        }
        p = ve = v;
      } else {
        while (p < e && isSpace(text.charCodeAt(p))) {
          p++;
        }
      }
      if (text.charCodeAt(p) !== 40 || text.charCodeAt(e - 1) !== 41 || p === e - 1) {
        return false;
      }
      step = stepSuffix(text, p, e);
    }
    const value = parseNumberAt(text, v, ve);
    const matched = value !== null || isNumSyntaxAt(text, v, ve);
    if (step >= 0 && matched) {
      this._setStep(step);
    }
    if (value !== null) {
      this._value(this._key(text, start, w - 1), value);
    }
    return matched;
  }

  /**
   * Patterns C (`key=value`) and, with `colonPairs`, D (`key: value`) on `text[start, e)`:
   * the pairs are collected, the first `step` pair sets the step, and the others are
   * taken in line order.
   */
  private _scanPairs(text: string, start: number, e: number, colonPairs: boolean): void {
    let c = colonPairs ? this._nextColon : -1;
    let q = this._nextEquals;
    let n = 0;
    let stepPair = -1;
    for (;;) {
      const colonNext = c >= 0 && c < e && !(q >= 0 && q < c);
      const at = colonNext ? c : q;
      if (at < 0 || at >= e) {
        break;
      }
      let v = at + 1;
      if (colonNext) {
        c = text.indexOf(':', v);
        // `:\s+` then what may start a number (a digit, `.`, a sign, nan, inf).
        if (v >= e || !isSpace(text.charCodeAt(v))) {
          continue;
        }
        while (v < e && isSpace(text.charCodeAt(v))) {
          v++;
        }
        if (v >= e || !canStartNum(text.charCodeAt(v))) {
          continue;
        }
      } else {
        q = text.indexOf('=', v);
      }
      // The key: key characters back to a separator or the line start.
      let ks = at;
      while (ks > start && isPairKeyChar(text.charCodeAt(ks - 1))) {
        ks--;
      }
      if (ks === at || !isKeyStart(text.charCodeAt(ks))) {
        continue;
      }
      if (ks > start && !isPairSeparator(text.charCodeAt(ks - 1))) {
        continue;
      }
      const value = parseNumberAt(text, v, pairValueEnd(text, v, e));
      if (value === null) {
        continue;
      }
      if (stepPair < 0 && at - ks === 4 && text.startsWith('step', ks)) {
        stepPair = n;
      }
      this._pairStarts[n] = ks;
      this._pairEnds[n] = at;
      this._pairValues[n] = value;
      n++;
    }
    if (colonPairs) {
      this._nextColon = c;
    }
    this._nextEquals = q;
    if (stepPair >= 0) {
      this._setStep(this._pairValues[stepPair]);
    }
    for (let i = 0; i < n; i++) {
      if (i !== stepPair) {
        this._value(this._key(text, this._pairStarts[i], this._pairEnds[i]), this._pairValues[i]);
      }
    }
  }

  /** `text[s, e)` as a string, reusing a recent one when equal. */
  private _key(text: string, s: number, e: number): string {
    const cache = this._keyCache;
    const n = e - s;
    for (let i = 0; i < cache.length; i++) {
      const k = cache[i];
      if (k.length === n) {
        let j = 0;
        while (j < n && k.charCodeAt(j) === text.charCodeAt(s + j)) {
          j++;
        }
        if (j === n) {
          return k;
        }
      }
    }
    const key = text.slice(s, e);
    if (cache.length < KEY_CACHE_SIZE) {
      cache.push(key);
    } else {
      cache[this._keyCacheNext] = key;
      this._keyCacheNext = (this._keyCacheNext + 1) % KEY_CACHE_SIZE;
    }
    return key;
  }

  private _scanCustom(line: string, patterns: (IOutputPattern | 'default')[]): void {
    for (const p of patterns) {
      if (p === 'default') {
        this._markNext(line, 0);
        this._scanDefault(line, 0, line.length);
        continue;
      }
      const regex = p.regex;
      regex.lastIndex = 0;
      for (let m = regex.exec(line); m !== null; m = regex.exec(line)) {
        if (m[0] === '') {
          regex.lastIndex++;
        }
        this._customMatch(m, p.key);
      }
    }
  }

  private _customMatch(m: RegExpExecArray, mappedKey: string | null): void {
    const g = m.groups;
    if (g?.step !== undefined) {
      const step = parseScalarNumber(g.step);
      if (step !== null) {
        this._setStep(step);
      }
    }
    let key: string | undefined;
    let text: string | undefined;
    if (mappedKey !== null) {
      key = mappedKey;
      text = g?.value ?? m[1];
    } else if (g === undefined) {
      key = m[1];
      text = m[2];
    } else {
      key = g.key;
      text = g.value;
    }
    if (key === undefined || text === undefined || key === '') {
      return;
    }
    const value = parseScalarNumber(text);
    if (value !== null) {
      this._value(key, value);
    }
  }

  private _setStep(step: number): void {
    if (Number.isFinite(step)) {
      this._step = Math.trunc(step);
      this._explicitStep = true;
    }
  }

  private _value(key: string, value: number): void {
    if (key === 'step') {
      this._setStep(value);
      return;
    }
    if (this._ignore.has(key)) {
      return;
    }
    if (!this._explicitStep) {
      // A key repeating within the current step starts the next one.
      if (this._seenAt.get(key) === this._step) {
        this._step++;
      }
      this._seenAt.set(key, this._step);
    }
    this._onScalar(key, value, this._step);
  }
}

/** The end of the value of a `key=value` pair starting at `v`: a separator or `e`. */
function pairValueEnd(text: string, v: number, e: number): number {
  let ve = v;
  while (ve < e && !isPairSeparator(text.charCodeAt(ve))) {
    ve++;
  }
  return ve;
}

/**
 * The step of A's suffix `(N)` or `(step N)` spanning `text[p, e)` (`(` at p, `)` at e-1),
 * or -1 when it is another parenthesized text.
 */
function stepSuffix(text: string, p: number, e: number): number {
  let i = p + 1;
  if (text.startsWith('step', i) && i + 4 < e - 1 && isSpace(text.charCodeAt(i + 4))) {
    i += 4;
    while (i < e - 1 && isSpace(text.charCodeAt(i))) {
      i++;
    }
  }
  if (i >= e - 1) {
    return -1;
  }
  let step = 0;
  for (; i < e - 1; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) {
      return -1;
    }
    step = step * 10 + (c - 48);
  }
  return step;
}
