/**
 * `.gitignore` matching with git's rules (gitignore(5)), for the source snapshot.
 *
 * Supported: blank lines and `#` comments; trailing spaces (unless escaped with `\`);
 * `!` negation; a trailing `/` matching directories only; a `/` at the start or in the middle
 * anchoring the pattern to the directory of its `.gitignore` (otherwise it matches a name at
 * any depth); `*`, `?`, `[...]` (ranges, `!`/`^` negation, `[:alpha:]`-style classes; an
 * unclosed `[` makes the pattern match nothing, as in git), and `**` as a whole leading segment
 * (any directories), a whole last segment (everything inside) or a whole inner segment (zero or
 * more directories); `\` escaping any character.
 * The last matching rule decides, deeper `.gitignore` files win over shallower ones, and — as in
 * git — a file inside an excluded directory cannot be re-included (callers do not descend into
 * excluded directories). Matching is case-sensitive (git's default on Linux).
 */

/** One compiled line of a `.gitignore`. */
export interface IGitignoreRule {
  /** The line as written (trailing spaces removed). */
  pattern: string;
  /** `!pattern`: a match re-includes. */
  negate: boolean;
  /** `pattern/`: matches directories only. */
  dirOnly: boolean;
  /** Contains a `/` before its end: matched against the whole path relative to its base. */
  anchored: boolean;
  /** Matches a path (anchored) or a name (not anchored). */
  regex: RegExp;
}

/** The rules of one `.gitignore` file and the directory they apply to. */
export interface IGitignoreLayer {
  /** Directory of the file, as a `/`-separated path relative to the matcher's root (`''` for it). */
  base: string;
  rules: IGitignoreRule[];
}

/**
 * Compiles one `.gitignore` line; `null` for blank lines and comments.
 */
export function compileGitignoreLine(line: string): IGitignoreRule | null {
  let text = line.endsWith('\r') ? line.slice(0, -1) : line;
  text = trimTrailingSpaces(text);
  if (text === '' || text.startsWith('#')) {
    return null;
  }
  const pattern = text;
  let negate = false;
  if (text.startsWith('!')) {
    negate = true;
    text = text.slice(1);
  }
  let dirOnly = false;
  if (text.endsWith('/') && !isEscapedAt(text, text.length - 1)) {
    dirOnly = true;
    text = text.replace(/\/+$/, '');
  }
  if (text === '') {
    return null;
  }
  const anchored = text.includes('/');
  if (text.startsWith('/')) {
    text = text.slice(1);
  }
  return { pattern, negate, dirOnly, anchored, regex: compileRegex(globToRegex(text)) };
}

/** The rules of a `.gitignore` text, in file order. */
export function parseGitignore(text: string): IGitignoreRule[] {
  const rules: IGitignoreRule[] = [];
  for (const line of text.split('\n')) {
    const rule = compileGitignoreLine(line);
    if (rule !== null) {
      rules.push(rule);
    }
  }
  return rules;
}

/**
 * An immutable stack of `.gitignore` layers, shallowest first. `with` returns a new matcher
 * with one more (deeper) layer, so a directory walk keeps one matcher per directory.
 */
export class Gitignore {
  /** The layers in order of increasing precedence. */
  readonly layers: readonly IGitignoreLayer[];

  constructor(layers: readonly IGitignoreLayer[] = []) {
    this.layers = layers;
  }

  /**
   * A matcher that also applies `text` (the contents of a `.gitignore`) to paths under `base`
   * (a `/`-separated path relative to the matcher's root, `''` for the root). Returns `this`
   * when the text has no rules.
   */
  with(base: string, text: string): Gitignore {
    const rules = parseGitignore(text);
    return rules.length === 0 ? this : new Gitignore([...this.layers, { base, rules }]);
  }

  /**
   * True when `relPath` (`/`-separated, relative to the root, no leading `/`) is excluded by
   * the last rule that matches it, ignoring whether its parent directories are excluded.
   * `isDir` says whether it is a directory (for `pattern/` rules).
   */
  ignores(relPath: string, isDir: boolean): boolean {
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const { base, rules } = this.layers[i];
      let rel: string;
      if (base === '') {
        rel = relPath;
      } else if (relPath.startsWith(base + '/')) {
        rel = relPath.slice(base.length + 1);
      } else {
        continue;
      }
      const name = rel.slice(rel.lastIndexOf('/') + 1);
      for (let j = rules.length - 1; j >= 0; j--) {
        const rule = rules[j];
        if (rule.dirOnly && !isDir) {
          continue;
        }
        if (rule.regex.test(rule.anchored ? rel : name)) {
          return !rule.negate;
        }
      }
    }
    return false;
  }
}

/** `^source$` as a Unicode regex; one that never matches when invalid (e.g. a range `[z-a]`). */
function compileRegex(source: string): RegExp {
  try {
    return new RegExp(`^${source}$`, 'u');
  } catch {
    return /(?!)/;
  }
}

/** Removes unescaped trailing spaces (git trims spaces only, not tabs). */
function trimTrailingSpaces(text: string): string {
  let end = text.length;
  while (end > 0 && text[end - 1] === ' ' && !isEscapedAt(text, end - 1)) {
    end--;
  }
  return text.slice(0, end);
}

/** True when the character at `index` is preceded by an odd number of backslashes. */
function isEscapedAt(text: string, index: number): boolean {
  let count = 0;
  for (let i = index - 1; i >= 0 && text[i] === '\\'; i--) {
    count++;
  }
  return count % 2 === 1;
}

const REGEX_SPECIAL = /[.*+?^${}()|[\]\\/]/g;

function escapeRegex(text: string): string {
  return text.replace(REGEX_SPECIAL, '\\$&');
}

/** POSIX bracket classes as JavaScript class contents. */
const POSIX_CLASSES: Record<string, string> = {
  alnum: 'a-zA-Z0-9',
  alpha: 'a-zA-Z',
  blank: ' \\t',
  cntrl: '\\x00-\\x1f\\x7f',
  digit: '0-9',
  graph: '\\x21-\\x7e',
  lower: 'a-z',
  print: '\\x20-\\x7e',
  punct: '!-\\/:-@\\[-`{-~',
  space: ' \\t\\n\\r\\f\\v',
  upper: 'A-Z',
  xdigit: '0-9A-Fa-f'
};

/** A wildmatch pattern (with `/` as the path separator) as regex source, without anchors. */
function globToRegex(glob: string): string {
  let out = '';
  let i = 0;
  while (i < glob.length) {
    const c = glob[i];
    if (c === '\\') {
      if (i + 1 >= glob.length) {
        // A trailing backslash never matches (as in git's wildmatch).
        return '(?!)';
      }
      out += escapeRegex(glob[i + 1]);
      i += 2;
    } else if (c === '*') {
      let end = i;
      while (glob[end] === '*') {
        end++;
      }
      const atStart = i === 0 || glob[i - 1] === '/';
      const atEnd = end === glob.length || glob[end] === '/';
      if (end - i >= 2 && atStart && atEnd) {
        if (end === glob.length) {
          // `**` alone matches everything; `dir/**` everything inside `dir`.
          out += i === 0 ? '.*' : '.+';
          i = end;
        } else {
          // `**/` matches zero or more directories.
          out += '(?:.*/)?';
          i = end + 1;
        }
      } else {
        out += '[^/]*';
        i = end;
      }
    } else if (c === '?') {
      out += '[^/]';
      i++;
    } else if (c === '[') {
      const bracket = parseBracket(glob, i);
      if (bracket === null) {
        // An unclosed bracket never matches (as in git's wildmatch).
        return '(?!)';
      }
      out += bracket.regex;
      i = bracket.end;
    } else {
      out += escapeRegex(c);
      i++;
    }
  }
  return out;
}

/**
 * The bracket expression starting at `glob[start] === '['` as a regex that never matches `/`,
 * and the index after its `]`; `null` when it is not closed.
 */
function parseBracket(glob: string, start: number): { regex: string; end: number } | null {
  let i = start + 1;
  let negate = false;
  if (glob[i] === '!' || glob[i] === '^') {
    negate = true;
    i++;
  }
  let body = '';
  let first = true;
  while (i < glob.length) {
    const c = glob[i];
    if (c === ']' && !first) {
      const regex = negate ? `[^/${body}]` : `(?!/)[${body}]`;
      return { regex, end: i + 1 };
    }
    first = false;
    if (c === '[' && glob[i + 1] === ':') {
      const close = glob.indexOf(':]', i + 2);
      const cls = close < 0 ? undefined : POSIX_CLASSES[glob.slice(i + 2, close)];
      if (cls !== undefined) {
        body += cls;
        i = close + 2;
        continue;
      }
    }
    let ch = c;
    if (c === '\\') {
      if (i + 1 >= glob.length) {
        return null;
      }
      ch = glob[++i];
    }
    i++;
    if (glob[i] === '-' && i + 1 < glob.length && glob[i + 1] !== ']') {
      let hi = glob[i + 1];
      i += 2;
      if (hi === '\\') {
        if (i >= glob.length) {
          return null;
        }
        hi = glob[i++];
      }
      body += `${escapeClassChar(ch)}-${escapeClassChar(hi)}`;
    } else {
      body += escapeClassChar(ch);
    }
  }
  return null;
}

function escapeClassChar(ch: string): string {
  return /[\\\]^[-]/.test(ch) ? `\\${ch}` : ch;
}
