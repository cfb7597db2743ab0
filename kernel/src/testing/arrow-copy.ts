/**
 * A project with an apache-arrow of its own: a copy of nbx's in `<project>/node_modules`
 * (not a link, which Node would resolve to the same module), its dependencies linked, so
 * tests can tell the notebook's Arrow classes from the engine's.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PACKAGE_ROOT } from '../base/paths';

/** Copies apache-arrow into `<project>/node_modules` and returns the copy's directory. */
export function ownArrowCopy(project: string): string {
  const nm = path.join(project, 'node_modules');
  const source = path.join(PACKAGE_ROOT, 'node_modules', 'apache-arrow');
  const target = path.join(nm, 'apache-arrow');
  fs.cpSync(source, target, {
    recursive: true,
    // Source maps, sources and ES modules are not loaded by require; its own node_modules
    // only holds @types.
    filter: f =>
      !/\.(map|mjs)$/.test(f) &&
      !/\.ts$/.test(f.replace(/\.d\.ts$/, '')) &&
      !f.startsWith(path.join(source, 'node_modules'))
  });
  const pkg = JSON.parse(fs.readFileSync(path.join(source, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  for (const dep of Object.keys(pkg.dependencies)) {
    const from = path.join(PACKAGE_ROOT, 'node_modules', dep);
    if (fs.existsSync(from)) {
      fs.mkdirSync(path.dirname(path.join(nm, dep)), { recursive: true });
      fs.symlinkSync(from, path.join(nm, dep));
    }
  }
  return target;
}
