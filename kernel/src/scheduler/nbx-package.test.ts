/**
 * ensureNbxResolvable: `nbx` resolves from a run directory to this package, and a
 * person's own node_modules is never written into.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { PACKAGE_ROOT } from '../base/paths';
import { tempDir } from '../testing/fixtures';
import { ensureNbxResolvable, findPackageFrom, resolvesToPackage } from './nbx-package';

const API_MAIN = path.join(fs.realpathSync(PACKAGE_ROOT), 'kernel', 'lib', 'api', 'index.js');

/**
 * What `require('nbx')` from `dir` loads (the real path of the file): through a stub
 * package (which re-exports the API), the API's own file.
 */
function requireResolve(dir: string): string {
  const req = createRequire(path.join(dir, 'index.js'));
  const file = fs.realpathSync(req.resolve('nbx'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return req('nbx') === require(API_MAIN) ? API_MAIN : file;
}

/** A fake package `name` in `<dir>/node_modules`. */
function fakePackage(dir: string, name: string): void {
  const pkg = path.join(dir, 'node_modules', name);
  fs.mkdirSync(pkg, { recursive: true });
  fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name, main: 'index.js' }));
  fs.writeFileSync(path.join(pkg, 'index.js'), `module.exports = ${JSON.stringify(name)};`);
}

/** A run directory `<root>/runs/abc` and a notebook directory elsewhere. */
function layout(): { root: string; run: string; nbDir: string } {
  const root = tempDir();
  const run = path.join(root, 'runs', 'abc');
  fs.mkdirSync(run, { recursive: true });
  const nbDir = path.join(tempDir(), 'project');
  fs.mkdirSync(nbDir);
  return { root, run, nbDir };
}

describe('ensureNbxResolvable', () => {
  it('links node_modules/nbx into a run that resolves nothing', () => {
    const { run, nbDir } = layout();
    assert.equal(findPackageFrom(run), null);
    assert.equal(ensureNbxResolvable(run, nbDir), 'linked');
    assert.equal(requireResolve(run), API_MAIN);
    const stub = path.join(run, 'node_modules', 'nbx');
    assert.ok(!fs.lstatSync(stub).isSymbolicLink(), 'a stub package, never a link into nbx');
    assert.match(fs.readFileSync(path.join(stub, 'index.d.ts'), 'utf8'), /kernel\/lib\/api\/index/);
    assert.equal(ensureNbxResolvable(run, nbDir), 'resolved', 'idempotent');
  });

  it('does nothing when an ancestor already resolves nbx to this package', () => {
    const { root, run, nbDir } = layout();
    fs.mkdirSync(path.join(root, 'node_modules'));
    fs.symlinkSync(PACKAGE_ROOT, path.join(root, 'node_modules', 'nbx'));
    assert.equal(ensureNbxResolvable(run, nbDir), 'resolved');
    assert.ok(!fs.existsSync(path.join(run, 'node_modules')));
  });

  it('shadows another package named nbx found above the run', () => {
    const { root, run, nbDir } = layout();
    fakePackage(root, 'nbx');
    assert.ok(!resolvesToPackage(run));
    assert.equal(ensureNbxResolvable(run, nbDir), 'linked');
    assert.equal(requireResolve(run), API_MAIN);
  });

  it('replaces a node_modules symlinked from the notebook by a directory of links, leaving the original alone', () => {
    const { run, nbDir } = layout();
    fakePackage(nbDir, 'left-pad');
    fakePackage(nbDir, 'nbx');
    fs.mkdirSync(path.join(nbDir, 'node_modules', '@scope'));
    fakePackage(path.join(nbDir, 'node_modules', '@scope'), 'pkg');
    fs.symlinkSync(path.join(nbDir, 'node_modules'), path.join(run, 'node_modules'));
    const before = fs.readdirSync(path.join(nbDir, 'node_modules')).sort();
    assert.equal(ensureNbxResolvable(run, nbDir), 'merged');
    assert.ok(!fs.lstatSync(path.join(run, 'node_modules')).isSymbolicLink());
    assert.equal(requireResolve(run), API_MAIN);
    const req = createRequire(path.join(run, 'index.js'));
    assert.equal(req('left-pad'), 'left-pad');
    assert.deepEqual(fs.readdirSync(path.join(nbDir, 'node_modules')).sort(), before);
    assert.equal(
      fs.readFileSync(path.join(nbDir, 'node_modules', 'nbx', 'index.js'), 'utf8'),
      'module.exports = "nbx";',
      "the notebook's own nbx is untouched"
    );
  });

  it("brings the notebook's node_modules along when the run would not see it", () => {
    const { run, nbDir } = layout();
    fakePackage(nbDir, 'left-pad');
    const sub = path.join(nbDir, 'notebooks');
    fs.mkdirSync(sub);
    assert.equal(ensureNbxResolvable(run, sub), 'merged');
    assert.equal(requireResolve(run), API_MAIN);
    assert.equal(createRequire(path.join(run, 'index.js'))('left-pad'), 'left-pad');
  });

  it('only links nbx when the notebook node_modules is an ancestor of the run anyway', () => {
    const project = tempDir();
    fakePackage(project, 'left-pad');
    const run = path.join(project, '.nbx', 'runs', 'abc');
    fs.mkdirSync(run, { recursive: true });
    assert.equal(ensureNbxResolvable(run, project), 'linked');
    assert.deepEqual(fs.readdirSync(path.join(run, 'node_modules')), ['nbx']);
    assert.equal(requireResolve(run), API_MAIN);
  });

  it('fails clearly when node_modules in the run is a file', () => {
    const { run, nbDir } = layout();
    fs.writeFileSync(path.join(run, 'node_modules'), '');
    assert.throws(() => ensureNbxResolvable(run, nbDir), /is not a directory/);
  });
});
