/**
 * `.gitignore` matching for the source snapshot, with git's rules (gitignore(5)) as the
 * `ignore` package implements them (the matcher ESLint and Prettier use).
 *
 * What this module adds is git's layering: the last matching rule of a file decides, deeper
 * `.gitignore` files win over shallower ones, and each applies to paths relative to its own
 * directory. A path is judged by its own name, whether or not its parent directories are
 * excluded: the walk decides which directories it enters (it never enters an excluded one,
 * so, as in git, a file inside it cannot be re-included; but it does enter the notebook's own
 * directory, and any directory a deeper `.gitignore` re-includes). Case-sensitive, as git on Linux.
 */
import ignore, { type Ignore } from 'ignore';

/** The rules of one `.gitignore` file and the directory they apply to. */
interface IGitignoreLayer {
  /** Directory of the file, as a `/`-separated path relative to the matcher's root (`''` for it). */
  base: string;
  text: string;
  rules: Ignore;
  /** The rules with the directories leading to a path re-included, by that path's directory. */
  inside: Map<string, Ignore>;
}

/**
 * An immutable stack of `.gitignore` layers, shallowest first. `with` returns a new matcher
 * with one more (deeper) layer, so a directory walk keeps one matcher per directory.
 */
export class Gitignore {
  constructor(layers: readonly IGitignoreLayer[] = []) {
    this._layers = layers;
  }

  /**
   * A matcher that also applies `text` (the contents of a `.gitignore`) to paths under `base`
   * (a `/`-separated path relative to the matcher's root, `''` for the root). Returns `this`
   * when the text has no rules.
   */
  with(base: string, text: string): Gitignore {
    if (!hasRules(text)) {
      return this;
    }
    const layer = { base, text, rules: newRules(text), inside: new Map() };
    return new Gitignore([...this._layers, layer]);
  }

  /**
   * True when `relPath` (`/`-separated, relative to the root, no leading `/`) is excluded by
   * the last rule that matches it, ignoring whether its parent directories are excluded.
   * `isDir` says whether it is a directory (for `pattern/` rules).
   */
  ignores(relPath: string, isDir: boolean): boolean {
    for (let i = this._layers.length - 1; i >= 0; i--) {
      const layer = this._layers[i];
      let rel: string;
      if (layer.base === '') {
        rel = relPath;
      } else if (relPath.startsWith(layer.base + '/')) {
        rel = relPath.slice(layer.base.length + 1);
      } else {
        continue;
      }
      const slash = rel.lastIndexOf('/');
      const rules = slash < 0 ? layer.rules : rulesInside(layer, rel.slice(0, slash));
      // `ignore` reads a trailing `/` as "a directory".
      const { ignored, unignored } = rules.test(isDir ? `${rel}/` : rel);
      if (ignored || unignored) {
        return ignored;
      }
    }
    return false;
  }

  /** The layers in order of increasing precedence. */
  private readonly _layers: readonly IGitignoreLayer[];
}

function newRules(text: string): Ignore {
  return ignore({ ignorecase: false }).add(text);
}

/** True when `text` (a `.gitignore`) holds a rule: a line neither blank nor a comment. */
function hasRules(text: string): boolean {
  return text.split('\n').some(line => {
    const trimmed = line.trim();
    return trimmed !== '' && !trimmed.startsWith('#');
  });
}

/**
 * The layer's rules for paths in `dir`. `ignore` excludes whatever lies in an excluded
 * directory; the walk has decided `dir` is entered, so when the layer excludes `dir` or one
 * above it, each of them is re-included by an anchored rule appended to the file (which
 * matches that directory alone), leaving the path's own match to decide.
 */
function rulesInside(layer: IGitignoreLayer, dir: string): Ignore {
  if (!layer.rules.ignores(`${dir}/`)) {
    return layer.rules;
  }
  let rules = layer.inside.get(dir);
  if (rules === undefined) {
    const parts = dir.split('/');
    const reincluded = parts.map((_, i) => `!/${escapeGlob(parts.slice(0, i + 1).join('/'))}/`);
    rules = newRules(`${layer.text}\n${reincluded.join('\n')}`);
    layer.inside.set(dir, rules);
  }
  return rules;
}

/** `name` as a gitignore pattern matching it literally. */
function escapeGlob(name: string): string {
  return name.replace(/[\\*?[\]!# ]/g, '\\$&');
}
