/**
 * The header of a run view: the run's status, notebook, label and id, its error, and its
 * fields (tags, flags, GPUs, kernel, timings, git commit, source digest, host, ...).
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import type { PartialJSONValue } from '@lumino/coreutils';
import { Widget } from '@lumino/widgets';
import { formatDateTime, formatDuration, shortId } from '../format';
import { statusElement, statusLabel } from '../status-icons';
import type { RunViewModel } from './model';
import type { RunMeta } from '../../kernel/src/contract/run';

/** The header of a run view. */
export class RunHeader extends Widget {
  constructor(options: RunHeader.IOptions) {
    super();
    this._model = options.model;
    this._trans = options.trans;
    this.addClass('nbx-RunView-header');
  }

  /** Shows the model's record (or why there is none yet). */
  render(): void {
    const trans = this._trans;
    const node = this.node;
    node.replaceChildren();
    const record = this._model.record;
    if (!record) {
      const error = this._model.recordError;
      const message = document.createElement('div');
      message.className = error ? 'nbx-RunView-error' : 'nbx-RunView-message';
      message.textContent = error ?? trans.__('Loading run %1…', this._model.runId);
      node.appendChild(message);
      return;
    }
    const status = record.status;
    node.dataset.status = status;

    const title = document.createElement('div');
    title.className = 'nbx-RunView-title';
    const badge = document.createElement('span');
    badge.className = `nbx-RunView-status nbx-mod-${status}`;
    badge.append(statusElement(trans, status), statusLabel(trans, status));
    const name = document.createElement('span');
    name.className = 'nbx-RunView-notebookName';
    name.textContent = record.notebookName;
    name.title = record.notebook;
    title.append(badge, name);
    if (record.label) {
      const label = document.createElement('span');
      label.className = 'nbx-RunView-label';
      label.textContent = record.label;
      title.appendChild(label);
    }
    if (this._model.which === 'snapshot') {
      const which = document.createElement('span');
      which.className = 'nbx-RunView-which';
      which.textContent = trans.__('snapshot as launched');
      title.appendChild(which);
    }
    const id = document.createElement('code');
    id.className = 'nbx-RunView-id';
    id.textContent = record.id;
    title.appendChild(id);
    node.appendChild(title);

    if (record.error && status !== 'completed') {
      const error = document.createElement('div');
      error.className = 'nbx-RunView-error';
      error.textContent = record.error;
      node.appendChild(error);
    }

    const fields = document.createElement('dl');
    fields.className = 'nbx-RunView-fields';
    const add = (term: string, value: string | Node | null, className = ''): void => {
      if (value === null || value === '') {
        return;
      }
      const field = document.createElement('div');
      field.className = className ? `nbx-RunView-field ${className}` : 'nbx-RunView-field';
      const dt = document.createElement('dt');
      dt.textContent = term;
      const dd = document.createElement('dd');
      dd.append(value);
      field.append(dt, dd);
      fields.appendChild(field);
    };
    add(trans.__('Tags'), Private.chips(record.tags.map(tag => ({ text: tag }))), 'nbx-mod-wide');
    add(
      trans.__('Flags'),
      Private.flagChips(record.flags, record.flagDefaults, trans),
      'nbx-mod-wide'
    );
    add(trans.__('GPUs'), Private.gpus(record.gpus, trans));
    add(trans.__('Kernel'), Private.kernel(record, trans));
    add(trans.__('Created'), formatDateTime(record.created));
    add(trans.__('Started'), formatDateTime(record.started));
    add(trans.__('Stopped'), formatDateTime(record.stopped));
    this._duration.textContent = this._durationText();
    add(trans.__('Duration'), this._duration.textContent ? this._duration : null);
    if (record.progress && record.progress.cells > 0) {
      add(
        trans.__('Progress'),
        trans.__('%1 of %2 code cells', record.progress.done, record.progress.cells)
      );
    }
    if (record.git) {
      const commit = document.createElement('code');
      commit.textContent = record.git.commit.slice(0, 12);
      commit.title = record.git.commit;
      const git = document.createElement('span');
      git.append(commit);
      if (record.git.branch) {
        git.append(` (${record.git.branch})`);
      }
      if (record.git.dirty) {
        git.append(` ${trans.__('with uncommitted changes')}`);
      }
      add(trans.__('Git commit'), git);
    }
    if (record.sourceDigest) {
      const digest = document.createElement('code');
      digest.textContent = record.sourceDigest.slice(0, 16);
      digest.title = record.sourceDigest;
      add(trans.__('Source digest'), digest);
    }
    add(trans.__('Host'), record.user ? `${record.user}@${record.host}` : record.host);
    for (const [term, value] of Private.slurmFields(record, trans)) {
      add(term, value);
    }
    if (record.exitCode !== null && record.exitCode !== undefined) {
      add(trans.__('Exit code'), String(record.exitCode));
    }
    if (record.parent) {
      add(trans.__('Batch'), shortId(record.parent));
    }
    if (record.trials && record.trials.length) {
      add(trans.__('Trials'), String(record.trials.length));
    }
    add(trans.__('Notebook path'), record.notebook, 'nbx-mod-wide nbx-RunView-path');
    node.appendChild(fields);
  }

  /** Updates the duration of a running run. */
  tick(): void {
    this._duration.textContent = this._durationText();
  }

  private _durationText(): string {
    return formatDuration(this._model.duration());
  }

  private readonly _model: RunViewModel;
  private readonly _trans: TranslationBundle;
  private readonly _duration = document.createElement('span');
}

/** The statics of `RunHeader`. */
export namespace RunHeader {
  export interface IOptions {
    model: RunViewModel;
    trans: TranslationBundle;
  }
}

namespace Private {
  /** Slurm job, partition, node, and the queue position of a pending job. */
  /** `TypeScript, started warm`: the kernel, and whether a warm one ran the run. */
  export function kernel(record: RunMeta, trans: TranslationBundle): string {
    const name = record.kernel?.displayName ?? record.kernel?.name ?? '';
    if (name === '' || record.kernelWarm === undefined) {
      return name;
    }
    return record.kernelWarm
      ? trans.__('%1, started warm', name)
      : trans.__('%1, started cold', name);
  }

  export function slurmFields(record: RunMeta, trans: TranslationBundle): [string, string][] {
    const job = record.slurm;
    if (!job) {
      return [];
    }
    const fields: [string, string][] = [
      [trans.__('Slurm job'), job.state ? trans.__('%1 (%2)', job.jobId, job.state) : job.jobId],
      [trans.__('Partition'), job.partition],
      [trans.__('Node'), job.node]
    ];
    if (record.status === 'queued' && job.queue) {
      fields.push([
        trans.__('Queue'),
        job.queue.reason
          ? trans.__('#%1 (%2)', job.queue.position, job.queue.reason)
          : trans.__('#%1', job.queue.position)
      ]);
    }
    return fields;
  }

  /** A row of chips. */
  export function chips(items: { text: string; title?: string; changed?: boolean }[]): Node | null {
    if (items.length === 0) {
      return null;
    }
    const node = document.createElement('span');
    node.className = 'nbx-RunView-chips';
    for (const item of items) {
      const chip = document.createElement('span');
      chip.className = item.changed ? 'nbx-RunView-chip nbx-mod-changed' : 'nbx-RunView-chip';
      chip.textContent = item.text;
      if (item.title) {
        chip.title = item.title;
      }
      node.appendChild(chip);
    }
    return node;
  }

  /** The flags as `name=value` chips; values that differ from the notebook's are marked. */
  export function flagChips(
    flags: { [name: string]: PartialJSONValue },
    defaults: { [name: string]: PartialJSONValue },
    trans: TranslationBundle
  ): Node | null {
    return chips(
      Object.keys(flags).map(name => {
        const value = JSON.stringify(flags[name]);
        const initial = Object.prototype.hasOwnProperty.call(defaults ?? {}, name)
          ? JSON.stringify(defaults[name])
          : undefined;
        const changed = initial !== undefined && initial !== value;
        return {
          text: `${name}=${typeof flags[name] === 'string' ? String(flags[name]) : value}`,
          title: changed ? trans.__('changed from %1', initial ?? '') : undefined,
          changed
        };
      })
    );
  }

  /** The GPUs a run was given. */
  export function gpus(value: string | null, trans: TranslationBundle): string {
    if (value === null) {
      return trans.__('all visible (CUDA_VISIBLE_DEVICES not set)');
    }
    return value === '' ? trans.__('none (CPU only)') : value;
  }
}
