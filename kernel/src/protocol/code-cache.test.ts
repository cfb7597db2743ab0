/**
 * The code cache of the tslab launcher, in real Node processes: what one process writes the
 * next one uses, an edited module is compiled afresh, modules behave as Node loads them, and
 * a tslab kernel started by the installed kernelspec leaves a cache its next start uses.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import { tempDir } from '../testing/fixtures';
import { getKernelSpec } from './kernelspec';
import { KernelManager } from './manager';
import { NBX_CLI } from '../base/paths';

const CODE_CACHE = path.join(__dirname, 'code-cache.js');

/** Loads `main` of `root` through the cache of `cacheRoot` in `dir` in a new node. */
function load(
  root: string,
  dir: string,
  cacheRoot = root
): { hits: number; misses: number; out: string } {
  const script = `
    const { enableCodeCache } = require(${JSON.stringify(CODE_CACHE)});
    const cache = enableCodeCache(${JSON.stringify(cacheRoot)}, ${JSON.stringify(dir)});
    const out = require(${JSON.stringify(path.join(root, 'main.js'))});
    cache.save();
    console.log(JSON.stringify({ hits: cache.hits, misses: cache.misses, out }));
  `;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as { hits: number; misses: number; out: string };
}

function writeModules(root: string, answer: number): void {
  fs.mkdirSync(root, { recursive: true });
  fs.writeFileSync(
    path.join(root, 'main.js'),
    '#!/usr/bin/env node\n' +
      "const dep = require('./dep');\n" +
      'module.exports = [dep(), path(), typeof require.resolve.paths, __filename].join(" ");\n' +
      "function path() { return require('path').basename(require.resolve('./dep')); }\n"
  );
  fs.writeFileSync(path.join(root, 'dep.js'), `module.exports = () => ${answer};\n`);
}

describe('the code cache', () => {
  it('is written by one process and used by the next; an edited module is compiled afresh', () => {
    const root = path.join(tempDir(), 'pkg');
    const dir = path.join(tempDir(), 'cache');
    writeModules(root, 41);
    const first = load(root, dir);
    assert.deepEqual([first.hits, first.misses], [0, 2]);
    assert.equal(first.out, `41 dep.js function ${path.join(root, 'main.js')}`);
    assert.equal(fs.readdirSync(dir).filter(f => f.endsWith('.v8')).length, 2);
    const second = load(root, dir);
    assert.deepEqual([second.hits, second.misses, second.out], [2, 0, first.out]);
    // A different size and mtime: a new entry, never the old bytecode.
    fs.writeFileSync(path.join(root, 'dep.js'), 'module.exports = () => 42 ;\n');
    const edited = load(root, dir);
    assert.deepEqual([edited.hits, edited.misses], [1, 1]);
    assert.match(edited.out, /^42 /);
    assert.deepEqual(
      fs.readdirSync(dir).filter(f => f.endsWith('.tmp')),
      [],
      'no temporary file left'
    );
  });

  it('keeps the three entries of a module written last, and only of modules it writes', () => {
    const root = path.join(tempDir(), 'pkg');
    const dir = path.join(tempDir(), 'cache');
    writeModules(root, 1);
    fs.mkdirSync(dir, { recursive: true });
    // Another module's entries and an entry named as entries were before they had a stamp.
    const others = [1, 2, 3, 4].map(i => `other.js@${i}-${i}.v8`);
    for (const name of others) {
      fs.writeFileSync(path.join(dir, name), 'x');
    }
    const bare = `${'ab'.repeat(20)}.v8`;
    fs.writeFileSync(path.join(dir, bare), 'x');
    const entriesOf = (module: string): string[] =>
      fs.readdirSync(dir).filter(name => name.startsWith(`${module}@`));
    load(root, dir);
    for (let i = 2; i <= 5; i++) {
      // A new size each time: a new entry.
      fs.writeFileSync(path.join(root, 'dep.js'), `module.exports = () => ${'1'.repeat(i)};\n`);
      assert.deepEqual([load(root, dir).misses, entriesOf('dep.js').length], [1, Math.min(i, 3)]);
    }
    assert.equal(entriesOf('main.js').length, 1);
    const again = load(root, dir);
    assert.deepEqual([again.hits, again.misses], [2, 0], 'the current entries were kept');
    assert.match(again.out, /^11111 /);
    assert.deepEqual(entriesOf('other.js').sort(), others, "another module's entries stay");
    assert.equal(fs.existsSync(path.join(dir, bare)), false, 'the unstamped entry is gone');
  });

  it('leaves modules outside its root to Node', () => {
    const root = path.join(tempDir(), 'pkg');
    const dir = path.join(tempDir(), 'cache');
    writeModules(root, 1);
    const r = load(root, dir, path.join(tempDir(), 'other'));
    assert.deepEqual([r.hits, r.misses], [0, 0]);
    assert.match(r.out, /^1 dep\.js/);
    assert.equal(fs.existsSync(dir), false);
  });

  it('serves the installed tslab kernelspec: the second start reads what the first wrote', async () => {
    const cacheDir = tempDir('nbx-code-cache-');
    const spec = getKernelSpec('tslab');
    assert.match(spec.argv[1] ?? '', /tslab-kernel\.js$/);
    const env = { ...process.env, NBX_CODE_CACHE_DIR: cacheDir };
    const entries = (): string[] =>
      fs
        .readdirSync(cacheDir, { recursive: true, encoding: 'utf8' })
        .filter(f => f.endsWith('.v8'));
    const stamps = (): string[] =>
      entries().map(f => `${f}@${fs.statSync(path.join(cacheDir, f)).mtimeMs}`);
    let written: string[] = [];
    for (const round of [1, 2]) {
      const km = await KernelManager.start({ spec, cwd: tempDir(), env });
      const { reply } = km.client.request('shell', 'execute_request', {
        code: 'const n: number = 6 * 7; n',
        silent: false,
        store_history: true,
        allow_stdin: false
      });
      assert.equal((await reply).content.status, 'ok');
      await km.shutdown();
      if (round === 1) {
        assert.ok(entries().length > 10, `entries written: ${entries().length}`);
        written = stamps();
      }
    }
    // Every module came from the cache: nothing was written again.
    assert.deepEqual(stamps(), written);
    const dirs = fs.readdirSync(cacheDir);
    assert.equal(dirs.length, 1);
    assert.match(dirs[0], /^tslab-[\d.]+-node-v\d+/);
  });

  it('serves the nbx command: the second run reads what the first wrote, and prints the same', () => {
    const cacheDir = tempDir('nbx-code-cache-');
    const home = tempDir('nbx-home-');
    const nbx = (env: NodeJS.ProcessEnv = {}): string => {
      const r = spawnSync(process.execPath, [NBX_CLI, 'runs'], {
        encoding: 'utf8',
        env: { ...process.env, NBX_HOME: home, NBX_CODE_CACHE_DIR: cacheDir, ...env }
      });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout + r.stderr;
    };
    const entries = (): string[] =>
      fs.existsSync(cacheDir)
        ? fs
            .readdirSync(cacheDir, { recursive: true, encoding: 'utf8' })
            .filter(f => f.endsWith('.v8'))
        : [];
    const stamps = (): string[] =>
      entries().map(f => `${f}@${fs.statSync(path.join(cacheDir, f)).mtimeMs}`);
    const plain = nbx({ NBX_NO_CODE_CACHE: '1' });
    assert.deepEqual(entries(), [], 'NBX_NO_CODE_CACHE=1 writes no cache');
    assert.equal(nbx(), plain);
    assert.ok(entries().length > 10, `entries written: ${entries().length}`);
    const written = stamps();
    assert.equal(nbx(), plain);
    assert.deepEqual(stamps(), written, 'every module came from the cache');
    assert.match(fs.readdirSync(cacheDir)[0], /^nbx-[\d.]+.*-node-v\d+/);
  });
});
