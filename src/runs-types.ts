/**
 * What the nbx service answers about runs, as the Runs panel and the run view read it
 * (the contract is kernel/src/service/methods-read.ts and kernel/src/store/meta.ts; the
 * frontend keeps its own copy of the fields it uses, since it never imports kernel/).
 */
import type { PartialJSONValue } from '@lumino/coreutils';

/** Where a run is in its life. */
export type RunStatus = 'staged' | 'queued' | 'running' | 'completed' | 'error' | 'terminated';

/** Every status, in lifecycle order. */
export const RUN_STATUSES: readonly RunStatus[] = [
  'staged',
  'queued',
  'running',
  'completed',
  'error',
  'terminated'
];

/** Statuses a run never leaves. */
export const FINAL_STATUSES: readonly RunStatus[] = ['completed', 'error', 'terminated'];

/** True when `value` is a `RunStatus`. */
export function isRunStatus(value: unknown): value is RunStatus {
  return typeof value === 'string' && (RUN_STATUSES as readonly string[]).includes(value);
}

/** True while a run may still change on its own (not in a final status). */
export function isLive(status: RunStatus | null): boolean {
  return status !== null && !FINAL_STATUSES.includes(status);
}

/** A column of the runs index, as `listRuns` describes it. */
export interface IRunsColumn {
  /** `id`, `status`, ..., `=flag`, `.attr`, `#key`, `#key:min`, `#key:max`. */
  name: string;
  family: 'core' | 'flag' | 'attr' | 'scalar';
  kind: string;
}

/** The JSON result of `listRuns` in Arrow format (the table is in the first buffer). */
export interface IListRunsResult {
  root: string;
  /** Every run under the root. */
  runs: number;
  /** Runs that passed the filters. */
  matched: number;
  /** Rows in the table sent. */
  rows: number;
  warnings: string[];
  /** Every column of the index. */
  columns: IRunsColumn[];
  /** The key metric column, when asked for and there is one. */
  keyMetric: string | null;
}

/** Summary of one scalar key over a run. */
export interface IScalarSummary {
  first: number;
  last: number;
  min: number;
  max: number;
  count: number;
  lastStep: number | null;
}

/** A run's record (`getRun`), the fields the run view shows. */
export interface IRunRecord {
  id: string;
  /** Absolute path of the source notebook. */
  notebook: string;
  notebookName: string;
  kernel: { name: string; displayName: string; language: string } | null;
  flags: { [name: string]: PartialJSONValue };
  label: string | null;
  tags: string[];
  status: RunStatus;
  pid: number | null;
  host: string;
  user: string;
  /** CUDA_VISIBLE_DEVICES given to the kernel: '' for none, null when not set. */
  gpus: string | null;
  command: string[];
  created: string;
  started: string | null;
  stopped: string | null;
  exitCode: number | null;
  error: string | null;
  progress: { cells: number; done: number; current: number | null };
  sourceDigest: string | null;
  git: { commit: string; branch: string | null; dirty: boolean } | null;
  nbxVersion: string;
  flagDefaults: { [name: string]: PartialJSONValue };
  attrs: { [name: string]: PartialJSONValue };
  scalars: { [key: string]: IScalarSummary };
  kind?: 'run' | 'batch';
  parent?: string | null;
  trials?: string[];
}

/** What `getLogTail` returns. */
export interface ILogTail {
  text: string;
  size: number;
  truncated: boolean;
}

/** The outcome for one run of `stopRuns` / `deleteRuns`. */
export interface IRunOutcome {
  id: string;
  ok: boolean;
  status?: RunStatus;
  error?: string;
}
