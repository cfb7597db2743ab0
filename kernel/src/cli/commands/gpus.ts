/**
 * `nbx gpus`: the GPUs nvidia-smi reports, with memory and utilisation.
 */
import type { Command } from 'commander';
import { queryGpus } from '../../tracking/gpus';
import { printJson, table } from '../format';

export function addGpusCommand(program: Command): void {
  program
    .command('gpus')
    .description('list the GPUs runs can use (from nvidia-smi)')
    .option('--json', 'print the GPUs as JSON')
    .action(async (opts: { json?: boolean }) => {
      const { gpus, reason } = await queryGpus();
      if (opts.json) {
        printJson(gpus);
      } else if (gpus.length === 0) {
        process.stdout.write(`no GPUs: ${reason ?? 'none found'} (runs use the CPU)\n`);
      } else {
        const num = (v: number | null, unit: string): string => (v === null ? '-' : `${v}${unit}`);
        const rows = [
          ['index', 'name', 'memory used/total', 'util', 'power'],
          ...gpus.map(g => [
            String(g.index),
            g.name,
            `${num(g.memoryUsedMiB, '')}/${num(g.memoryTotalMiB, ' MiB')}`,
            num(g.utilizationPct, '%'),
            num(g.powerW, ' W')
          ])
        ];
        process.stdout.write(`${table(rows)}\n`);
      }
    });
}
