/**
 * Character-level helpers of the output scanner: character classes and number parsing
 * straight from a span of a string, so scanning a line allocates nothing until it finds a
 * scalar.
 */

const SPACE = 1;
const SEPARATOR = 2;
const KEY_CHAR = 4;
const KEY_START = 8;

/** Classes of the ASCII characters (one load instead of a chain of comparisons). */
const ASCII = ((): Uint8Array => {
  const t = new Uint8Array(128);
  for (let c = 0; c < 128; c++) {
    const ch = String.fromCharCode(c);
    if (/\s/.test(ch)) {
      t[c] |= SPACE;
    }
    if (c <= 32 || ',;|()[]{}'.includes(ch)) {
      t[c] |= SEPARATOR;
    }
    if (/[\w./-]/.test(ch)) {
      t[c] |= KEY_CHAR;
    }
    if (/[_a-zA-Z]/.test(ch)) {
      t[c] |= KEY_START;
    }
  }
  return t;
})();

/** Non-ASCII whitespace as the regex class `\s` matches it. */
function isWideSpace(c: number): boolean {
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/** [_a-zA-Z] */
export function isKeyStart(c: number): boolean {
  return c < 128 && (ASCII[c] & KEY_START) !== 0;
}

/** [\w./-]: the characters of a `key=value` key. */
export function isPairKeyChar(c: number): boolean {
  return c < 128 && (ASCII[c] & KEY_CHAR) !== 0;
}

/** Whitespace as the regex class `\s` matches it. */
export function isSpace(c: number): boolean {
  return c < 128 ? (ASCII[c] & SPACE) !== 0 : isWideSpace(c);
}

/** The separators around `key=value` pairs: whitespace, control characters and `,;|()[]{}`. */
export function isPairSeparator(c: number): boolean {
  return c < 128 ? (ASCII[c] & SEPARATOR) !== 0 : isWideSpace(c);
}

/**
 * Characters a line must end with to match `key: value` or `key: value (...)`: a digit,
 * `.`, the end of `nan`, `inf` or `infinity` (`n`, `f`, `y`, any case) or `)`.
 */
export function canEndColonValue(c: number): boolean {
  return (
    (c >= 48 && c <= 57) ||
    c === 46 ||
    c === 41 ||
    c === 110 ||
    c === 78 ||
    c === 102 ||
    c === 70 ||
    c === 121 ||
    c === 89
  );
}

/**
 * Characters a number of the output-scalar syntax may start with: a digit, `.`, a sign,
 * or the first letter of `nan` or `inf` (any case).
 */
export function canStartNum(c: number): boolean {
  return (
    (c >= 48 && c <= 57) ||
    c === 46 ||
    c === 45 ||
    c === 43 ||
    c === 110 ||
    c === 78 ||
    c === 105 ||
    c === 73
  );
}

/** Exact powers of ten (all of them are exact doubles). */
const POW10 = [
  1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17,
  1e18, 1e19, 1e20, 1e21, 1e22
];

function lower(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

/** True when `text[s, e)` is `word` in any case (`word` in lowercase ASCII). */
function isWordAt(text: string, s: number, e: number, word: string): boolean {
  if (e - s !== word.length) {
    return false;
  }
  for (let i = 0; i < word.length; i++) {
    if (lower(text.charCodeAt(s + i)) !== word.charCodeAt(i)) {
      return false;
    }
  }
  return true;
}

/**
 * The number spelled by the whole of `text[s, e)`, or null when it is not one. Accepts
 * what Python's `float()` accepts of the output-scalar number syntax: `[-+]?` digits with
 * an optional `.` and fraction (at least one digit), an optional exponent, `nan`,
 * `[-+]?inf` and `[-+]?infinity` in any case. Correctly rounded: short numbers take the
 * exact fast path (mantissa below 10^15, power of ten up to 22), the rest `Number()`.
 */
export function parseNumberAt(text: string, s: number, e: number): number | null {
  let i = s;
  if (i >= e) {
    return null;
  }
  let c = text.charCodeAt(i);
  let negative = false;
  if (c === 45 || c === 43) {
    negative = c === 45;
    i++;
    if (i >= e) {
      return null;
    }
    c = text.charCodeAt(i);
  }
  if (!((c >= 48 && c <= 57) || c === 46)) {
    if (isWordAt(text, i, e, 'inf') || isWordAt(text, i, e, 'infinity')) {
      return negative ? -Infinity : Infinity;
    }
    if (isWordAt(text, i, e, 'nan')) {
      return NaN;
    }
    return null;
  }
  let mantissa = 0;
  let exact = true;
  let digits = 0;
  let exponent = 0;
  for (; i < e; i++) {
    c = text.charCodeAt(i);
    if (c < 48 || c > 57) {
      break;
    }
    digits++;
    if (mantissa < 1e14) {
      mantissa = mantissa * 10 + (c - 48);
    } else {
      exact = false;
    }
  }
  if (i < e && c === 46) {
    for (i++; i < e; i++) {
      c = text.charCodeAt(i);
      if (c < 48 || c > 57) {
        break;
      }
      digits++;
      if (mantissa < 1e14) {
        mantissa = mantissa * 10 + (c - 48);
        exponent--;
      } else {
        exact = false;
      }
    }
  }
  if (digits === 0) {
    return null;
  }
  if (i < e && (c === 101 || c === 69)) {
    i++;
    let expNegative = false;
    if (i < e) {
      c = text.charCodeAt(i);
      if (c === 45 || c === 43) {
        expNegative = c === 45;
        i++;
      }
    }
    let exp = 0;
    let expDigits = 0;
    for (; i < e; i++) {
      c = text.charCodeAt(i);
      if (c < 48 || c > 57) {
        break;
      }
      expDigits++;
      if (exp < 100000) {
        exp = exp * 10 + (c - 48);
      }
    }
    if (expDigits === 0) {
      return null;
    }
    exponent += expNegative ? -exp : exp;
  }
  if (i !== e) {
    return null;
  }
  if (!exact || exponent > 22 || exponent < -22) {
    return Number(text.slice(s, e));
  }
  const value = exponent >= 0 ? mantissa * POW10[exponent] : mantissa / POW10[-exponent];
  return negative ? -value : value;
}

/**
 * True when `text[s, e)` matches the output-scalar number syntax (NUM_PATTERN), which is
 * looser than what parses: `.`, `+` and the empty span match it.
 */
export function isNumSyntaxAt(text: string, s: number, e: number): boolean {
  if (parseNumberAt(text, s, e) !== null) {
    return true;
  }
  return /^[-+]?[0-9]*\.?(?:[eE][-+]?[0-9]+)?$/.test(text.slice(s, e));
}
