/**
 * Which tslab a kernelspec runs, and whether its converter reads earlier cells' variables
 * in shorthand properties (`{ lr }`): tslab 1.0.22 as published does not (see
 * patches/tslab-1.0.22.patch, which the setup applies).
 */
import * as fs from 'fs';
import * as path from 'path';

import type { IKernelSpec } from './kernelspec';

/** True for a kernelspec that starts tslab (TypeScript) or its jslab mode. */
export function isTslabSpec(spec: IKernelSpec): boolean {
  return spec.argv.some(arg => path.basename(arg).startsWith('tslab'));
}

/**
 * The tslab package a kernel started with `spec` in `cwd` runs: tslab first looks for a
 * local install in `cwd` and its ancestors (`node_modules/tslab`), else it is the one the
 * kernelspec's command belongs to. Null when neither can be found.
 */
export function tslabPackageDir(spec: IKernelSpec, cwd: string): string | null {
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    const local = path.join(dir, 'node_modules', 'tslab');
    if (
      path.basename(dir) !== 'node_modules' &&
      fs.existsSync(path.join(local, 'dist', 'main.js'))
    ) {
      return local;
    }
    if (path.dirname(dir) === dir) {
      break;
    }
  }
  const program = spec.argv.find(arg => path.basename(arg).startsWith('tslab'));
  if (program === undefined) {
    return null;
  }
  try {
    // node_modules/.bin/tslab -> node_modules/tslab/bin/tslab
    const real = fs.realpathSync(program);
    const dir = path.dirname(path.dirname(real));
    if (fs.existsSync(path.join(dir, 'dist', 'converter.js'))) {
      return dir;
    }
    // nbx's launcher (kernel/bin/tslab-kernel.js) runs the tslab it resolves.
    return path.dirname(require.resolve('tslab/package.json', { paths: [path.dirname(real)] }));
  } catch {
    return null;
  }
}

/** False when the tslab in `dir` turns a shorthand property into a ReferenceError. */
export function tslabReadsShorthand(dir: string): boolean {
  try {
    const converter = fs.readFileSync(path.join(dir, 'dist', 'converter.js'), 'utf8');
    return converter.includes('getShorthandAssignmentValueSymbol');
  } catch {
    return true;
  }
}
