/**
 * What the frontend and the service kernel say to each other over the `nbx` comm: every
 * method as `method → { params, result }`, the wire messages, and the pushed events.
 *
 * The frontend sends `{ id, method, params }` as a comm message's data; the service
 * answers `{ id, ok: true, result }` (binary results such as Arrow IPC bytes travel in
 * the message's buffers) or `{ id, ok: false, error }` with a one-line error.
 *
 * Types only: the frontend imports this with `import type`, so no engine code reaches the
 * browser. The two names both sides need at run time are literal types here; each side
 * binds its constant to them, so a different spelling does not compile.
 */
import type { JSONObject, JSONValue } from '../base/json';
import type { FlagLanguage, IFlagDef, IGpuQuery, IKernelInfo } from './flags';
import type { IObjective } from '../base/display';
import type { IRunBatch, RunMeta, RunPlacement, RunStatus } from './run';

/** The comm target the frontend opens and the service registers. */
export type CommTarget = 'nbx';

/** The kernelspec name of the service kernel (`nbx install` writes it). */
export type ServiceKernelName = 'nbx-service';

/** Params every method accepts. */
export interface IRootParams {
  /** A runs root overriding the one found from the service's directory. */
  root?: string;
}

/** Params naming one run. */
export interface IRunParams extends IRootParams {
  /** A full run id, a unique prefix or a 1-based index into the latest-first list. */
  id: string;
}

/**
 * Flag values of a request, by flag name: a string is the value as typed on the command
 * line (`'0.01'`, `'[0.001,0.01]'`, `'uniform[0:1]'`); other JSON values stand for
 * themselves.
 */
export type FlagValues = { [name: string]: JSONValue };

/** The notebook a request reads: a file, or an editor's content for that file. */
export interface INotebookParams extends IRootParams {
  /** Path relative to the service's directory (the server root), or absolute. */
  path: string;
  /** The notebook in the editor (unsaved edits included); else the file is read. */
  content?: JSONObject;
  /** The kernelspec to read the flags cell for, instead of the one the notebook names. */
  kernel?: string;
}

/** What `info` answers. */
export interface IServiceInfo {
  root: string;
  /** The service kernel's working directory. */
  cwd: string;
  /** The nbx package's version. */
  version: string;
  pid: number;
}

/** Params of `listRuns`. */
export interface IListRunsParams extends IRootParams {
  /** `arrow` (default): the runs index as an Arrow table; `json`: the run records. */
  format?: 'arrow' | 'json';
  /** An expression in the `--where` language of `nbx runs`. */
  where?: string;
  /** Only these runs (ids or unique prefixes; e.g. the runs compared), in list order. */
  ids?: string[];
  /**
   * An id of `ids` naming no run (deleted since it was listed) is left out and named in
   * the result's `missing`, instead of failing the request.
   */
  skipMissing?: boolean;
  /** A status or a list of them (any of them). */
  status?: RunStatus | RunStatus[];
  /** A `--sort` spec (`-#acc,started`); latest first without one. */
  sort?: string;
  /** At most this many rows, after filtering and sorting. */
  limit?: number;
  /** Only these columns, in this order (unknown names are left out). */
  columns?: string[];
  /** Also send the key metric column. */
  keyMetric?: boolean;
}

/** A column of the runs index. */
export interface IRunsColumn {
  /** `id`, `status`, ..., `=flag`, `.attr`, `#key`, `#key:min`, `#key:max`, `#key:step`. */
  name: string;
  family: 'core' | 'flag' | 'attr' | 'scalar';
  kind: string;
}

/** What `listRuns` answers in both formats. */
interface IListRunsResultBase {
  root: string;
  /** Every run under the root. */
  runs: number;
  /** Runs that passed the filters. */
  matched: number;
  warnings: string[];
  /** With `skipMissing`: the `ids` asked for that name no run, left out. */
  missing?: string[];
}

/** `listRuns` with `format: 'arrow'`: the table is the reply's first buffer. */
export interface IListRunsArrowResult extends IListRunsResultBase {
  format: 'arrow';
  /** Rows in the table sent. */
  rows: number;
  /** Every column of the index. */
  columns: readonly IRunsColumn[];
  /** The key metric column, when asked for and there is one. */
  keyMetric: string | null;
}

/** `listRuns` with `format: 'json'`: the records of the selected runs. */
export interface IListRunsJsonResult extends IListRunsResultBase {
  format: 'json';
  metas: RunMeta[];
}

/** Params of `getNotebook`. */
export interface IGetNotebookParams extends IRunParams {
  which?: 'executed' | 'snapshot';
}

/** Params of `getLogTail`. */
export interface IGetLogTailParams extends IRunParams {
  /** Bytes from the end (default 64 KiB, at most 16 MiB). */
  maxBytes?: number;
  /** `output.log` (default) or the kernel/runner log. */
  log?: 'output' | 'kernel';
}

/** What `getLogTail` answers. */
export interface ILogTail {
  /** The last bytes of the log as text (starting at a character boundary). */
  text: string;
  /** Size of the whole log in bytes (0 when there is none yet). */
  size: number;
  /** True when `text` is not the whole log. */
  truncated: boolean;
}

/** Params of `stopRuns`. */
export interface IStopRunsParams extends IRootParams {
  ids: string[];
  /** Time between SIGTERM and SIGKILL (default 30 s: a runner may be saving a large notebook). */
  graceMs?: number;
}

/** Params of `deleteRuns`. */
export interface IDeleteRunsParams extends IRootParams {
  /** Full run ids. */
  ids: string[];
  /** Delete running runs too. */
  force?: boolean;
}

/** The outcome for one run of a method acting on several. */
export interface IRunOutcome {
  id: string;
  ok: boolean;
  /** The run's status afterwards (stopRuns). */
  status?: RunStatus;
  /** Why it failed, one line. */
  error?: string;
}

/** What `stopRuns` and `deleteRuns` answer, in the order of `ids`. */
export interface IRunOutcomes {
  results: IRunOutcome[];
}

/** Params of `setLabel`. */
export interface ISetLabelParams extends IRunParams {
  /** The new label; empty or null clears it. */
  text: string | null;
}

/** Params of `setTags`: either `changes` or `tags`. */
export interface ISetTagsParams extends IRunParams {
  /** `+tag` or a bare tag adds, `-tag` removes. */
  changes?: string[];
  /** The new list. */
  tags?: string[];
}

/** What `flags` answers. */
export interface IFlagsResult {
  /** The language the flags cell is read in, or null when it has none nbx reads. */
  language: FlagLanguage | null;
  /** The kernelspec of the `kernel` param, else the one the notebook names, or null. */
  kernel: string | null;
  flags: IFlagDef[];
}

/** Params of `previewTrials`. */
export interface IPreviewTrialsParams extends INotebookParams {
  flags?: FlagValues;
  maxTrials?: number;
  seed?: number;
}

/** What a flag's value makes: one value, a list of values, or a distribution. */
export type ValueKind = 'value' | 'values' | 'distribution';

/** The kind of a batch of trials. */
export type BatchKind = 'single' | 'grid' | 'random' | 'file';

/** What `previewTrials` answers: the trials a set of values makes. */
export interface ITrialsPreview {
  /** The kind of batch; null when a value is invalid or the batch cannot be made. */
  kind: BatchKind | null;
  /** How many trials the values make (0 when they make none). */
  count: number;
  /** The first trials (at most 100): the assigned flags of each. */
  trials: { [name: string]: JSONValue }[];
  /** The seed random choices used, else null. */
  seed: number | null;
  /** The size of the full grid of a `grid`, else null. */
  gridSize: number | null;
  /** Per flag, what its value makes (flags whose value is invalid are left out). */
  values: { [name: string]: ValueKind };
  /** Per flag, the one-line error of its value (an unknown flag, a value that is not valid). */
  errors: { [name: string]: string };
  /** An error of the batch as a whole (e.g. a random search without `maxTrials`), else null. */
  error: string | null;
  warnings: string[];
}

/**
 * GPUs of a run: a list of indexes or UUIDs, or a `'0,2'` string; `[]` or `''` for CPU
 * only; absent or null to inherit CUDA_VISIBLE_DEVICES.
 */
export type GpusParam = (number | string)[] | string | null;

/** Params of `startRun`. */
export interface IStartRunParams extends INotebookParams {
  flags?: FlagValues;
  gpus?: GpusParam;
  /** Per-cell timeout in seconds. */
  timeout?: number;
  allowErrors?: boolean;
  label?: string;
  tags?: string[];
  /** Sweeps: trials at once. */
  parallel?: number;
  /** Sweeps: the most trials (random searches need it). */
  maxTrials?: number;
  /** Sweeps: the seed of random choices. */
  seed?: number;
  /** Sweeps: GPUs each trial gets. */
  gpusPerTrial?: number;
  /** Sweeps: the scalar that ranks trials, `#loss` (lowest best) or `-#acc` (highest best). */
  objective?: string;
  /**
   * Keep a standby kernel (default true): the next run of this kernelspec and GPUs starts on
   * a kernel started ahead. False discards the one held.
   */
  standby?: boolean;
  /** Where it runs: here (absent), or submitted to Slurm (a sweep as one job array). */
  placement?: RunPlacement;
}

/** What `startRun` answers: the run, or for a sweep the batch run. */
export interface IStartRunResult {
  id: string;
  /** The run directory. */
  path: string;
  meta: RunMeta;
}

/** Params of `restartRun`. */
export interface IRestartRunParams extends IRunParams {
  /** Values to change. */
  flags?: FlagValues;
  /** As for `startRun`; absent: the run's own. */
  gpus?: GpusParam;
}

/** Params of `scalarKeys`. */
export interface IScalarKeysParams extends IRootParams {
  /** Runs: full ids, unique prefixes or 1-based indexes. */
  ids: string[];
}

/** A scalar key of some of the runs asked about, with its points per run. */
export interface IScalarKeyCount {
  key: string;
  /** Points of the key per run id (runs without it are left out). */
  points: { [id: string]: number };
}

/** What `scalarKeys` answers. */
export interface IScalarKeysResult {
  /** The records of the runs, in the order of `ids`, with their effective status. */
  runs: RunMeta[];
  /** Every key any of the runs has, sorted by name. */
  keys: IScalarKeyCount[];
}

/** An x range of a run's points, both ends included. */
export interface IScalarWindow {
  /**
   * `step`; `time`: wall time in ms since the epoch; `relative`: ms since the run's first
   * point (`start` of its series).
   */
  axis: 'step' | 'time' | 'relative';
  from: number;
  to: number;
}

/** Params of `scalarPoints`. */
export interface IScalarPointsParams extends IRootParams {
  /** Runs: full ids, unique prefixes or 1-based indexes. */
  ids: string[];
  keys: string[];
  /** At most this many points per run and key (default 1500, at least 5). */
  maxPoints?: number;
  /** Only the points in this x range (full resolution when it holds few enough). */
  window?: IScalarWindow;
}

/** One run's points of one key, as `scalarPoints` sends them. */
export interface IScalarSeriesInfo {
  /** The full run id. */
  id: string;
  key: string;
  /** Points of the key in the window before downsampling. */
  total: number;
  /** Points sent. */
  points: number;
  /** True when a narrower window would show points that were left out. */
  downsampled: boolean;
  /** Wall time of the run's first point (any key), ms since the epoch; NaN without points. */
  start: number;
}

/**
 * What `scalarPoints` answers: one series per run and key (runs in the order of `ids`,
 * keys in the order of `keys`). Buffer `i` holds series `i` as an Arrow IPC stream with
 * Float64 columns `step`, `time` and `value`.
 */
export interface IScalarPointsResult {
  series: IScalarSeriesInfo[];
}

/** Params of `watchScalars`. */
export interface IWatchScalarsParams extends IRootParams {
  /** Runs whose new points are pushed (`scalars-appended`) until `unwatchScalars`. */
  ids: string[];
}

/** What `watchScalars` answers. */
export interface IWatchScalarsResult {
  /** Names this watch for `unwatchScalars`. */
  watch: number;
  /** The full ids of the runs watched. */
  ids: string[];
}

/** Params of `unwatchScalars`. */
export interface IUnwatchScalarsParams extends IRootParams {
  watch: number;
}

/** Params of `watchRun`. */
export interface IWatchRunParams extends IRunParams {
  /** Bytes of `output.log` the answer holds at most (default 64 KiB). */
  maxLogBytes?: number;
}

/**
 * What `watchRun` answers: the run's executed notebook and output as they are now; the
 * `run-output` events with a greater `seq` carry on from there.
 */
export interface IWatchRunResult {
  /** Names this watch for `unwatchRun`. */
  watch: number;
  /** The full run id. */
  id: string;
  /** Where this state stands in the run's events. */
  seq: number;
  /** The executed notebook (nbformat JSON), or null before the run has written it. */
  notebook: JSONObject | null;
  /** Index of the cell executing now, or null. */
  running: number | null;
  /** The end of `output.log`, with `\r` and `\b` resolved as a terminal shows them. */
  log: ILogTail;
}

/** Params of `unwatchRun`. */
export interface IUnwatchRunParams extends IRootParams {
  watch: number;
}

/**
 * A change of text: remove `drop` characters from its end, then append `text` (only the
 * last line of a stream is ever rewritten, by `\r` or `\b`).
 */
export interface ITextChange {
  drop: number;
  text: string;
}

/** What changed in one cell of a watched run's executed notebook. */
export interface IRunCellUpdate {
  /** Index of the cell in the notebook. */
  cell: number;
  /** The number of outputs afterwards (fewer: `clear_output`). */
  outputs: number;
  /** Outputs added or replaced (a display updated in place), by index. */
  set?: [index: number, output: JSONObject][];
  /** Text appended to stream outputs, by index. */
  text?: [index: number, change: ITextChange][];
  /** The cell's new execution count. */
  executionCount?: number | null;
}

/**
 * Pushed while a run is watched (`watchRun`): what its executed notebook and output gained
 * since the last push, coalesced (at most a few pushes a second per run, text bounded per
 * push: a stream that grew more than that is sent as its end, replacing the output).
 */
export interface IRunOutputEvent {
  event: 'run-output';
  root: string;
  /** The full run id. */
  id: string;
  /** One more than the previous push of this run (a gap: push missed, watch again). */
  seq: number;
  /** The whole notebook, when it replaces what came before (e.g. first written). */
  notebook?: JSONObject;
  cells: IRunCellUpdate[];
  /** Index of the cell executing now, or null. */
  running: number | null;
  /**
   * What `output.log` gained (`reset`: its text is the whole tail shown), and its size in
   * bytes now.
   */
  log?: ITextChange & { reset?: boolean; size: number };
}

/** Params of `sweepStatus`. */
export interface ISweepStatusParams extends IRootParams {
  /** Batch runs: full ids or unique prefixes. */
  ids: string[];
}

/** One trial of a sweep, as `sweepStatus` sends it. */
export interface ISweepTrial {
  /** 1-based position in the batch. */
  index: number;
  id: string;
  /** Its effective status (one that will never start reads `terminated`). */
  status: RunStatus;
  /** The values of the flags the sweep varies (`ISweepStatus.flagNames`). */
  flags: { [name: string]: JSONValue };
  /** The objective's last value, or null (no objective, or not logged yet). */
  value: number | null;
  /** What went wrong, one line, or null. */
  error: string | null;
}

/** Where a sweep stands: its settings, counts by status, best trial and trials. */
export interface ISweepStatus {
  /** The batch run's id. */
  id: string;
  notebookName: string;
  /** How the batch runs its trials (grid/random/file, parallel, objective). */
  settings: IRunBatch | null;
  /** The objective as parsed, or null when the sweep has none. */
  objective: IObjective | null;
  /** Trials by status. */
  counts: Record<RunStatus, number>;
  /** Trials in the batch. */
  total: number;
  /** Trials with a final status. */
  done: number;
  /** The best trial by the objective (its last value), or null. */
  best: { id: string; value: number } | null;
  /** The flags the trials vary, in flag order. */
  flagNames: string[];
  trials: ISweepTrial[];
  /** True when every trial has a final status. */
  finished: boolean;
}

/** What `sweepStatus` answers: one status per batch found, in the order of `ids`. */
export interface ISweepStatusResult {
  sweeps: ISweepStatus[];
}

/** Every method of the service: its params and its JSON result. */
export interface IServiceMethods {
  /** The service's runs root, directory, version and pid. */
  info: { params: IRootParams; result: IServiceInfo };
  /** The runs, as an Arrow table (one buffer) or as records. */
  listRuns: { params: IListRunsParams; result: IListRunsArrowResult | IListRunsJsonResult };
  /** A run's record, with its effective status. */
  getRun: { params: IRunParams; result: RunMeta };
  /** A run's executed or snapshot notebook (nbformat JSON). */
  getNotebook: { params: IGetNotebookParams; result: JSONObject };
  /** The end of a run's console output or kernel log. */
  getLogTail: { params: IGetLogTailParams; result: ILogTail };
  stopRuns: { params: IStopRunsParams; result: IRunOutcomes };
  deleteRuns: { params: IDeleteRunsParams; result: IRunOutcomes };
  /** Sets a run's label; the new record. */
  setLabel: { params: ISetLabelParams; result: RunMeta };
  /** Changes a run's tags; the new record. */
  setTags: { params: ISetTagsParams; result: RunMeta };
  /** What nvidia-smi reports. */
  gpus: { params: IRootParams; result: IGpuQuery };
  /** The installed kernelspecs runs can use, by name. */
  kernels: { params: IRootParams; result: IKernelInfo[] };
  /** A notebook's flags, as `nbx flags` reads them. */
  flags: { params: INotebookParams; result: IFlagsResult };
  /** The trials a set of values makes, checked without starting anything. */
  previewTrials: { params: IPreviewTrialsParams; result: ITrialsPreview };
  /** Starts a run or a sweep, detached. */
  startRun: { params: IStartRunParams; result: IStartRunResult };
  /** Runs a finished run again in its own directory; the record, now queued. */
  restartRun: { params: IRestartRunParams; result: RunMeta };
  /** The scalar keys of runs, with their points per run, and the runs' records. */
  scalarKeys: { params: IScalarKeysParams; result: IScalarKeysResult };
  /** Runs' points of keys, downsampled per series, as Arrow IPC buffers. */
  scalarPoints: { params: IScalarPointsParams; result: IScalarPointsResult };
  /** Pushes the points runs append (`scalars-appended`) until `unwatchScalars`. */
  watchScalars: { params: IWatchScalarsParams; result: IWatchScalarsResult };
  unwatchScalars: { params: IUnwatchScalarsParams; result: null };
  /** A run's executed notebook and output now, then pushes what they gain (`run-output`). */
  watchRun: { params: IWatchRunParams; result: IWatchRunResult };
  unwatchRun: { params: IUnwatchRunParams; result: null };
  /** Sweeps' progress, best trial and trial table (ids that name no batch are left out). */
  sweepStatus: { params: ISweepStatusParams; result: ISweepStatusResult };
}

/** The name of a service method. */
export type ServiceMethodName = keyof IServiceMethods;

/** The params of method `M`. */
export type ServiceParams<M extends ServiceMethodName> = IServiceMethods[M]['params'];

/** The JSON result of method `M`. */
export type ServiceResult<M extends ServiceMethodName> = IServiceMethods[M]['result'];

/** A request from the frontend. */
export interface IServiceRequest<M extends ServiceMethodName = ServiceMethodName> {
  /** Chosen by the frontend; echoed in the reply. */
  id: number;
  method: M;
  params: ServiceParams<M>;
}

/** A successful reply; binary payloads are in the comm message's buffers. */
export interface IServiceOk<M extends ServiceMethodName = ServiceMethodName> {
  id: number;
  ok: true;
  result: ServiceResult<M>;
}

/** A failed reply; `id` is null when the request had no usable id. */
export interface IServiceError {
  id: number | null;
  ok: false;
  /** One line, meant to be shown to a person. */
  error: string;
}

/** What the service answers to a request. */
export type ServiceReply<M extends ServiceMethodName = ServiceMethodName> =
  IServiceOk<M> | IServiceError;

/** Pushed when run directories change (created, removed, or meta.json rewritten). */
export interface IRunsChangedEvent {
  event: 'runs-changed';
  /** The runs root the runs are in. */
  root: string;
  /** Ids of the runs that changed (removed ones included), sorted. */
  ids: string[];
  /**
   * Those of `ids` whose run directory is gone: the others can be listed by id (`listRuns`
   * with `ids`) to patch a listing in place.
   */
  removed: string[];
}

/**
 * Pushed while a run's scalars are watched (`watchScalars`): the points its logs gained
 * since the last push, coalesced. Buffer `i` holds the new points of `keys[i]` as an Arrow
 * IPC stream (as `scalarPoints` sends them, not downsampled).
 */
export interface IScalarsAppendedEvent {
  event: 'scalars-appended';
  root: string;
  /** The full run id. */
  id: string;
  keys: string[];
}

/** Every event the service pushes. */
export type ServiceEvent = IRunsChangedEvent | IScalarsAppendedEvent | IRunOutputEvent;
