import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Gitignore } from './gitignore';

/** [gitignore text, path, isDir, ignored] */
type Case = [string, string, boolean, boolean];

const CASES: Case[] = [
  // Plain names match at any depth.
  ['foo.txt', 'foo.txt', false, true],
  ['foo.txt', 'a/b/foo.txt', false, true],
  ['foo.txt', 'foo.txt.bak', false, false],
  ['foo', 'foo', true, true],
  // `*` stays within one path segment; `?` is one character.
  ['*.log', 'debug.log', false, true],
  ['*.log', 'logs/debug.log', false, true],
  ['*.log', 'debug.log.txt', false, false],
  ['a*b', 'a/b', false, false],
  ['data/*.csv', 'data/x.csv', false, true],
  ['data/*.csv', 'data/sub/x.csv', false, false],
  ['file?.py', 'file1.py', false, true],
  ['file?.py', 'file10.py', false, false],
  ['a?b', 'a/b', false, false],
  // Brackets: sets, ranges, negation, classes; never `/`.
  ['run[0-9].txt', 'run7.txt', false, true],
  ['run[0-9].txt', 'runx.txt', false, false],
  ['run[!0-9].txt', 'runx.txt', false, true],
  ['run[^0-9].txt', 'run7.txt', false, false],
  ['[abc].md', 'b.md', false, true],
  ['[abc].md', 'd.md', false, false],
  ['[]]x', ']x', false, true],
  ['[[:digit:]]x', '5x', false, true],
  ['[[:upper:]]*', 'Readme', false, true],
  ['[[:upper:]]*', 'readme', false, false],
  ['a[/]b', 'a/b', false, false],
  ['unclosed[x', 'unclosed[x', false, false],
  // `**`.
  ['**/cache', 'cache', true, true],
  ['**/cache', 'a/b/cache', true, true],
  ['**/out/*.bin', 'x/out/m.bin', false, true],
  ['**/out/*.bin', 'out/m.bin', false, true],
  ['build/**', 'build/a/b.o', false, true],
  ['build/**', 'build', true, false],
  ['a/**/z', 'a/z', false, true],
  ['a/**/z', 'a/b/c/z', false, true],
  ['a/**/z', 'xa/b/z', false, false],
  ['**', 'anything/at/all', false, true],
  ['a**b', 'axxb', false, true],
  ['a**b', 'ax/xb', false, false],
  // Anchoring: a leading or middle `/`.
  ['/top.txt', 'top.txt', false, true],
  ['/top.txt', 'sub/top.txt', false, false],
  ['doc/frotz', 'doc/frotz', false, true],
  ['doc/frotz', 'a/doc/frotz', false, false],
  // Trailing `/`: directories only.
  ['tmp/', 'tmp', true, true],
  ['tmp/', 'tmp', false, false],
  ['tmp/', 'a/tmp', true, true],
  ['/out/', 'out', true, true],
  ['/out/', 'a/out', true, false],
  // Negation: the last match wins.
  ['*.log\n!keep.log', 'keep.log', false, false],
  ['*.log\n!keep.log', 'other.log', false, true],
  ['!keep.log\n*.log', 'keep.log', false, true],
  ['data/*\n!data/meta.json', 'data/meta.json', false, false],
  ['data/*\n!data/meta.json', 'data/big.npy', false, true],
  // Comments, blank lines, CRLF.
  ['# comment\n\n*.tmp', '# comment', false, false],
  ['# comment\n\n*.tmp', 'x.tmp', false, true],
  ['*.tmp\r\n', 'x.tmp', false, true],
  // Escapes: `\#`, `\!`, `\*`, `\?`, `\ ` and trailing spaces.
  ['\\#notes', '#notes', false, true],
  ['\\!bang', '!bang', false, true],
  ['lit\\*', 'lit*', false, true],
  ['lit\\*', 'litx', false, false],
  ['q\\?', 'q?', false, true],
  ['q\\?', 'qx', false, false],
  ['trail   ', 'trail', false, true],
  ['space\\ ', 'space ', false, true],
  ['space\\ ', 'space', false, false],
  ['a\\[b]', 'a[b]', false, true],
  // Regex metacharacters are literal.
  ['a+b(c).txt', 'a+b(c).txt', false, true],
  ['a+b(c).txt', 'aab(c).txt', false, false]
];

describe('Gitignore', () => {
  for (const [text, file, isDir, expected] of CASES) {
    it(`${JSON.stringify(text)} ${expected ? 'ignores' : 'keeps'} ${file}${isDir ? '/' : ''}`, () => {
      assert.equal(new Gitignore().with('', text).ignores(file, isDir), expected);
    });
  }

  it('applies a nested .gitignore only below its directory, relative to it', () => {
    const m = new Gitignore().with('', '*.csv\n').with('sub', '/local.txt\n!keep.csv\n');
    assert.equal(m.ignores('sub/local.txt', false), true);
    assert.equal(m.ignores('local.txt', false), false);
    assert.equal(m.ignores('sub/deeper/local.txt', false), false);
    assert.equal(m.ignores('subway/local.txt', false), false);
    // The deeper file wins over the shallower one.
    assert.equal(m.ignores('sub/keep.csv', false), false);
    assert.equal(m.ignores('keep.csv', false), true);
    assert.equal(m.ignores('sub/other.csv', false), true);
  });

  it('judges a path by its own name inside a directory a shallower file excludes', () => {
    const m = new Gitignore().with('', 'sub/\n*.log\n').with('a', '!sub/\n');
    assert.equal(m.ignores('sub', true), true);
    assert.equal(m.ignores('a/sub', true), false);
    assert.equal(m.ignores('a/sub/x.py', false), false);
    assert.equal(m.ignores('a/sub/x.log', false), true);
    // Names with glob characters are re-included literally.
    const odd = new Gitignore().with('', '*\n!*.py\n');
    assert.equal(odd.ignores('[a] b*/c.py', false), false);
    assert.equal(odd.ignores('[a] b*/c.txt', false), true);
  });

  it('returns the same matcher for a file without rules', () => {
    const m = new Gitignore();
    assert.equal(m.with('', '# only a comment\n\n'), m);
  });
});

describe('Gitignore rules', () => {
  it('reads the rule kinds', () => {
    const none = new Gitignore();
    assert.equal(none.with('', '# c'), none);
    assert.equal(none.with('', '   '), none);
    // `!/build/` negates, applies to directories only, and is anchored.
    const m = none.with('', 'build\n!/build/');
    assert.equal(m.ignores('build', true), false);
    assert.equal(m.ignores('build', false), true);
    assert.equal(m.ignores('a/build', true), true);
    // `*.o` is none of these.
    const plain = none.with('', '*.o');
    assert.equal(plain.ignores('a/x.o', false), true);
    assert.equal(plain.ignores('x.o', false), true);
    assert.equal(plain.ignores('x.o', true), true);
  });

  it('never matches with an invalid range or a trailing backslash', () => {
    assert.equal(new Gitignore().with('', '[z-a]').ignores('m', false), false);
    assert.equal(new Gitignore().with('', 'abc\\').ignores('abc', false), false);
  });

  it('reads a file into its rules in order', () => {
    const m = new Gitignore().with('', 'a\n# x\n!b\n\nc/\n');
    assert.equal(m.ignores('a', false), true);
    assert.equal(m.ignores('b', false), false);
    assert.equal(m.ignores('c', true), true);
    assert.equal(m.ignores('c', false), false);
    assert.equal(m.ignores('# x', false), false);
  });
});
