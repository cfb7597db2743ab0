/**
 * The body of the "Run as Experiment" dialog: one row per flag with its value, the live
 * number of trials, batch options, kernel, GPUs, label and tags, and every error inline
 * under its field. The state is a `RunDialogModel`; this widget only shows and edits it.
 *
 * The Run button is the dialog's accept button: JupyterLab's `Dialog` disables it (and
 * refuses Enter) while its node holds an element with `jp-mod-error`, re-checked on every
 * `input` event. The body marks itself so while the model cannot run, and dispatches an
 * `input` event when that changes after an asynchronous check.
 */
import type { Dialog } from '@jupyterlab/apputils';
import { nullTranslator, type ITranslator, type TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';
import type { IGpuInfo } from '../../kernel/src/contract/flags';
import type { OptionField, RunDialogModel } from './model';
import { valueText } from './model';
import { SLURM_FIELDS, type RunOn, type SlurmField } from './placement';

/** The class of the dialog's body. */
const DIALOG_CLASS = 'nbx-RunDialog';

/** The body widget of the "Run as Experiment" dialog. */
export class RunDialogBody extends Widget implements Dialog.IBodyWidget<RunDialogModel> {
  constructor(options: RunDialogBody.IOptions) {
    super();
    this.addClass(DIALOG_CLASS);
    this._model = options.model;
    this._trans = (options.translator ?? nullTranslator).load('nbx');
    this._build();
    this._model.changed.connect(this._update, this);
    this._update();
  }

  /** The model, read by the command once the dialog is accepted. */
  getValue(): RunDialogModel {
    return this._model;
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._model.changed.disconnect(this._update, this);
    super.dispose();
  }

  protected onAfterAttach(): void {
    // Lets the dialog's box grow past JupyterLab's 500px (style/dialog.css).
    this.node.closest('.jp-Dialog-content')?.classList.add('nbx-mod-runDialog');
    this._notifyDialog();
  }

  private _build(): void {
    const trans = this._trans;
    const model = this._model;
    const node = this.node;

    this._submitError = Private.div('nbx-RunDialog-submitError');
    this._submitError.setAttribute('role', 'alert');
    node.appendChild(this._submitError);

    const source = Private.div('nbx-RunDialog-source');
    const path = document.createElement('code');
    path.textContent = model.target.path;
    source.append(
      path,
      ' ',
      model.target.content !== null
        ? trans.__('(the content in the editor, unsaved edits included)')
        : trans.__('(as saved on disk)')
    );
    node.appendChild(source);

    // Flags.
    const flags = Private.section(trans.__('Flags'));
    if (model.flags.length === 0) {
      flags.appendChild(
        Private.div(
          'nbx-RunDialog-empty',
          trans.__(
            'This notebook has no flags: tag a cell "parameters" to make its assignments flags.'
          )
        )
      );
    } else {
      const hint = Private.div(
        'nbx-RunDialog-hint',
        trans.__(
          'A list of values [a, b] or a distribution uniform[low:high] runs a sweep of trials.'
        )
      );
      flags.appendChild(hint);
      const grid = Private.div('nbx-RunDialog-grid');
      for (const def of model.flags) {
        const input = Private.input(`flag-${def.name}`, 'text');
        input.classList.add('nbx-mod-code');
        input.value = model.value(def.name);
        input.spellcheck = false;
        input.addEventListener('input', () => model.setValue(def.name, input.value));
        const details = [
          def.description ?? '',
          trans.__('default %1', valueText(def.default))
        ].filter(part => part !== '');
        const field = this._field(`flag:${def.name}`, input, details.join(' · '));
        const label = Private.label(input, def.name, def.type);
        label.title = def.description ?? def.name;
        field.row.dataset.flag = def.name;
        grid.append(label, field.row);
      }
      flags.appendChild(grid);
    }
    this._trials = Private.div('nbx-RunDialog-trials');
    this._trials.setAttribute('aria-live', 'polite');
    flags.appendChild(this._trials);
    this._trialsError = Private.div('nbx-RunDialog-fieldError');
    this._trialsError.setAttribute('role', 'alert');
    flags.appendChild(this._trialsError);
    node.appendChild(flags);

    // Batch options, shown for sweeps.
    this._batch = Private.section(trans.__('Sweep'));
    const batchRow = Private.div('nbx-RunDialog-options');
    const numbers: [OptionField, string, string, (text: string) => void, () => string][] = [
      [
        'parallel',
        trans.__('Parallel'),
        trans.__('Trials run at once'),
        t => model.setParallel(t),
        () => model.parallel
      ],
      [
        'maxTrials',
        trans.__('Max trials'),
        trans.__('Trials of a random search; samples a larger grid'),
        t => model.setMaxTrials(t),
        () => model.maxTrials
      ],
      [
        'seed',
        trans.__('Seed'),
        trans.__('Makes random choices reproducible (empty: a new seed)'),
        t => model.setSeed(t),
        () => model.seed
      ]
    ];
    if (model.gpus.length > 0) {
      numbers.push([
        'gpusPerTrial',
        trans.__('GPUs per trial'),
        trans.__('GPUs each trial gets from the ones selected (default 1)'),
        t => model.setGpusPerTrial(t),
        () => model.gpusPerTrial
      ]);
    }
    for (const [field, title, help, set, get] of numbers) {
      const input = Private.input(field, 'number');
      input.min = field === 'seed' ? '0' : '1';
      input.step = '1';
      input.value = get();
      input.title = help;
      input.addEventListener('input', () => set(input.value));
      const option = Private.div('nbx-RunDialog-option');
      const label = Private.label(input, title);
      label.title = help;
      option.append(label, this._field(field, input).row);
      batchRow.appendChild(option);
    }
    // The objective ranks the trials (the batch view marks the best one).
    const objectiveHelp = trans.__(
      "The scalar that ranks trials: '#loss' lowest best, '-#acc' highest best (empty: none)"
    );
    const objective = Private.input('objective', 'text');
    objective.placeholder = trans.__('#loss');
    objective.spellcheck = false;
    objective.value = model.objective;
    objective.title = objectiveHelp;
    objective.addEventListener('input', () => model.setObjective(objective.value));
    const objectiveOption = Private.div('nbx-RunDialog-option');
    const objectiveLabel = Private.label(objective, trans.__('Objective'));
    objectiveLabel.title = objectiveHelp;
    objectiveOption.append(objectiveLabel, this._field('objective', objective).row);
    batchRow.appendChild(objectiveOption);
    this._batch.appendChild(batchRow);
    node.appendChild(this._batch);

    // Kernel, GPUs, label, tags.
    const run = Private.section(trans.__('Run'));
    const runGrid = Private.div('nbx-RunDialog-grid');
    const kernel = document.createElement('select');
    kernel.name = 'kernel';
    kernel.className = 'jp-mod-styled nbx-RunDialog-select';
    const names = new Set(model.kernels.map(k => k.name));
    if (model.kernel === '') {
      kernel.appendChild(Private.option('', trans.__('Choose a kernel…')));
    } else if (!names.has(model.kernel)) {
      kernel.appendChild(
        Private.option(model.kernel, trans.__('%1 (not installed)', model.kernel))
      );
    }
    for (const k of model.kernels) {
      const text =
        k.name === model.notebookKernel
          ? trans.__("%1 (the notebook's)", k.displayName)
          : k.displayName;
      kernel.appendChild(Private.option(k.name, text));
    }
    kernel.value = model.kernel;
    kernel.addEventListener('change', () => model.setKernel(kernel.value));
    runGrid.append(Private.label(kernel, trans.__('Kernel')), this._field('kernel', kernel).row);

    const runOn = document.createElement('select');
    runOn.name = 'runOn';
    runOn.className = 'jp-mod-styled nbx-RunDialog-select';
    runOn.append(
      Private.option('local', trans.__('this machine')),
      Private.option('slurm', trans.__('Slurm'))
    );
    runOn.value = model.runOn;
    runOn.addEventListener('change', () => model.setRunOn(runOn.value as RunOn));
    runGrid.append(Private.label(runOn, trans.__('Run on')), this._field('runOn', runOn).row);

    const gpus = Private.div('nbx-RunDialog-gpus');
    gpus.setAttribute('role', 'group');
    gpus.setAttribute('aria-label', trans.__('GPUs'));
    if (model.gpus.length === 0) {
      gpus.appendChild(
        Private.div(
          'nbx-RunDialog-cpuOnly',
          trans.__('CPU only (no GPUs found: %1)', model.gpuReason ?? trans.__('none listed'))
        )
      );
    } else {
      for (const gpu of model.gpus) {
        gpus.appendChild(this._gpuCheckbox(gpu));
      }
    }
    const gpusLabel = Private.div('nbx-RunDialog-label', trans.__('GPUs'));
    runGrid.append(gpusLabel, this._field('gpus', gpus).row);

    const label = Private.input('label', 'text');
    label.placeholder = trans.__('default: the changed flags; ${flag} inserts a value');
    label.title = trans.__(
      'A label for the run; ${flag} inserts the value of a flag. Default: the flags that differ from the notebook, e.g. lr=0.1'
    );
    label.addEventListener('input', () => model.setLabel(label.value));
    label.value = model.label;
    runGrid.append(Private.label(label, trans.__('Label')), this._field('label', label).row);

    const tags = Private.input('tags', 'text');
    tags.placeholder = trans.__('comma-separated, e.g. baseline, small');
    tags.addEventListener('input', () => model.setTags(tags.value));
    tags.value = model.tags;
    runGrid.append(Private.label(tags, trans.__('Tags')), this._field('tags', tags).row);
    run.appendChild(runGrid);
    node.appendChild(run);
    this._slurmSection = this._buildSlurm();
    node.appendChild(this._slurmSection);
  }

  /** The Slurm options, shown when the run goes to Slurm. */
  private _buildSlurm(): HTMLElement {
    const trans = this._trans;
    const model = this._model;
    const section = Private.section(trans.__('Slurm'));
    const grid = Private.div('nbx-RunDialog-grid');
    const fields: [SlurmField, string, string, string][] = [
      ['partition', trans.__('Partition'), trans.__("the cluster's default"), 'text'],
      ['time', trans.__('Time limit'), trans.__('minutes, or HH:MM:SS'), 'text'],
      ['slurmGpus', trans.__('GPUs'), trans.__('per run (per trial of a sweep)'), 'number'],
      ['cpus', trans.__('CPUs'), trans.__("the cluster's default"), 'number'],
      ['mem', trans.__('Memory'), trans.__('e.g. 4G'), 'text']
    ];
    for (const [field, title, placeholder, type] of fields) {
      const input = Private.input(field, type === 'number' ? 'number' : 'text');
      if (type === 'number') {
        input.min = '0';
        input.step = '1';
      }
      input.placeholder = placeholder;
      input.value = model.slurmValue(field);
      input.addEventListener('input', () => model.setSlurmValue(field, input.value));
      grid.append(Private.label(input, title), this._field(field, input).row);
    }
    section.appendChild(grid);
    return section;
  }

  /** A GPU's checkbox with its name, memory and utilisation. */
  private _gpuCheckbox(gpu: IGpuInfo): HTMLElement {
    const trans = this._trans;
    const label = document.createElement('label');
    label.className = 'nbx-RunDialog-gpu';
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.name = `gpu-${gpu.index}`;
    box.checked = this._model.isGpuSelected(gpu.index);
    box.addEventListener('change', () => this._model.setGpuSelected(gpu.index, box.checked));
    const name = Private.span('nbx-RunDialog-gpuName', `${gpu.index}: ${gpu.name}`);
    const usage: string[] = [];
    if (gpu.memoryTotalMiB !== null) {
      usage.push(
        trans.__(
          '%1 of %2 GiB used',
          Private.gib(gpu.memoryUsedMiB ?? 0),
          Private.gib(gpu.memoryTotalMiB)
        )
      );
    }
    if (gpu.utilizationPct !== null) {
      usage.push(trans.__('%1% busy', gpu.utilizationPct));
    }
    const stats = Private.span('nbx-RunDialog-gpuStats', usage.join(', '));
    label.append(box, name, stats);
    return label;
  }

  /** A field: the control, its help text and its error line; registered by `key`. */
  private _field(
    key: string,
    control: HTMLElement,
    help = ''
  ): { row: HTMLElement; error: HTMLElement } {
    const row = Private.div('nbx-RunDialog-field');
    row.dataset.field = key;
    row.appendChild(control);
    if (help !== '') {
      row.appendChild(Private.div('nbx-RunDialog-help', help));
    }
    const error = Private.div('nbx-RunDialog-fieldError');
    error.id = `${this.id || 'nbx-run-dialog'}-${key.replace(/[^\w-]/g, '-')}-error`;
    error.setAttribute('role', 'alert');
    row.appendChild(error);
    this._errors.set(key, { row, error, control });
    return { row, error };
  }

  /** Shows the model's state: errors, the number of trials, what is shown for sweeps. */
  private _update(): void {
    const model = this._model;
    const trans = this._trans;
    for (const [key, { row, error, control }] of this._errors) {
      const message = key.startsWith('flag:')
        ? model.flagError(key.slice('flag:'.length))
        : Private.isOption(key)
          ? model.optionError(key)
          : null;
      error.textContent = message ?? '';
      row.classList.toggle('jp-mod-error', message !== null);
      control.setAttribute('aria-invalid', message === null ? 'false' : 'true');
      if (message !== null) {
        control.setAttribute('aria-describedby', error.id);
      } else {
        control.removeAttribute('aria-describedby');
      }
    }
    this._trials.textContent = this._trialsText();
    this._trials.classList.toggle('nbx-mod-pending', model.pending);
    const batchError = model.pending ? null : model.previewError;
    this._trialsError.textContent = batchError ?? '';
    this._trialsError.classList.toggle('jp-mod-error', batchError !== null);
    this._batch.classList.toggle('nbx-mod-hidden', !(model.isSweep || model.trialCount > 1));
    for (const [key, { row }] of this._errors) {
      if (key === 'maxTrials' || key === 'seed') {
        row.closest('.nbx-RunDialog-option')?.classList.toggle('nbx-mod-hidden', !model.isSweep);
      }
    }
    const onSlurm = model.runOn === 'slurm';
    this._slurmSection.classList.toggle('nbx-mod-hidden', !onSlurm);
    for (const key of ['gpus', 'gpusPerTrial']) {
      const row = this._errors.get(key)?.row;
      const item = key === 'gpus' ? row : row?.closest('.nbx-RunDialog-option');
      item?.classList.toggle('nbx-mod-hidden', onSlurm);
      if (key === 'gpus') {
        row?.previousElementSibling?.classList.toggle('nbx-mod-hidden', onSlurm);
      }
    }
    this._submitError.textContent = model.submitError
      ? trans.__('Could not start: %1', model.submitError)
      : '';
    this._submitError.classList.toggle('nbx-mod-hidden', !model.submitError);
    const blocked = !model.canRun;
    if (blocked !== this.hasClass('jp-mod-error')) {
      this.toggleClass('jp-mod-error', blocked);
      this._notifyDialog();
    }
  }

  /** The "N trials" line. */
  private _trialsText(): string {
    const model = this._model;
    const trans = this._trans;
    if (model.pending) {
      return trans.__('Checking the values…');
    }
    const preview = model.preview;
    if (preview === null || preview.kind === 'single') {
      return trans.__('1 run');
    }
    if (preview.kind === null) {
      return trans.__('No trials');
    }
    const count = preview.count;
    if (preview.kind === 'random') {
      return trans._n('%1 trial (random search)', '%1 trials (random search)', count);
    }
    if (preview.gridSize !== null && preview.gridSize > count) {
      return trans._n(
        '%1 trial sampled from a grid of %2',
        '%1 trials sampled from a grid of %2',
        count,
        preview.gridSize
      );
    }
    return trans._n('%1 trial (grid)', '%1 trials (grid)', count);
  }

  /** Lets the dialog re-check its validation (it does so on `input` events). */
  private _notifyDialog(): void {
    if (this.isAttached) {
      this.node.dispatchEvent(new Event('input', { bubbles: true }));
    }
  }

  private readonly _model: RunDialogModel;
  private readonly _trans: TranslationBundle;
  private _errors = new Map<
    string,
    { row: HTMLElement; error: HTMLElement; control: HTMLElement }
  >();
  private _submitError!: HTMLElement;
  private _trials!: HTMLElement;
  private _trialsError!: HTMLElement;
  private _batch!: HTMLElement;
  private _slurmSection!: HTMLElement;
}

export namespace RunDialogBody {
  /** Options of `RunDialogBody`. */
  export interface IOptions {
    model: RunDialogModel;
    translator?: ITranslator;
  }
}

namespace Private {
  const OPTION_FIELDS: readonly string[] = [
    'kernel',
    'gpus',
    'tags',
    'parallel',
    'maxTrials',
    'seed',
    'gpusPerTrial',
    'objective',
    ...SLURM_FIELDS
  ];

  export function isOption(key: string): key is OptionField {
    return OPTION_FIELDS.includes(key);
  }

  let lastId = 0;

  export function div(className: string, text?: string): HTMLDivElement {
    const node = document.createElement('div');
    node.className = className;
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  export function span(className: string, text: string): HTMLSpanElement {
    const node = document.createElement('span');
    node.className = className;
    node.textContent = text;
    return node;
  }

  /** A titled part of the dialog. */
  export function section(title: string): HTMLFieldSetElement {
    const node = document.createElement('fieldset');
    node.className = 'nbx-RunDialog-section';
    const legend = document.createElement('legend');
    legend.className = 'nbx-RunDialog-legend';
    legend.textContent = title;
    node.appendChild(legend);
    return node;
  }

  export function input(name: string, type: 'text' | 'number'): HTMLInputElement {
    const node = document.createElement('input');
    node.type = type;
    node.name = name;
    node.id = `nbx-run-dialog-${++lastId}`;
    node.className = 'jp-mod-styled nbx-RunDialog-input';
    node.autocomplete = 'off';
    return node;
  }

  /** The label of a control, with a type badge for flags. */
  export function label(control: HTMLElement, text: string, type?: string): HTMLLabelElement {
    const node = document.createElement('label');
    node.className = 'nbx-RunDialog-label';
    if (!control.id) {
      control.id = `nbx-run-dialog-${++lastId}`;
    }
    node.htmlFor = control.id;
    node.appendChild(span(type === undefined ? 'nbx-RunDialog-title' : 'nbx-RunDialog-name', text));
    if (type !== undefined) {
      node.appendChild(span('nbx-RunDialog-type', type));
    }
    return node;
  }

  export function option(value: string, text: string): HTMLOptionElement {
    const node = document.createElement('option');
    node.value = value;
    node.textContent = text;
    return node;
  }

  /** MiB as GiB with one decimal. */
  export function gib(mib: number): string {
    return (mib / 1024).toFixed(1);
  }
}
