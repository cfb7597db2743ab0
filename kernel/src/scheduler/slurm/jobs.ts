/**
 * What Slurm knows of jobs: `scontrol show job -o` (every job slurmctld still holds, finished
 * ones for MinJobAge seconds), then `sacct` for older ones when the cluster keeps accounting.
 */
import { SlurmCommandError, runSlurm, type ISlurmEnv } from './command';

/** One job, or one task of a job array, as Slurm reports it. */
export interface ISlurmJob {
  /** `<id>`, or `<array id>_<index>` for an array task. */
  id: string;
  /** The array's id and this task's index, for array tasks. */
  arrayJobId?: string;
  arrayTaskId?: number;
  name: string;
  /** Slurm's state word: PENDING, RUNNING, COMPLETED, FAILED, TIMEOUT, CANCELLED, … */
  state: string;
  /** Why it waits or why it ended (`Priority`, `NonZeroExitCode`, `TimeLimit`), '' when none. */
  reason: string;
  /** `<exit code>:<signal>` of the batch script, '' when unknown. */
  exitCode: string;
  partition: string;
  /** The node(s) it runs or ran on, '' while pending. */
  nodes: string;
  /** The job's comment: nbx marks jobs it stopped (see cancel.ts). */
  comment: string;
}

/**
 * The jobs (array tasks expanded) with these ids, or an array's id for all its tasks;
 * an id Slurm no longer knows has no entry.
 */
export async function showJobs(
  ids: readonly string[],
  slurm: ISlurmEnv = {}
): Promise<ISlurmJob[]> {
  const wanted = new Set(ids);
  const jobs = (await scontrolJobs(ids, slurm)).filter(
    job => wanted.has(job.id) || (job.arrayJobId !== undefined && wanted.has(job.arrayJobId))
  );
  const found = new Set(jobs.flatMap(job => [job.id, job.arrayJobId ?? job.id]));
  const missing = ids.filter(id => !found.has(id));
  return missing.length ? [...jobs, ...(await sacctJobs(missing, slurm))] : jobs;
}

async function scontrolJobs(ids: readonly string[], slurm: ISlurmEnv): Promise<ISlurmJob[]> {
  // One id asks slurmctld for that job (an array's id brings all its tasks); several ask for
  // every job in one request, rather than one request per id.
  const args = ['show', 'job', '--oneliner', ...(ids.length === 1 ? [ids[0]] : [])];
  try {
    return parseScontrolJobs(await runSlurm('scontrol', args, slurm));
  } catch (err) {
    if (err instanceof SlurmCommandError && /Invalid job id/i.test(err.stderr)) {
      return [];
    }
    throw err;
  }
}

/** `scontrol show job --oneliner` output → jobs, a pending array remainder (`2-3%2`) expanded per task. */
export function parseScontrolJobs(out: string): ISlurmJob[] {
  return out
    .split('\n')
    .filter(line => line.startsWith('JobId='))
    .flatMap(line => {
      const f = parseFields(line);
      const base = {
        name: f.get('JobName') ?? '',
        state: f.get('JobState') ?? '',
        reason: none(f.get('Reason')),
        exitCode: f.get('ExitCode') ?? '',
        partition: f.get('Partition') ?? '',
        nodes: none(f.get('NodeList')),
        comment: none(f.get('Comment'))
      };
      const arrayJobId = f.get('ArrayJobId');
      const tasks = f.get('ArrayTaskId');
      if (arrayJobId === undefined || tasks === undefined) {
        return [{ id: f.get('JobId') ?? '', ...base }];
      }
      return expandTaskIds(tasks).map(task => ({
        id: `${arrayJobId}_${task}`,
        arrayJobId,
        arrayTaskId: task,
        ...base
      }));
    });
}

/**
 * `Key=value` fields of one `--oneliner` record. Values may hold spaces (a job name, a
 * command line), so a field ends only where the next `Key=` begins.
 */
export function parseFields(line: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const part of line.trim().split(/ (?=[A-Za-z][A-Za-z0-9_/:]*=)/)) {
    const eq = part.indexOf('=');
    fields.set(part.slice(0, eq), part.slice(eq + 1).trim());
  }
  return fields;
}

/** An array's task ids: `3`, `0-3`, `0-3%2`, `1,4-5:2`, … → [3], [0,1,2,3], … */
export function expandTaskIds(spec: string): number[] {
  const ids: number[] = [];
  for (const range of spec.replace(/%\d+$/, '').split(',')) {
    const m = /^(\d+)(?:-(\d+)(?::(\d+))?)?$/.exec(range);
    if (!m) {
      continue;
    }
    const first = Number(m[1]);
    const last = m[2] === undefined ? first : Number(m[2]);
    const step = m[3] === undefined ? 1 : Number(m[3]);
    for (let id = first; id <= last; id += step) {
      ids.push(id);
    }
  }
  return ids;
}

/** Slurm's "(null)" and "None" as ''. */
function none(value: string | undefined): string {
  return value === undefined || value === '(null)' || value === 'None' ? '' : value;
}

const SACCT_FIELDS = [
  'JobID',
  'JobName',
  'State',
  'ExitCode',
  'Partition',
  'NodeList',
  'Reason',
  'Comment'
];

/** Jobs from the accounting database; none when the cluster keeps no accounting. */
async function sacctJobs(ids: readonly string[], slurm: ISlurmEnv): Promise<ISlurmJob[]> {
  let out: string;
  try {
    out = await runSlurm(
      'sacct',
      [
        '--noheader',
        '--parsable2',
        '--allocations',
        `--jobs=${ids.join(',')}`,
        `--format=${SACCT_FIELDS.join(',')}`
      ],
      slurm
    );
  } catch (err) {
    // "Slurm accounting storage is disabled": the jobs are simply gone.
    if (err instanceof SlurmCommandError && /accounting storage is disabled/i.test(err.stderr)) {
      return [];
    }
    throw err;
  }
  return parseSacctJobs(out);
}

/** `sacct --parsable2` lines in SACCT_FIELDS order → jobs. */
export function parseSacctJobs(out: string): ISlurmJob[] {
  return out
    .split('\n')
    .filter(line => line.trim() !== '')
    .map(line => {
      const [id, name, state, exitCode, partition, nodes, reason, comment] = line.split('|');
      const task = /^(\d+)_(\d+)$/.exec(id);
      return {
        id,
        ...(task ? { arrayJobId: task[1], arrayTaskId: Number(task[2]) } : {}),
        name: name ?? '',
        // "CANCELLED by 1000": the state is the first word.
        state: (state ?? '').split(' ')[0],
        reason: none(reason),
        exitCode: exitCode ?? '',
        partition: partition ?? '',
        nodes: nodes === 'None assigned' ? '' : none(nodes),
        comment: none(comment)
      };
    });
}

/**
 * The cluster's pending jobs (array tasks one by one, `<id>_<index>`) in the order Slurm
 * starts them: by priority, then by id. One squeue call.
 */
export async function pendingOrder(slurm: ISlurmEnv = {}): Promise<string[]> {
  const out = await runSlurm(
    'squeue',
    ['--noheader', '--array', '--states=PENDING', '--sort=-p,i', '--format=%i'],
    slurm
  );
  return out
    .split('\n')
    .map(line => line.trim())
    .filter(line => line !== '');
}
