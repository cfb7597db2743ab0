/**
 * The run record (`meta.json`, see DESIGN.md "Run directory") and its statuses, as the
 * store writes it and the service sends it to the frontend.
 */
import type { JSONValue } from '../base/json';

/**
 * Where a run is in its life: `staged` (created, waits to be started by hand), `queued`
 * (waits for a slot or GPU), `running`, then one of `completed`, `error`, `terminated`.
 */
export type RunStatus = 'staged' | 'queued' | 'running' | 'completed' | 'error' | 'terminated';

/** The kernel a run executes in. */
export interface IRunKernel {
  /** Kernelspec name, e.g. `tslab`, `python3`. */
  name: string;
  displayName: string;
  language: string;
}

/** How far execution got. */
export interface IRunProgress {
  /** Code cells to execute. */
  cells: number;
  /** Code cells finished. */
  done: number;
  /** Index (in the notebook's cell list) of the cell executing now, or null. */
  current: number | null;
}

/** The git state of the notebook's repository at launch. */
export interface IRunGit {
  commit: string;
  branch: string | null;
  dirty: boolean;
}

/** How the runner executes the notebook (recorded so a detached runner or a restart agrees). */
export interface IRunSettings {
  /** Per-cell timeout in seconds, or null for none. */
  timeoutS: number | null;
  /** Keep executing after a cell raises (the run still records the error). */
  allowErrors: boolean;
}

/** Summary of one scalar key over a run (see tracking/scalars). */
export interface IScalarSummary {
  first: number;
  last: number;
  min: number;
  max: number;
  count: number;
  /** Step of the last point, or null when points carried no step. */
  lastStep: number | null;
}

/** A timestamped note on a run (`nbx comment`). */
export interface IRunComment {
  time: string;
  user: string;
  text: string;
}

/**
 * An earlier execution of a run (`nbx restart` keeps it): how it ended, and its files
 * under `attempts/<attempt>/` in the run directory.
 */
export interface IRunAttempt {
  /** 1 for the first execution. */
  attempt: number;
  started: string | null;
  stopped: string | null;
  status: RunStatus;
  error: string | null;
  exitCode: number | null;
  flags: Record<string, JSONValue>;
  gpus: string | null;
  scalars: Record<string, IScalarSummary>;
  attrs: Record<string, JSONValue>;
  traceback?: string;
}

/** What ran the notebook: versions of Node, the kernel's language. */
export interface IRunRuntime {
  node: string;
  /** `language_info.name` and `.version` from the kernel, once it answered. */
  language: string | null;
  languageVersion: string | null;
}

/** The contents of a run's `meta.json`. */
export interface RunMeta {
  /** 32 lowercase hex characters; also the run directory's name. */
  id: string;
  /** Absolute path of the source notebook. */
  notebook: string;
  /** Basename of the source notebook. */
  notebookName: string;
  kernel: IRunKernel | null;
  flags: Record<string, JSONValue>;
  label: string | null;
  tags: string[];
  /** The recorded status; read it through `effectiveStatus` (a dead runner means terminated). */
  status: RunStatus;
  /** The runner process. */
  pid: number | null;
  /** Start token of the runner process (`processStartToken`), guards against pid reuse. */
  pidStart: string | null;
  kernelPid: number | null;
  /**
   * True when the run's kernel was a warm one, started ahead for exactly this run (same
   * kernelspec, directory and environment, nothing executed in it); false when it started
   * cold; absent before the kernel is up (and in records that predate warm kernels).
   */
  kernelWarm?: boolean;
  /** Host name of the machine the run runs on. */
  host: string;
  user: string;
  /** CUDA_VISIBLE_DEVICES given to the kernel: '' for no GPUs, null when not set. */
  gpus: string | null;
  /** The command line that launched the run. */
  command: string[];
  /** ISO 8601 timestamps. */
  created: string;
  started: string | null;
  stopped: string | null;
  exitCode: number | null;
  /** What went wrong, one line. */
  error: string | null;
  /** The failing cell's traceback (Python's, or what tslab wrote to stderr), no ANSI escapes. */
  traceback?: string;
  progress: IRunProgress;
  sourceDigest: string | null;
  git: IRunGit | null;
  nbxVersion: string;
  /** Execution settings; absent in records that predate them. */
  settings?: IRunSettings;
  /** Flag defaults of the notebook as read from its flags cell (before injection). */
  flagDefaults: Record<string, JSONValue>;
  /** Values recorded with `nbx.attr(name, value)`. */
  attrs: Record<string, JSONValue>;
  /** Per scalar key, its summary; updated while the run runs. */
  scalars: Record<string, IScalarSummary>;
  comments: IRunComment[];
  runtime: IRunRuntime | null;
  /**
   * `batch` for the parent run of a sweep, `pipeline` for the parent run of a pipeline's
   * steps (neither executes a notebook itself).
   */
  kind: RunKind;
  /** The batch this run is a trial of, or the pipeline it is a step of; else null. */
  parent: string | null;
  /** A batch's trials, in trial order. */
  trials: string[];
  /** How a batch runs its trials; null for plain runs. */
  batch: IRunBatch | null;
  /** Earlier executions, oldest first (empty until the run is restarted). */
  attempts?: IRunAttempt[];
  /**
   * A replicate (`nbx run --repeat N`): which run of its configuration this is, from 0;
   * absent for runs that are no replicate.
   */
  repeat?: number | null;
  /** The configuration a replicate repeats: the same key for every run of it (`--repeat`). */
  config?: string | null;
  /** The Slurm job the run (or batch) was submitted as; null or absent when it ran here. */
  slurm?: IRunSlurm | null;
  /** A pipeline's steps in the order they ran (absent in records that predate pipelines). */
  steps?: IRunStep[];
  /** What the run needed from other runs and the project (`requires`), as resolved. */
  deps?: IRunDependency[];
}

/**
 * What a run asks of Slurm (`nbx run --on slurm`, the Run as Experiment dialog, `nbx.json`'s
 * `"slurm"`); absent fields are the cluster's defaults.
 */
export interface ISlurmPlacement {
  partition?: string;
  /** `--time`: minutes, or Slurm's `MM:SS`, `HH:MM:SS`, `D-HH[:MM[:SS]]`. */
  time?: string;
  /** GPUs per run (per trial of an array): `--gres=gpu:N`. */
  gpus?: number;
  /** `--cpus-per-task`. */
  cpus?: number;
  /** `--mem`: megabytes, or `500M`, `4G`. */
  mem?: string;
  /** An sbatch script with placeholders around `{command}` (see the README). */
  template?: string;
}

/** Where a run executes: on this machine (the default), or submitted to Slurm. */
export type RunPlacement = { on: 'local' } | ({ on: 'slurm' } & ISlurmPlacement);

/** A run's Slurm job, as recorded at submission and reconciled with Slurm's view. */
export interface IRunSlurm {
  /** `<id>`, or `<array id>_<index>` for a trial of a job array (a batch records the array's id). */
  jobId: string;
  /** The partition asked for ('' for the cluster's default until Slurm names it). */
  partition: string;
  /** The node the job runs or ran on; '' while it is pending. */
  node: string;
  /** What was asked (a restart on Slurm asks the same). */
  placement: ISlurmPlacement;
  /**
   * While the job is pending: its place among the cluster's pending jobs (1: next, by
   * priority) and why it waits (`Priority`, `Resources`, `JobArrayTaskLimit`).
   */
  queue?: { position: number; reason: string } | null;
  /**
   * Slurm's final state word (`COMPLETED`, `TIMEOUT`, …) once nbx has reconciled the ended
   * job with the record, '' when Slurm had forgotten the job; absent while it may still run.
   */
  state?: string;
}

/** What a run is: a notebook run, a sweep's batch, or a pipeline. */
export type RunKind = 'run' | 'batch' | 'pipeline';

/** One step of a pipeline run: the link in the pipeline's directory and the step's run. */
export interface IRunStep {
  /** The link's name: the step's name (default: its notebook's stem), `_2`... on repeats. */
  name: string;
  run: string;
}

/**
 * A dependency of a run as resolved at launch: a file of the project, or the files of
 * another notebook's run, linked (or copied) into the run directory.
 */
export interface IRunDependency {
  /** `file`: a project file; `run`: outputs of the latest (or named) run of a notebook. */
  kind: 'file' | 'run';
  /** As declared: `data/raw.csv`, `prepare.ipynb`. */
  source: string;
  /** The upstream run used, or null (a file, or unresolved in a staged run). */
  run: string | null;
  /** Paths, relative to the run directory, linked or copied in. */
  files: string[];
  copied: boolean;
}

/** A batch's settings (`nbx run` with list values, distributions or a batch file). */
export interface IRunBatch {
  /** How the trials were made. */
  kind: 'grid' | 'random' | 'file';
  /** The seed of a random batch (to reproduce it), else null. */
  seed: number | null;
  /** Trials run at once. */
  parallel: number;
  /** GPUs the trials share (`--gpus`), null for none given. */
  gpus: string[] | null;
  gpusPerTrial: number;
  /** `-#loss` minimises loss, `#acc` maximises acc; null for none. */
  objective: string | null;
  /** Runs of each configuration (`--repeat`; absent: 1). */
  repeat?: number;
}
