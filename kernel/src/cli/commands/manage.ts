/**
 * Commands that change runs: `nbx stop`, `nbx rm`.
 */
import * as readline from 'readline';
import type { Command } from 'commander';
import { UserError } from '../../base/errors';
import { stopRun } from '../../scheduler/control';
import { removeRun, resolveRunRef } from '../../store/runs';
import type { RunMeta } from '../../store/meta';
import { RunDir } from '../../store/run-dir';
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
    .description('delete runs and their directories (a batch with its trials)')
    .argument('<run...>', 'run ids, id prefixes, or indexes from nbx runs')
    .option('-y, --yes', "don't ask for confirmation")
    .option('--force', 'delete even runs that are still running')
    .option('--keep-trials', "delete a batch's record only, keeping its trials as runs")
    .action(
      async (refs: string[], opts: { yes?: boolean; force?: boolean; keepTrials?: boolean }) => {
        const root = runsRootHere();
        const runs = unique(refs.map(ref => resolveRunRef(root, ref)));
        const trials = opts.keepTrials ? [] : batchTrials(runs);
        const doomed = unique([...trials, ...runs]);
        if (!opts.yes) {
          const ok = await confirm(removalText(runs, trials));
          if (!ok) {
            process.stderr.write('nothing deleted\n');
            process.exitCode = 1;
            return;
          }
        }
        // Trials first: a removal that stops half-way leaves their batch to find them by.
        for (const run of doomed) {
          removeRun(root, run.id, { force: opts.force });
          process.stdout.write(`deleted ${shortId(run.id)}\n`);
        }
      }
    );
}

/** The trials of the batches among `runs` that still exist. */
function batchTrials(runs: RunDir[]): RunDir[] {
  const trials: RunDir[] = [];
  for (const run of runs) {
    let meta: RunMeta;
    try {
      meta = run.readMeta();
    } catch {
      continue; // a broken record lists no trials
    }
    if (meta.kind === 'batch') {
      trials.push(...meta.trials.map(id => new RunDir(run.root, id)).filter(t => t.exists()));
    }
  }
  return trials;
}

/** `run 1a2b3c4d`, `3 runs 1a2b3c4d, …, and 4 trials 5e6f7a8b, …` for the confirmation. */
function removalText(runs: RunDir[], trials: RunDir[]): string {
  const names = (list: RunDir[]): string => list.map(r => shortId(r.id)).join(', ');
  const head = `${runs.length === 1 ? 'run' : `${runs.length} runs`} ${names(runs)}`;
  if (trials.length === 0) {
    return head;
  }
  return `${head} and ${trials.length === 1 ? 'its trial' : `${trials.length} trials`} ${names(trials)}`;
}

function unique(runs: RunDir[]): RunDir[] {
  const seen = new Set<string>();
  return runs.filter(r => !seen.has(r.id) && seen.add(r.id) !== undefined);
}

/** Asks on the terminal whether to delete `what`; without one, refuses naming it. */
async function confirm(what: string): Promise<boolean> {
  if (!process.stdin.isTTY) {
    throw new UserError(`refusing to delete ${what} without confirmation: pass -y to delete`);
  }
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  const answer = await new Promise<string>(resolve =>
    rl.question(`delete ${what}? [y/N] `, resolve)
  );
  rl.close();
  return /^y(es)?$/i.test(answer.trim());
}
