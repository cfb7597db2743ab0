/**
 * Submitting with sbatch: typed options → its command line, the batch script on its stdin
 * (a site template around the command), and the job id it answers with (`--parsable`).
 */
import { UserError } from '../../base/errors';
import { runSlurm, type ISlurmEnv } from './command';
import { DEFAULT_TEMPLATE, renderTemplate, type TemplateValues } from './template';

/** What a run asks of Slurm; absent options are the site's defaults. */
export interface ISbatchOptions {
  /** `--job-name` (nbx uses the run's label). */
  jobName?: string;
  /** `--chdir`: the job's working directory (the run directory). */
  workdir?: string;
  /** `--output` and `--error`: files, or patterns such as `%A_%a` for arrays. */
  output?: string;
  error?: string;
  /** `--time`: minutes, or one of Slurm's forms (`MM:SS`, `HH:MM:SS`, `D-HH[:MM[:SS]]`). */
  time?: number | string;
  /** `--partition`. */
  partition?: string;
  /** GPUs per job (per array task): `--gres=gpu[:type]:N` by default, `--gpus=[type:]N` when `gpuFlag` is 'gpus'. */
  gpus?: number;
  gpuType?: string;
  gpuFlag?: 'gres' | 'gpus';
  /** `--cpus-per-task`. */
  cpusPerTask?: number;
  /** `--mem`: megabytes, or with a unit (`4G`, `500M`). */
  mem?: number | string;
  /** `--array=0-(size-1)`, with `%parallel` when given: at most that many tasks at once. */
  array?: { size: number; parallel?: number };
}

/** The batch script: a site template (`template`, named `templateSource` in errors) around `command`. */
export interface IJobScript {
  /** The command line the job runs (argv; quoted into the script). */
  command: readonly string[];
  /** A site template with placeholders; `#!/bin/bash` + `exec {command}` when absent. */
  template?: string;
  templateSource?: string;
  /** More placeholder values for the template (`command`, `job_name`, `workdir` are set here). */
  values?: TemplateValues;
}

const TIME = /^(\d+|\d+:\d{1,2}|\d+:\d{1,2}:\d{1,2}|\d+-\d+(:\d{1,2}(:\d{1,2})?)?)$/;
const MEM = /^\d+[KMGT]?$/i;

/** sbatch's options for `options`, in a fixed order; a value Slurm would refuse is an error here. */
export function sbatchArgs(options: ISbatchOptions): string[] {
  const args: string[] = [];
  const add = (flag: string, value: string | number | undefined): void => {
    if (value !== undefined) {
      args.push(`--${flag}=${value}`);
    }
  };
  add('job-name', options.jobName);
  add('chdir', options.workdir);
  add('output', options.output);
  add('error', options.error);
  if (options.time !== undefined) {
    const time = String(options.time);
    if (!TIME.test(time) || time === '0') {
      throw new UserError(
        `Slurm time limit '${time}': give minutes or MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS`
      );
    }
    add('time', time);
  }
  add('partition', options.partition);
  if (options.gpus !== undefined) {
    const gpus = positive('GPUs', options.gpus);
    const typed = options.gpuType ? `${options.gpuType}:${gpus}` : `${gpus}`;
    if (options.gpuFlag === 'gpus') {
      add('gpus', typed);
    } else {
      add('gres', `gpu:${typed}`);
    }
  }
  if (options.cpusPerTask !== undefined) {
    add('cpus-per-task', positive('CPUs per task', options.cpusPerTask));
  }
  if (options.mem !== undefined) {
    if (!MEM.test(String(options.mem))) {
      throw new UserError(
        `Slurm memory '${options.mem}': give megabytes or a size such as 500M, 4G`
      );
    }
    add('mem', options.mem);
  }
  if (options.array) {
    const size = positive('array size', options.array.size);
    const parallel =
      options.array.parallel === undefined
        ? ''
        : `%${positive('parallel', options.array.parallel)}`;
    add('array', `0-${size - 1}${parallel}`);
  }
  return args;
}

/** The script sbatch reads on its stdin. */
export function jobScript(script: IJobScript, options: ISbatchOptions = {}): string {
  return renderTemplate(
    script.template ?? DEFAULT_TEMPLATE,
    {
      ...script.values,
      command: script.command,
      job_name: options.jobName ?? '',
      workdir: options.workdir ?? ''
    },
    script.templateSource
  );
}

/**
 * Submits the job; resolves with its id (for an array, the array's id: its tasks are
 * `<id>_<index>`). Throws SlurmUnreachableError when slurmctld does not answer.
 */
export async function submit(
  options: ISbatchOptions,
  script: IJobScript,
  slurm: ISlurmEnv = {}
): Promise<string> {
  const out = await runSlurm('sbatch', ['--parsable', ...sbatchArgs(options)], {
    ...slurm,
    input: jobScript(script, options)
  });
  return parseJobId(out);
}

/** The job id in sbatch's `--parsable` answer: `<id>` or `<id>;<cluster>`. */
export function parseJobId(out: string): string {
  const id = out.trim().split(';')[0];
  if (!/^\d+$/.test(id)) {
    throw new Error(`sbatch --parsable answered '${out.trim()}', not a job id`);
  }
  return id;
}

function positive(what: string, n: number): number {
  if (!Number.isInteger(n) || n < 1) {
    throw new UserError(`Slurm ${what} '${n}': give a whole number of at least 1`);
  }
  return n;
}
