/**
 * A sweep in its batch's run view: its settings (how trials are made, the objective,
 * trials at once, how many), its progress, and the trial table (trials × the flags they
 * vary × the objective), the best trial marked by the objective. A trial's id opens its
 * own run view.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';
import { formatFlagValue, formatNumber, shortId } from '../format';
import { statusElement } from '../status-icons';
import type { ISweepStatus } from '../../kernel/src/contract/service';

/** The trial table of a sweep. */
export class SweepTrials extends Widget {
  constructor(options: SweepTrials.IOptions) {
    super();
    this._trans = options.trans;
    this._openRun = options.openRun;
    this.addClass('nbx-SweepTrials');
    this.title.label = this._trans.__('Trials');
  }

  /** Shows `sweep` (null: not known yet). Redraws only when it changed. */
  render(sweep: ISweepStatus | null): void {
    const signature = JSON.stringify(sweep);
    if (signature === this._shown) {
      return;
    }
    this._shown = signature;
    const trans = this._trans;
    const node = this.node;
    node.replaceChildren();
    if (sweep === null) {
      node.appendChild(
        Private.element('div', 'nbx-RunView-message', trans.__('Loading the trials…'))
      );
      return;
    }
    this.title.label = trans.__('Trials (%1)', sweep.total);
    node.append(this._settings(sweep), this._table(sweep));
  }

  /** The settings and progress line. */
  private _settings(sweep: ISweepStatus): HTMLElement {
    const trans = this._trans;
    const list = Private.element('dl', 'nbx-SweepTrials-settings');
    const add = (name: string, value: string, className = ''): void => {
      list.append(Private.element('dt', '', name), Private.element('dd', className, value));
    };
    const settings = sweep.settings;
    if (settings) {
      const kinds: Record<string, string> = {
        grid: trans.__('grid'),
        random: trans.__('random search'),
        file: trans.__('batch file')
      };
      add(trans.__('Search'), kinds[settings.kind] ?? settings.kind);
    }
    add(
      trans.__('Objective'),
      sweep.objective
        ? sweep.objective.descending
          ? trans.__('%1 (highest best)', sweep.objective.text)
          : trans.__('%1 (lowest best)', sweep.objective.text)
        : trans.__('none'),
      'nbx-SweepTrials-objective'
    );
    if (settings) {
      add(trans.__('Parallel'), String(settings.parallel));
    }
    add(trans.__('Max trials'), String(sweep.total));
    if (settings?.seed !== null && settings?.seed !== undefined) {
      add(trans.__('Seed'), String(settings.seed));
    }
    add(
      trans.__('Progress'),
      trans.__(
        '%1 of %2 done (%3 completed, %4 failed, %5 stopped), %6 running, %7 waiting',
        sweep.done,
        sweep.total,
        sweep.counts.completed,
        sweep.counts.error,
        sweep.counts.terminated,
        sweep.counts.running,
        sweep.counts.queued + sweep.counts.staged
      ),
      'nbx-SweepTrials-progress'
    );
    if (sweep.best && sweep.objective) {
      const best = sweep.trials.find(trial => trial.id === sweep.best?.id);
      add(
        trans.__('Best'),
        trans.__(
          'trial #%1 (%2): %3 = %4',
          best?.index ?? 0,
          shortId(sweep.best.id),
          sweep.objective.text,
          formatNumber(sweep.best.value)
        ),
        'nbx-SweepTrials-best'
      );
    }
    return list;
  }

  /** The trial table: one row per trial. */
  private _table(sweep: ISweepStatus): HTMLElement {
    const trans = this._trans;
    const table = document.createElement('table');
    table.className = 'nbx-SweepTrials-table';
    const head = table.createTHead().insertRow();
    const objective = sweep.objective ? sweep.objective.text : trans.__('Objective');
    for (const title of [
      '#',
      trans.__('Status'),
      trans.__('Run'),
      ...sweep.flagNames.map(name => `=${name}`),
      objective
    ]) {
      const th = document.createElement('th');
      th.scope = 'col';
      th.textContent = title;
      head.appendChild(th);
    }
    const body = table.createTBody();
    for (const trial of sweep.trials) {
      const row = body.insertRow();
      row.dataset.id = trial.id;
      const best = sweep.best?.id === trial.id;
      row.classList.toggle('nbx-mod-best', best);
      const index = document.createElement('th');
      index.scope = 'row';
      index.textContent = best ? `★ ${trial.index}` : String(trial.index);
      if (best) {
        index.title = trans.__('Best trial by %1', sweep.objective?.text ?? '');
        row.setAttribute('aria-label', trans.__('Trial %1, the best', trial.index));
      }
      row.appendChild(index);
      const status = row.insertCell();
      status.appendChild(statusElement(trans, trial.status));
      if (trial.error) {
        status.title = trial.error;
      }
      const run = row.insertCell();
      const open = Private.element(
        'button',
        'jp-Button jp-mod-minimal nbx-SweepTrials-open',
        shortId(trial.id)
      );
      (open as HTMLButtonElement).type = 'button';
      open.title = trans.__('Open run %1', trial.id);
      open.addEventListener('click', () => this._openRun(trial.id));
      run.appendChild(open);
      for (const name of sweep.flagNames) {
        const cell = row.insertCell();
        cell.textContent = formatFlagValue(trial.flags[name]);
      }
      const value = row.insertCell();
      value.className = 'nbx-SweepTrials-value';
      value.textContent = formatNumber(trial.value);
    }
    return table;
  }

  private _trans: TranslationBundle;
  private _openRun: (id: string) => void;
  private _shown = '';
}

/** The statics of `SweepTrials`. */
export namespace SweepTrials {
  export interface IOptions {
    trans: TranslationBundle;
    /** Opens a trial's run view. */
    openRun: (id: string) => void;
  }
}

namespace Private {
  /** An element with a class and text. */
  export function element(tag: string, className: string, text = ''): HTMLElement {
    const node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    node.textContent = text;
    return node;
  }
}
