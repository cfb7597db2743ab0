/**
 * Commands that change runs: `nbx stop`, `nbx rm`.
 */
import * as readline from 'readline';
import type { Command } from 'commander';
import { UserError } from '../../errors';
import { stopRun } from '../../scheduler/control';
import { removeRun, resolveRunRef } from '../../store/runs';
import type { RunDir } from '../../store/run-dir';
import { runsRootHere } from '../root';
import { shortId } from '../format';

export function addManageCommands(program: Command): void {
  program
    .command('stop')
    .description('stop a running run: interrupt, shut the kernel down, kill if needed')
    .argument('<run...>', 'run ids, id prefixes, or indexes from nbx runs')
    .action(async (refs: string[]) => {
      const root = runsRootHere();
      const runs = refs.map(ref => resolveRunRef(root, ref));
      for (const run of runs) {
        const meta = await stopRun(run);
        process.stdout.write(`${shortId(meta.id)} ${meta.status}\n`);
      }
    });

  program
    .command('rm')
    .description('delete runs and their directories')
    .argument('<run...>', 'run ids, id prefixes, or indexes from nbx runs')
    .option('-y, --yes', "don't ask for confirmation")
    .option('--force', 'delete even runs that are still running')
    .action(async (refs: string[], opts: { yes?: boolean; force?: boolean }) => {
      const root = runsRootHere();
      const runs = unique(refs.map(ref => resolveRunRef(root, ref)));
      if (!opts.yes) {
        const names = runs.map(r => shortId(r.id)).join(', ');
        const ok = await confirm(
          `delete ${runs.length === 1 ? 'run' : `${runs.length} runs`} ${names}? [y/N] `
        );
        if (!ok) {
          process.stderr.write('nothing deleted\n');
          process.exitCode = 1;
          return;
        }
      }
      for (const run of runs) {
        removeRun(root, run.id, { force: opts.force });
        process.stdout.write(`deleted ${shortId(run.id)}\n`);
      }
    });
}

function unique(runs: RunDir[]): RunDir[] {
  const seen = new Set<string>();
  return runs.filter(r => !seen.has(r.id) && seen.add(r.id) !== undefined);
}

async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) {
    throw new UserError('refusing to delete without confirmation: pass -y to delete');
  }
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  const answer = await new Promise<string>(resolve => rl.question(question, resolve));
  rl.close();
  return /^y(es)?$/i.test(answer.trim());
}
