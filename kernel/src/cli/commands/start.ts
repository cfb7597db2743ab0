/**
 * Commands that run existing runs: `nbx start` (staged runs and batches), `nbx restart`
 * (a finished run again, in its own directory), `nbx rerun` (a new run from an old one).
 */
import type { Command } from 'commander';
import { UserError } from '../../base/errors';
import { planRun } from '../../scheduler/prepare';
import { prepareRestart, rerunRequest } from '../../scheduler/restart';
import { resubmit } from '../../scheduler/slurm/resubmit';
import { clearStopRequest } from '../../scheduler/stop-requests';
import type { RunMeta } from '../../store/meta';
import { RunDir } from '../../store/run-dir';
import { listRuns, resolveRunRef } from '../../store/runs';
import { runsRootHere } from '../root';
import {
  addSlurmOptions,
  placementOption,
  reportSubmitted,
  type ISlurmCliOptions
} from '../slurm-options';
import { printJson, runJson, shortId } from '../format';
import {
  batchInForeground,
  detach,
  gpusOption,
  gpusText,
  planDetached,
  planInForeground,
  runInForeground,
  type IOutputOptions
} from '../execute';

interface IStartOptions extends IOutputOptions {
  staged?: boolean;
  detach?: boolean;
}

interface IRestartOptions extends IOutputOptions, ISlurmCliOptions {
  gpus?: string | boolean;
  forceFlags?: boolean;
  detach?: boolean;
}

interface IRerunOptions extends IRestartOptions {
  label?: string;
  tag?: string[];
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Executes a run or batch ready to go, here or in the background. */
async function execute(run: RunDir, opts: IStartOptions): Promise<number> {
  if (opts.detach) {
    return detach(run, opts);
  }
  return run.readMeta().kind === 'batch'
    ? batchInForeground(run, opts)
    : runInForeground(run, opts);
}

/** Staged runs to start with `--staged`, oldest first (trials go with their staged batch). */
function stagedRuns(root: string): RunDir[] {
  const all = listRuns(root);
  const staged = new Set(all.filter(m => m.status === 'staged').map(m => m.id));
  return all
    .filter(m => staged.has(m.id) && !(m.parent !== null && staged.has(m.parent)))
    .reverse()
    .map(m => new RunDir(root, m.id));
}

function checkStaged(meta: RunMeta): void {
  if (meta.status !== 'staged') {
    throw new UserError(
      `run ${shortId(meta.id)} is not staged (status: ${meta.status}); ` +
        `run it again with 'nbx restart ${shortId(meta.id)}'`
    );
  }
}

export function addStartCommands(program: Command): void {
  program
    .command('start')
    .description('start staged runs (nbx run --stage): a batch runs its trials through the queue')
    .argument('[run...]', 'run ids, id prefixes, or indexes from nbx runs')
    .option('--staged', 'start every staged run')
    .option('-d, --detach', 'start in the background, print the ids and return')
    .option('-q, --quiet', "don't echo the notebook's output or a sweep's progress")
    .option('--json', 'print the run records as JSON')
    .action(async (refs: string[], opts: IStartOptions) => {
      const root = runsRootHere();
      if (refs.length > 0 && opts.staged) {
        throw new UserError('give runs or --staged, not both');
      }
      const runs = opts.staged ? stagedRuns(root) : refs.map(ref => resolveRunRef(root, ref));
      if (runs.length === 0) {
        throw new UserError(opts.staged ? 'no staged runs' : 'give the runs to start, or --staged');
      }
      for (const run of runs) {
        checkStaged(run.readMeta());
      }
      let status = 0;
      for (const run of runs) {
        clearStopRequest(run);
        // Queued from now on (a batch's trials stay staged until its queue takes them).
        run.updateMeta(m => (m.status === 'staged' ? { ...m, status: 'queued' } : m));
        status = Math.max(status, await execute(run, opts));
      }
      process.exitCode = status;
    });

  const restart = program
    .command('restart')
    .description('run a finished run again in its own directory (its files are kept)')
    .argument('<run>', 'run id, id prefix, or index from nbx runs')
    .argument('[flags...]', 'flag values to change, as NAME=VALUE')
    .option('--gpus <list>', 'GPUs the kernel may use from now on, e.g. 1')
    .option('--no-gpus', 'hide every GPU from the kernel')
    .option('--force-flags', "inject flags the notebook doesn't declare")
    .option('-d, --detach', 'restart in the background, print the id and return')
    .option('-q, --quiet', "don't echo the notebook's output")
    .option('--json', 'print the run record as JSON when done');
  addSlurmOptions(restart)
    .addHelpText(
      'after',
      `
The run executes again from its snapshot, in the same directory: the files it
wrote are still there (a notebook can resume from its checkpoint). The new
attempt has an output.log, scalars and executed.ipynb of its own; those of the
previous one move to attempts/N/ (nbx show lists the attempts). Without --gpus
or --no-gpus it keeps its GPUs. A batch restarts the trials that did not complete.
With --on slurm the run is submitted again (its earlier Slurm options, unless
given anew; --gpus N is a count there).`
    )
    .action(async (ref: string, flags: string[], opts: IRestartOptions) => {
      const root = runsRootHere();
      const run = resolveRunRef(root, ref);
      const placement = placementOption(opts, gpusText(opts.gpus));
      if (placement?.on === 'slurm') {
        const meta = await resubmit(run, placement, { flags, forceFlags: opts.forceFlags });
        if (opts.json) {
          printJson(runJson(meta, run.path));
        } else {
          await reportSubmitted(meta);
        }
        return;
      }
      prepareRestart(run, {
        flags,
        forceFlags: opts.forceFlags,
        gpus: await gpusOption(opts.gpus)
      });
      process.exitCode = await execute(run, opts);
    });

  program
    .command('rerun')
    .description("start a new run from an old run's notebook snapshot and flags")
    .argument('<run>', 'run id, id prefix, or index from nbx runs')
    .argument('[flags...]', 'flag values to change, as NAME=VALUE')
    .option('--gpus <list>', "GPUs the kernel may use (default: the old run's)")
    .option('--no-gpus', 'hide every GPU from the kernel')
    .option('--force-flags', "inject flags the notebook doesn't declare")
    .option('-l, --label <text>', 'label the run; ${flag} inserts a flag value')
    .option('-t, --tag <tag>', "tag the run (repeatable; the old run's tags are kept)", collect)
    .option('-d, --detach', 'start in the background, print the id and return')
    .option('-q, --quiet', "don't echo the notebook's output")
    .option('--json', 'print the run record as JSON when done')
    .action(async (ref: string, flags: string[], opts: IRerunOptions) => {
      const root = runsRootHere();
      const old = resolveRunRef(root, ref);
      const req = rerunRequest(old, {
        flags,
        forceFlags: opts.forceFlags,
        gpus: await gpusOption(opts.gpus),
        label: opts.label,
        tags: opts.tag,
        command: ['nbx', ...process.argv.slice(2)]
      });
      const plan = planRun(req);
      process.exitCode = await (opts.detach ? planDetached : planInForeground)(plan, opts);
    });
}
