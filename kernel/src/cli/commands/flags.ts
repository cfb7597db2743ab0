/**
 * `nbx flags NOTEBOOK`: the flags a notebook declares.
 */
import * as path from 'path';
import type { Command } from 'commander';
import { readNotebook } from '../../notebook/io';
import { findFlagsCell, notebookLanguage, parseFlags } from '../../notebook/flags';
import { findKernelSpecs } from '../../protocol/kernelspec';
import { formatFlagValue } from '../../scheduler/label';
import { printJson, table } from '../format';

export function addFlagsCommand(program: Command): void {
  program
    .command('flags')
    .description("list a notebook's flags: name, type, default, description")
    .argument('<notebook>', 'the .ipynb file')
    .option('--json', 'print the flags as JSON')
    .action((file: string, opts: { json?: boolean }) => {
      const notebookPath = path.resolve(file);
      const nb = readNotebook(notebookPath);
      const ks = nb.metadata.kernelspec as { name?: unknown } | undefined;
      const spec =
        typeof ks?.name === 'string'
          ? findKernelSpecs({ cwd: path.dirname(notebookPath) }).get(ks.name.toLowerCase())
          : undefined;
      const flags = parseFlags(nb, notebookLanguage(nb, spec?.language));
      if (opts.json) {
        printJson(flags);
        return;
      }
      if (flags.length === 0) {
        const cell = findFlagsCell(nb);
        process.stdout.write(
          cell === null
            ? `${path.basename(file)} has no code cell, so no flags\n`
            : `${path.basename(file)} declares no flags (tag a cell "parameters" and assign literals in it)\n`
        );
        return;
      }
      const rows = [
        ['name', 'type', 'default', 'description'],
        ...flags.map(f => [f.name, f.type, formatFlagValue(f.default), f.description ?? ''])
      ];
      process.stdout.write(`${table(rows)}\n`);
    });
}
