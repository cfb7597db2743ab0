/**
 * Slurm in the CLI: the options of `nbx run` and `nbx restart` (`--on slurm`, `--partition`,
 * `--time`, `--cpus`, `--mem`, `--template`; `--gpus N` is a count there), what they print
 * once a run is submitted, and the job line of `nbx show` (reconciling: slurm-listing.ts).
 */
import type { Command } from 'commander';
import { UserError } from '../base/errors';
import type { RunPlacement } from '../contract/run';
import type { RunMeta } from '../store/meta';
import { jobStatuses } from '../scheduler/slurm/status';
import { shortId } from './format';
import { countOption } from './execute';

/** The options as commander gives them. */
export interface ISlurmCliOptions {
  on?: string;
  partition?: string;
  time?: string;
  cpus?: string;
  mem?: string;
  template?: string;
}

/** Adds the Slurm options to `command`. */
export function addSlurmOptions(command: Command): Command {
  return command
    .option('--on <where>', "where the run executes: 'local' (default) or 'slurm' (sbatch)")
    .option('--partition <name>', 'Slurm: the partition to submit to')
    .option('--time <limit>', 'Slurm: time limit, minutes or [D-]HH:MM:SS')
    .option('--cpus <n>', 'Slurm: CPUs per run (--cpus-per-task)')
    .option('--mem <size>', 'Slurm: memory per run, MB or e.g. 4G')
    .option('--template <file>', 'Slurm: sbatch script around the runner ({command} placeholder)');
}

/**
 * The placement the options ask for; `gpus` is `--gpus`' text (on Slurm a count). Slurm
 * options without `--on slurm` are a one-line error, not silently ignored.
 */
export function placementOption(
  opts: ISlurmCliOptions,
  gpus: string | undefined
): RunPlacement | undefined {
  const on = opts.on ?? 'local';
  if (on !== 'local' && on !== 'slurm') {
    throw new UserError(`invalid --on '${on}': give local or slurm`);
  }
  const given = (
    [
      ['--partition', opts.partition],
      ['--time', opts.time],
      ['--cpus', opts.cpus],
      ['--mem', opts.mem],
      ['--template', opts.template]
    ] as const
  ).filter(([, value]) => value !== undefined);
  if (on === 'local') {
    if (given.length > 0) {
      throw new UserError(`${given[0][0]} is a Slurm option: add --on slurm`);
    }
    return opts.on === undefined ? undefined : { on: 'local' };
  }
  return {
    on: 'slurm',
    partition: opts.partition,
    time: opts.time,
    gpus: countOption('--gpus', gpus),
    cpus: countOption('--cpus', opts.cpus),
    mem: opts.mem,
    template: opts.template
  };
}

/**
 * Prints what was submitted: the run id at once on stdout, then on stderr its job id and
 * the status Slurm gives it right after submission (`queued (Priority)`, `running on n1`).
 */
export async function reportSubmitted(meta: RunMeta): Promise<void> {
  const job = meta.slurm?.jobId ?? '';
  process.stdout.write(`${meta.id}\n`);
  const what = meta.kind === 'batch' ? `batch of ${meta.trials.length} trials` : 'run';
  const array = meta.kind === 'batch' ? ' (a job array)' : '';
  process.stderr.write(`submitted ${what} ${shortId(meta.id)} as Slurm job ${job}${array}\n`);
  let status: string;
  try {
    const statuses = await jobStatuses([job]);
    const tasks = [...statuses.values()];
    const counts = new Map<string, number>();
    for (const t of tasks) {
      const word = `${t.status}${t.reason ? ` (${t.reason})` : ''}${
        t.status === 'running' && t.job?.nodes ? ` on ${t.job.nodes}` : ''
      }`;
      counts.set(word, (counts.get(word) ?? 0) + 1);
    }
    status = [...counts].map(([word, n]) => (tasks.length > 1 ? `${n} ${word}` : word)).join(', ');
  } catch (err) {
    status = `unknown (${(err as Error).message})`;
  }
  process.stderr.write(`  Slurm job ${job}: ${status}\n`);
}

/**
 * `job 123 on n1 (partition debug)`, `job 124 (partition debug) #2 in the queue (Priority)`
 * for `nbx show`; null for a run not on Slurm.
 */
export function slurmText(meta: RunMeta): string | null {
  const job = meta.slurm;
  if (!job) {
    return null;
  }
  const parts = [`job ${job.jobId}`];
  if (job.node) {
    parts.push(`on ${job.node}`);
  }
  if (job.partition) {
    parts.push(`(partition ${job.partition})`);
  }
  if (meta.status === 'queued' && job.queue) {
    parts.push(
      `#${job.queue.position} in the queue${job.queue.reason ? ` (${job.queue.reason})` : ''}`
    );
  }
  if (job.state) {
    parts.push(`ended ${job.state}`);
  }
  return parts.join(' ');
}
