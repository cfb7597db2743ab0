/**
 * The state of the "Run as Experiment" dialog, without DOM: the flags and their values as
 * typed, the kernel, GPUs, label, tags and batch options; the checks of each field, the
 * service's live preview of the trials (debounced), and the `startRun` request they make.
 */
import type { JSONObject, JSONValue } from '@lumino/coreutils';
import type { IDisposable } from '@lumino/disposable';
import { Signal, type ISignal } from '@lumino/signaling';
import type { TranslationBundle } from '@jupyterlab/translation';
import type { IFlagDef, IGpuInfo, IGpuQuery, IKernelInfo } from '../../kernel/src/contract/flags';
import type {
  IFlagsResult,
  IPreviewTrialsParams,
  IStartRunParams,
  IStartRunResult,
  ITrialsPreview
} from '../../kernel/src/contract/service';
import type { INbxService } from '../tokens';
import { errorMessage } from '../errors';
import { parseObjective } from '../../kernel/lib/base/display';
import {
  EMPTY_SLURM_FORM,
  slurmErrors,
  slurmPlacement,
  type RunOn,
  type SlurmField,
  type SlurmForm
} from './placement';

/** The notebook to run: its path and, for an open notebook, the editor's content. */
export interface IRunTarget {
  /** Path relative to the server root (the service kernel's directory). */
  path: string;
  /** The notebook in the editor (unsaved edits included), or null to run the file on disk. */
  content: JSONObject | null;
}

/** The fields of the dialog other than the flags, as the keys of `errors`. */
export type OptionField =
  | 'kernel'
  | 'gpus'
  | 'tags'
  | 'parallel'
  | 'maxTrials'
  | 'seed'
  | 'gpusPerTrial'
  | 'objective'
  | SlurmField;

/** The text a value is edited as: what `nbx run NAME=VALUE` takes for it. */
export function valueText(value: JSONValue): string {
  if (typeof value === 'string') {
    return value;
  }
  if (typeof value === 'number' || typeof value === 'boolean') {
    return String(value);
  }
  return JSON.stringify(value);
}

/**
 * The notebook without outputs and attachments: all the service needs to read the flags,
 * sent with every preview instead of the whole notebook.
 */
export function withoutOutputs(content: JSONObject): JSONObject {
  const cells = Array.isArray(content.cells) ? content.cells : [];
  return {
    ...content,
    cells: cells.map(cell => {
      if (typeof cell !== 'object' || cell === null || Array.isArray(cell)) {
        return cell;
      }
      const rest: JSONObject = { ...cell };
      delete rest.attachments;
      if (rest.cell_type === 'code') {
        rest.outputs = [];
      }
      return rest;
    })
  };
}

/**
 * The dialog's state. Every change emits `changed`; flag values, the kernel and the batch
 * options are checked by the service (`previewTrials`), at most every `debounceMs`, and a
 * reply to an older state is dropped.
 */
export class RunDialogModel implements IDisposable {
  constructor(options: RunDialogModel.IOptions) {
    this._service = options.service;
    this._target = options.target;
    this._debounceMs = options.debounceMs ?? 250;
    this._trans = options.trans;
    this.flags = options.flags.flags;
    this.notebookKernel = options.flags.kernel;
    this.kernels = options.kernels;
    this.gpus = options.gpus.gpus;
    this.gpuReason = options.gpus.reason;
    for (const def of this.flags) {
      this._values.set(def.name, valueText(def.default));
    }
    this._kernel = options.flags.kernel ?? '';
    const defaults = options.defaults ?? {};
    this._selectedGpus = new Set(Private.defaultGpus(defaults.gpus ?? 'all', this.gpus));
    this._parallel = String(Math.max(1, Math.floor(defaults.parallel ?? 1)));
    this._runOn = defaults.runOn ?? this._runOn;
    this._slurm = { ...this._slurm, ...defaults.slurm };
    if (options.initial) {
      this._applyInitial(options.initial);
    }
    this._checkOptions();
    if (Object.keys(this.changedFlags).length > 0 || this._kernel !== (this.notebookKernel ?? '')) {
      this._schedulePreview();
    }
  }

  /** The notebook's flags, in the order of its flags cell. */
  readonly flags: IFlagDef[];
  /** The kernels to choose from. */
  readonly kernels: IKernelInfo[];
  /** The kernelspec the notebook names, or null. */
  readonly notebookKernel: string | null;
  /** The GPUs found (empty when there are none). */
  readonly gpus: IGpuInfo[];
  /** Why no GPU was found, or null. */
  readonly gpuReason: string | null;

  /** Emitted on every change of the state. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  /** The notebook this dialog runs. */
  get target(): IRunTarget {
    return this._target;
  }

  /** The value of a flag as typed. */
  value(name: string): string {
    return this._values.get(name) ?? '';
  }

  setValue(name: string, text: string): void {
    if (this._values.get(name) === text) {
      return;
    }
    this._values.set(name, text);
    this._schedulePreview();
  }

  /** The flags whose value differs from the notebook's, as typed: what the run injects. */
  get changedFlags(): Record<string, string> {
    const changed: Record<string, string> = {};
    for (const def of this.flags) {
      const text = this.value(def.name).trim();
      if (text !== valueText(def.default).trim()) {
        changed[def.name] = text;
      }
    }
    return changed;
  }

  get kernel(): string {
    return this._kernel;
  }

  setKernel(name: string): void {
    if (name === this._kernel) {
      return;
    }
    this._kernel = name;
    this._checkOptions();
    this._schedulePreview();
  }

  isGpuSelected(index: number): boolean {
    return this._selectedGpus.has(index);
  }

  setGpuSelected(index: number, selected: boolean): void {
    if (selected) {
      this._selectedGpus.add(index);
    } else {
      this._selectedGpus.delete(index);
    }
    this._checkOptions();
    this._emit();
  }

  get label(): string {
    return this._label;
  }

  setLabel(text: string): void {
    this._label = text;
    this._emit();
  }

  get tags(): string {
    return this._tags;
  }

  setTags(text: string): void {
    this._tags = text;
    this._checkOptions();
    this._emit();
  }

  get parallel(): string {
    return this._parallel;
  }

  setParallel(text: string): void {
    this._parallel = text;
    this._checkOptions();
    this._emit();
  }

  get maxTrials(): string {
    return this._maxTrials;
  }

  setMaxTrials(text: string): void {
    this._maxTrials = text;
    this._checkOptions();
    this._schedulePreview();
  }

  /** The sweep's objective as typed: `#loss` (lowest best) or `-#acc` (highest best). */
  get objective(): string {
    return this._objective;
  }

  setObjective(text: string): void {
    this._objective = text;
    this._checkOptions();
    this._emit();
  }

  get seed(): string {
    return this._seed;
  }

  setSeed(text: string): void {
    this._seed = text;
    this._checkOptions();
    this._schedulePreview();
  }

  get gpusPerTrial(): string {
    return this._gpusPerTrial;
  }

  setGpusPerTrial(text: string): void {
    this._gpusPerTrial = text;
    this._checkOptions();
    this._emit();
  }

  /** Where the run executes: this machine, or submitted to Slurm. */
  get runOn(): RunOn {
    return this._runOn;
  }

  setRunOn(on: RunOn): void {
    this._runOn = on;
    this._checkOptions();
    this._emit();
  }

  /** A Slurm field as typed. */
  slurmValue(field: SlurmField): string {
    return this._slurm[field];
  }

  setSlurmValue(field: SlurmField, text: string): void {
    this._slurm = { ...this._slurm, [field]: text };
    this._checkOptions();
    this._emit();
  }

  /** The error of a flag's value, or null. */
  flagError(name: string): string | null {
    return this._preview?.errors[name] ?? null;
  }

  /** The error of an option field, or null. */
  optionError(field: OptionField): string | null {
    return this._optionErrors[field] ?? null;
  }

  /** The latest preview of the trials (null before the first, or after a failure). */
  get preview(): ITrialsPreview | null {
    return this._preview;
  }

  /** Why the trials could not be previewed (the batch's error, or the service failed). */
  get previewError(): string | null {
    return this._previewFailure ?? this._preview?.error ?? null;
  }

  /** True while a change waits for the service's check. */
  get pending(): boolean {
    return this._pending;
  }

  /** The number of trials the values make (1 before any change). */
  get trialCount(): number {
    return this._preview?.count ?? 1;
  }

  /** True when a value is a list or a distribution: the batch options matter. */
  get isSweep(): boolean {
    const kinds = Object.values(this._preview?.values ?? {});
    return kinds.some(kind => kind !== 'value');
  }

  /** True when a value is a distribution: a random search, which needs max trials. */
  get hasDistribution(): boolean {
    return Object.values(this._preview?.values ?? {}).includes('distribution');
  }

  /** True when every field is valid and checked: the Run button is enabled. */
  get canRun(): boolean {
    if (this._pending || this._submitting || this._previewFailure !== null) {
      return false;
    }
    if (Object.keys(this._optionErrors).length > 0) {
      return false;
    }
    const preview = this._preview;
    if (preview === null) {
      return true;
    }
    return Object.keys(preview.errors).length === 0 && preview.error === null && preview.count > 0;
  }

  /** The error of the last submit, shown at the top of the dialog. */
  get submitError(): string | null {
    return this._submitError;
  }

  /** True while the run is being started. */
  get submitting(): boolean {
    return this._submitting;
  }

  /** Waits for the pending check, if any. */
  async settled(): Promise<void> {
    while (this._pending && !this._disposed) {
      await new Promise<void>(resolve => {
        const done = (): void => {
          if (!this._pending || this._disposed) {
            this._changed.disconnect(done);
            resolve();
          }
        };
        this._changed.connect(done);
      });
    }
  }

  /** The params of the service's `startRun` for this state. */
  startParams(): IStartRunParams {
    const params: IStartRunParams = {
      path: this._target.path,
      flags: this.changedFlags
    };
    if (this._target.content !== null) {
      params.content = this._target.content;
    }
    if (this._kernel !== '') {
      params.kernel = this._kernel;
    }
    const onSlurm = this._runOn === 'slurm';
    if (onSlurm) {
      // GPUs there are the job's (per trial of a sweep), not this machine's.
      params.placement = slurmPlacement(this._slurm);
    } else if (this.gpus.length > 0) {
      params.gpus = this.gpus.filter(g => this._selectedGpus.has(g.index)).map(g => g.index);
    }
    const label = this._label.trim();
    if (label !== '') {
      params.label = label;
    }
    const tags = Private.splitTags(this._tags);
    if (tags.length > 0) {
      params.tags = tags;
    }
    if (this.isSweep) {
      params.parallel = Private.integer(this._parallel) ?? 1;
      const maxTrials = Private.integer(this._maxTrials);
      if (maxTrials !== null) {
        params.maxTrials = maxTrials;
      }
      const seed = Private.integer(this._seed);
      if (seed !== null) {
        params.seed = seed;
      }
      const objective = parseObjective(this._objective);
      if (objective !== null) {
        params.objective = objective.text;
      }
      const perTrial = Private.integer(this._gpusPerTrial);
      if (perTrial !== null && this.gpus.length > 0 && !onSlurm) {
        params.gpusPerTrial = perTrial;
      }
    }
    return params;
  }

  /**
   * Starts the run(s) with the service. Resolves with the result of `startRun`; on failure
   * keeps the error in `submitError` and rethrows.
   */
  async submit(): Promise<IStartRunResult> {
    this._submitting = true;
    this._submitError = null;
    this._emit();
    try {
      const { result } = await this._service.request('startRun', this.startParams());
      return result;
    } catch (err) {
      this._submitError = errorMessage(err);
      throw err;
    } finally {
      this._submitting = false;
      this._emit();
    }
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    if (this._timer !== null) {
      clearTimeout(this._timer);
      this._timer = null;
    }
    Signal.clearData(this);
  }

  /** Values of an earlier dialog (a rerun, or the dialog shown again after a failure). */
  private _applyInitial(initial: RunDialogModel.IInitial): void {
    for (const [name, text] of Object.entries(initial.flags ?? {})) {
      if (this._values.has(name)) {
        this._values.set(name, text);
      }
    }
    this._kernel = initial.kernel ?? this._kernel;
    if (initial.gpus !== undefined) {
      this._selectedGpus = new Set(initial.gpus);
    }
    this._label = initial.label ?? '';
    this._tags = initial.tags ?? '';
    this._parallel = initial.parallel ?? this._parallel;
    this._maxTrials = initial.maxTrials ?? '';
    this._seed = initial.seed ?? '';
    this._objective = initial.objective ?? '';
    this._gpusPerTrial = initial.gpusPerTrial ?? '';
    this._runOn = initial.runOn ?? this._runOn;
    this._slurm = { ...this._slurm, ...initial.slurm };
    this._submitError = initial.submitError ?? null;
  }

  /** This state as the `initial` of another model. */
  snapshot(): RunDialogModel.IInitial {
    return {
      flags: Object.fromEntries(this._values),
      kernel: this._kernel,
      gpus: [...this._selectedGpus],
      label: this._label,
      tags: this._tags,
      parallel: this._parallel,
      maxTrials: this._maxTrials,
      seed: this._seed,
      objective: this._objective,
      gpusPerTrial: this._gpusPerTrial,
      runOn: this._runOn,
      slurm: this._slurm,
      submitError: this._submitError ?? undefined
    };
  }

  /** Checks the fields the frontend can check alone. */
  private _checkOptions(): void {
    const trans = this._trans;
    const errors: Partial<Record<OptionField, string>> = {};
    if (this._kernel === '') {
      errors.kernel = trans.__('Choose the kernel to run the notebook in.');
    }
    const badTag = Private.splitTags(this._tags).find(tag => /\s/.test(tag));
    if (badTag !== undefined) {
      errors.tags = trans.__("Tags have no spaces: '%1' (separate tags with commas).", badTag);
    }
    if (!Private.atLeast(this._parallel, 1)) {
      errors.parallel = trans.__('Give a whole number of trials to run at once, at least 1.');
    }
    if (this._maxTrials.trim() !== '' && !Private.atLeast(this._maxTrials, 1)) {
      errors.maxTrials = trans.__('Give a whole number of trials, at least 1.');
    }
    if (this._objective.trim() !== '' && parseObjective(this._objective) === null) {
      errors.objective = trans.__(
        "Give one scalar key: '#loss' ranks lowest best, '-#acc' highest best."
      );
    }
    if (this._seed.trim() !== '' && !Private.atLeast(this._seed, 0)) {
      errors.seed = trans.__('Give a whole number, 0 or more.');
    }
    if (this._gpusPerTrial.trim() !== '' && !Private.atLeast(this._gpusPerTrial, 1)) {
      errors.gpusPerTrial = trans.__('Give a whole number of GPUs, at least 1.');
    }
    this._optionErrors =
      this._runOn === 'slurm' ? { ...errors, ...slurmErrors(this._slurm, trans) } : errors;
  }

  private _schedulePreview(): void {
    this._pending = true;
    this._seq++;
    if (this._timer !== null) {
      clearTimeout(this._timer);
    }
    this._timer = setTimeout(() => {
      this._timer = null;
      void this._runPreview(this._seq);
    }, this._debounceMs);
    this._emit();
  }

  private async _runPreview(seq: number): Promise<void> {
    const params: IPreviewTrialsParams = {
      path: this._target.path,
      flags: this.changedFlags
    };
    if (this._target.content !== null) {
      params.content = this._trimmed ??= withoutOutputs(this._target.content);
    }
    if (this._kernel !== '') {
      params.kernel = this._kernel;
    }
    const maxTrials = Private.integer(this._maxTrials);
    if (maxTrials !== null && maxTrials >= 1) {
      params.maxTrials = maxTrials;
    }
    const seed = Private.integer(this._seed);
    if (seed !== null && seed >= 0) {
      params.seed = seed;
    }
    let preview: ITrialsPreview | null = null;
    let failure: string | null = null;
    try {
      preview = (await this._service.request('previewTrials', params)).result;
    } catch (err) {
      failure = errorMessage(err);
    }
    if (this._disposed || seq !== this._seq) {
      return;
    }
    this._preview = preview;
    this._previewFailure = failure;
    this._pending = false;
    this._emit();
  }

  private _emit(): void {
    if (!this._disposed) {
      this._changed.emit();
    }
  }

  private readonly _service: INbxService;
  private readonly _target: IRunTarget;
  private readonly _debounceMs: number;
  private readonly _trans: TranslationBundle;
  private _trimmed: JSONObject | null = null;
  private _values = new Map<string, string>();
  private _kernel: string;
  private _selectedGpus: Set<number>;
  private _label = '';
  private _tags = '';
  private _parallel: string;
  private _maxTrials = '';
  private _objective = '';
  private _seed = '';
  private _gpusPerTrial = '';
  private _runOn: RunOn = 'local';
  private _slurm: SlurmForm = EMPTY_SLURM_FORM;
  private _optionErrors: Partial<Record<OptionField, string>> = {};
  private _preview: ITrialsPreview | null = null;
  private _previewFailure: string | null = null;
  private _pending = false;
  private _submitting = false;
  private _submitError: string | null = null;
  private _seq = 0;
  private _timer: ReturnType<typeof setTimeout> | null = null;
  private _disposed = false;
  private _changed = new Signal<this, void>(this);
}

export namespace RunDialogModel {
  /** Options of `RunDialogModel`. */
  export interface IOptions {
    service: INbxService;
    target: IRunTarget;
    /** The notebook's flags (`flags` of the service, for the same content). */
    flags: IFlagsResult;
    kernels: IKernelInfo[];
    gpus: IGpuQuery;
    /**
     * Settings: the GPUs selected at first (`all`, `none` or `0,2`), the parallelism, where
     * the run goes and the Slurm fields filled in.
     */
    defaults?: { gpus?: string; parallel?: number; runOn?: RunOn; slurm?: Partial<SlurmForm> };
    /** Values to start from instead of the notebook's. */
    initial?: IInitial;
    /** Quiet time before the service checks the values (default 250 ms). */
    debounceMs?: number;
    /** The `nbx` translation bundle (the messages of the checks the frontend makes). */
    trans: TranslationBundle;
  }

  /** A state of the dialog to start from. */
  export interface IInitial {
    flags?: Record<string, string>;
    kernel?: string;
    gpus?: number[];
    label?: string;
    tags?: string;
    parallel?: string;
    maxTrials?: string;
    seed?: string;
    objective?: string;
    gpusPerTrial?: string;
    runOn?: RunOn;
    slurm?: Partial<SlurmForm>;
    submitError?: string;
  }
}

namespace Private {
  /** `'a, b,,c'` as `['a', 'b', 'c']`. */
  export function splitTags(text: string): string[] {
    return text
      .split(',')
      .map(tag => tag.trim())
      .filter(tag => tag !== '');
  }

  /** The integer `text` spells, or null. */
  export function integer(text: string): number | null {
    const t = text.trim();
    return /^[+-]?\d+$/.test(t) ? Number(t) : null;
  }

  /** True when `text` is a whole number of at least `min`. */
  export function atLeast(text: string, min: number): boolean {
    const value = integer(text);
    return value !== null && value >= min;
  }

  /** The GPUs selected at first, from the `defaultGpus` setting. */
  export function defaultGpus(setting: string, gpus: IGpuInfo[]): number[] {
    const text = setting.trim().toLowerCase();
    if (text === '' || text === 'all') {
      return gpus.map(g => g.index);
    }
    if (text === 'none') {
      return [];
    }
    const wanted = new Set(
      text
        .split(',')
        .map(part => integer(part))
        .filter(i => i !== null)
    );
    return gpus.map(g => g.index).filter(i => wanted.has(i));
  }
}
