/**
 * `nbx install`, `nbx uninstall`, `nbx doctor`: nbx in a Jupyter environment (the
 * kernelspecs and the prebuilt JupyterLab extension), after `npm install -g`.
 */
import type { Command } from 'commander';
import { PACKAGE_ROOT } from '../../base/paths';
import { printJson, table } from '../format';
import {
  doctorChecks,
  installInto,
  jupyterPaths,
  packageInfo,
  resolveTarget,
  uninstallFrom,
  type IChange,
  type ITargetOptions
} from '../jupyter-install';

interface IInstallOptions extends ITargetOptions {
  json?: boolean;
}

function targetOptions(command: Command): Command {
  return command
    .option('--user', "into the user's Jupyter data directory (the default)")
    .option('--sys-prefix', "into the Jupyter of the Python environment (python3's sys.prefix)")
    .option('--prefix <dir>', 'into <dir>/share/jupyter')
    .option('--python <python>', 'the Python whose sys.prefix --sys-prefix means')
    .option('--json', 'print what was done as JSON');
}

function report(verb: string, description: string, changes: IChange[], json?: boolean): void {
  if (json) {
    printJson(changes);
  } else if (changes.length === 0) {
    process.stdout.write(`nothing of nbx's to remove (${description})\n`);
  } else {
    process.stdout.write(`${verb} (${description}):\n`);
    process.stdout.write(`${table(changes.map(c => [`  ${c.what}`, c.path]))}\n`);
  }
}

export function addInstallCommands(program: Command): void {
  targetOptions(
    program
      .command('install')
      .description(
        'register the tslab and nbx service kernelspecs and the JupyterLab extension with Jupyter'
      )
  ).action((opts: IInstallOptions) => {
    const target = resolveTarget(opts);
    report('installed', target.description, installInto(target.dataDir), opts.json);
  });

  targetOptions(
    program
      .command('uninstall')
      .description('remove what `nbx install` (with the same options) added')
  ).action((opts: IInstallOptions) => {
    const target = resolveTarget(opts);
    report('removed', target.description, uninstallFrom(target.dataDir), opts.json);
  });

  program
    .command('doctor')
    .description('report what of nbx is installed where, and what is missing')
    .option('--python <python>', 'check the Jupyter of this Python (default: jupyter on the PATH)')
    .option('--json', 'print the checks as JSON')
    .action(async (opts: { python?: string; json?: boolean }) => {
      const checks = await doctorChecks(jupyterPaths(opts.python));
      const problems = checks.filter(c => c.status !== 'ok').length;
      if (opts.json) {
        printJson(checks);
      } else {
        const { name, version } = packageInfo();
        process.stdout.write(
          `nbx ${version} (${name}) in ${PACKAGE_ROOT}, node ${process.version} (${process.execPath})\n`
        );
        process.stdout.write(
          `${table(checks.map(c => [`  ${c.status}`, c.what, c.detail]))}\n` +
            (problems === 0
              ? 'everything is in place\n'
              : `${problems} missing or stale; \`nbx install --help\` says how to install\n`)
        );
      }
      process.exitCode = problems === 0 ? 0 : 1;
    });
}
