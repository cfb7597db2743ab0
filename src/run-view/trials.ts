/**
 * A sweep in its batch's run view: its settings (how trials are made, the objective,
 * trials at once, how many), its progress, and its trials in the Compare grid (the
 * Compare panel over the trial ids, src/compare/: every flag and metric, sortable,
 * filterable), sorted by the objective with the best trial's row marked (★), and the
 * parallel-coordinates chart coloured by the objective. A double-click on a trial opens
 * its own run view. The Compare code and Arrow load with the first sweep shown.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { Panel, Widget } from '@lumino/widgets';
import { formatNumber, shortId } from '../format';
import type { INbxService } from '../tokens';
import type { ComparePanel } from '../compare/widget';
import type { ISweepStatus } from '../../kernel/src/contract/service';

/** The trials of a sweep. */
export class SweepTrials extends Panel {
  constructor(options: SweepTrials.IOptions) {
    super();
    this._trans = options.trans;
    this._service = options.service;
    this._openRun = options.openRun;
    this.addClass('nbx-SweepTrials');
    this.title.label = this._trans.__('Trials');
    this._summary = new Widget();
    this._summary.addClass('nbx-SweepTrials-summary');
    this.addWidget(this._summary);
  }

  /** The Compare panel over the trials, once loaded. */
  get compare(): ComparePanel | null {
    return this._compare;
  }

  /** Shows `sweep` (null: not known yet). Redraws only when it changed. */
  render(sweep: ISweepStatus | null): void {
    const signature = JSON.stringify(sweep);
    if (signature === this._shown) {
      return;
    }
    this._shown = signature;
    const trans = this._trans;
    const node = this._summary.node;
    if (sweep === null) {
      node.replaceChildren(
        Private.element('div', 'nbx-RunView-message', trans.__('Loading the trials…'))
      );
      return;
    }
    this.title.label = trans.__('Trials (%1)', sweep.total);
    node.replaceChildren(this._settings(sweep));
    void this._showTrials(sweep);
  }

  /**
   * The trials in the Compare grid: a new comparison when the trial ids changed, else the
   * same one fetched again (values and statuses move while the sweep runs).
   */
  private async _showTrials(sweep: ISweepStatus): Promise<void> {
    const ids = sweep.trials.map(trial => trial.id);
    const key = ids.join(',');
    const best = sweep.best?.id ?? null;
    if (this._compare !== null && key === this._ids) {
      this._compare.session.marked = best;
      await this._compare.session.load();
      return;
    }
    this._ids = key;
    const [{ CompareSession }, { ComparePanel }] = await Promise.all([
      import('../compare/session'),
      import('../compare/widget')
    ]);
    if (this.isDisposed || key !== this._ids) {
      return;
    }
    const objective = sweep.objective;
    const column = objective ? `#${objective.key}` : null;
    const direction = objective?.descending ? 'descending' : 'ascending';
    const session = new CompareSession({
      service: this._service,
      ids,
      marked: best,
      directions: column ? { [column]: direction } : {},
      sort: column ? [{ column, direction }] : []
    });
    this._compare?.dispose();
    this._compare = new ComparePanel({
      session,
      trans: this._trans,
      id: `nbx-sweep-trials-${sweep.id}`,
      label: this._trans.__('Trials of %1', shortId(sweep.id)),
      showCharts: true,
      chartMetric: column,
      openRun: this._openRun
    });
    this._compare.addClass('nbx-SweepTrials-compare');
    this.addWidget(this._compare);
    await session.load();
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

  private readonly _trans: TranslationBundle;
  private readonly _service: INbxService;
  private readonly _openRun: (id: string) => void;
  private readonly _summary: Widget;
  private _compare: ComparePanel | null = null;
  private _ids = '';
  private _shown = '';
}

/** The statics of `SweepTrials`. */
export namespace SweepTrials {
  export interface IOptions {
    trans: TranslationBundle;
    /** The service the trials are fetched from. */
    service: INbxService;
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
