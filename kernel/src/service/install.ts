/**
 * Installs the service kernel's kernelspec into a prefix (a venv, usually):
 * `<prefix>/share/jupyter/kernels/nbx-service/kernel.json`.
 *
 * Run as `node kernel/lib/service/install.js <prefix>`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { PACKAGE_ROOT } from '../base/paths';
import type { ServiceKernelName } from '../contract';

/** The kernelspec's name (its directory). */
export const SERVICE_KERNEL_NAME: ServiceKernelName = 'nbx-service';

/** The JavaScript entry point of the service kernel. */
export const SERVICE_MAIN = path.join(PACKAGE_ROOT, 'kernel', 'lib', 'service', 'main.js');

/**
 * The `kernel.json` of the service kernel. `metadata.nbx.service` marks it for the
 * frontend, which keeps it out of the Launcher and the notebook kernel picker.
 */
export function serviceKernelJson(node: string = process.execPath): Record<string, unknown> {
  return {
    argv: [node, SERVICE_MAIN, '-f', '{connection_file}'],
    display_name: 'nbx service',
    language: 'nbx',
    interrupt_mode: 'message',
    metadata: { nbx: { service: true }, debugger: false }
  };
}

/**
 * Writes the service kernelspec under `prefix` (replacing an older one) and returns
 * the kernelspec directory. The node running this is the node the kernel runs with.
 */
export function installServiceKernelspec(prefix: string): string {
  return writeServiceKernelspec(path.join(path.resolve(prefix), 'share', 'jupyter', 'kernels'));
}

/**
 * Writes the service kernelspec into `kernelsDir` (a Jupyter data directory's `kernels/`),
 * replacing an older one, and returns the kernelspec directory.
 */
export function writeServiceKernelspec(kernelsDir: string): string {
  const dir = path.join(kernelsDir, SERVICE_KERNEL_NAME);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'kernel.json');
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, `${JSON.stringify(serviceKernelJson(), null, 1)}\n`);
  fs.renameSync(temp, file);
  return dir;
}

if (require.main === module) {
  const prefix = process.argv[2];
  if (!prefix) {
    process.stderr.write('usage: node kernel/lib/service/install.js PREFIX (e.g. .venv)\n');
    process.exitCode = 2;
  } else {
    try {
      const dir = installServiceKernelspec(prefix);
      process.stdout.write(`installed kernelspec ${SERVICE_KERNEL_NAME} in ${dir}\n`);
    } catch (err) {
      process.stderr.write(
        `nbx: cannot install the service kernelspec: ${(err as Error).message}\n`
      );
      process.exitCode = 1;
    }
  }
}
