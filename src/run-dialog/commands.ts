/**
 * "Run as Experiment…" (`nbx:run-experiment`): reads the notebook's flags from the
 * service, opens the dialog, and starts the run(s) with the content in the editor, unsaved
 * edits included (from the file browser or with `path`: the file on disk).
 */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import { Dialog, Notification, showDialog } from '@jupyterlab/apputils';
import { PathExt } from '@jupyterlab/coreutils';
import type { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import type { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import type { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import { LabIcon } from '@jupyterlab/ui-components';
import type { JSONObject } from '@lumino/coreutils';
import type { IGpuQuery, IKernelInfo } from '../../kernel/src/contract/flags';
import type {
  IFlagsResult,
  INotebookParams,
  IStartRunResult
} from '../../kernel/src/contract/service';
import { CommandIDs, type IRunExperimentArgs } from '../commands';
import { errorMessage } from '../errors';
import type { INbxService } from '../tokens';
import type { IRunTarget, RunDialogModel } from './model';

/** A flask: what "Run as Experiment" shows in the toolbar and menus. */
export const experimentIcon = new LabIcon({
  name: 'nbx:experiment',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">' +
    '<path class="jp-icon3" fill="#616161" d="M8.5 2.5h7v2h-1.2v4.3l5.5 9.4a1.9 1.9 0 0 1-1.6 ' +
    '2.8H5.8a1.9 1.9 0 0 1-1.6-2.8l5.5-9.4V4.5H8.5zm3.2 2v4.8L9.4 13.2h5.2l-2.3-3.9V4.5z"/>' +
    '</svg>'
});

/** What the command needs. */
export interface IRunExperimentOptions {
  service: INbxService;
  tracker: INotebookTracker;
  browser: IDefaultFileBrowser | null;
  translator: ITranslator | null;
  trans: TranslationBundle;
}

/** Adds `nbx:run-experiment`, enabled when there is a notebook to run. */
export function addRunExperimentCommand(
  app: JupyterFrontEnd,
  options: IRunExperimentOptions
): void {
  const { service, tracker, browser, translator, trans } = options;

  /** The current notebook, when it is the current widget of the shell. */
  const currentNotebook = (): NotebookPanel | null => {
    const panel = tracker.currentWidget;
    return panel !== null && panel === app.shell.currentWidget ? panel : null;
  };

  /** The notebook selected in the file browser. */
  const selectedNotebook = (): string | null => {
    if (!browser) {
      return null;
    }
    for (const item of browser.selectedItems()) {
      if (item.type === 'notebook' || item.path.endsWith('.ipynb')) {
        return item.path;
      }
    }
    return null;
  };

  /** The notebook the command runs for `args`, or null when there is none. */
  const targetOf = (args: IRunExperimentArgs): IRunTarget | null => {
    const contents = app.serviceManager.contents;
    if (typeof args.path === 'string' && args.path !== '') {
      // An absolute path is a file system path (the service resolves it as is).
      const path = args.path.startsWith('/') ? args.path : contents.localPath(args.path);
      return { path, content: null };
    }
    if (args.source === 'filebrowser') {
      const path = selectedNotebook();
      return path === null ? null : { path: contents.localPath(path), content: null };
    }
    const panel = currentNotebook();
    const model = panel?.content.model;
    if (!panel || !model) {
      return null;
    }
    return {
      path: contents.localPath(panel.context.path),
      content: model.toJSON() as unknown as JSONObject
    };
  };

  app.commands.addCommand(CommandIDs.runExperiment, {
    label: args => (args.toolbar ? '' : trans.__('Run as Experiment…')),
    caption: trans.__(
      'Run the notebook headlessly as a tracked experiment, with its flags, in a fresh kernel'
    ),
    icon: experimentIcon,
    describedBy: {
      args: {
        type: 'object',
        properties: {
          path: {
            type: 'string',
            description: trans.__(
              'A notebook to run as saved on disk (default: the current notebook, unsaved edits included)'
            )
          },
          source: {
            type: 'string',
            description: trans.__('"filebrowser" to run the notebook selected in the file browser')
          },
          flags: {
            type: 'object',
            description: trans.__(
              "Values the dialog starts with instead of the notebook's (e.g. a run's flags)"
            )
          },
          kernel: {
            type: 'string',
            description: trans.__('The kernel the dialog starts with')
          },
          label: {
            type: 'string',
            description: trans.__('The label the dialog starts with')
          },
          tags: {
            type: 'array',
            items: { type: 'string' },
            description: trans.__('The tags the dialog starts with')
          }
        }
      }
    },
    isEnabled: args => {
      const a = args as IRunExperimentArgs;
      if (typeof a.path === 'string' && a.path !== '') {
        return a.path.endsWith('.ipynb');
      }
      return a.source === 'filebrowser' ? selectedNotebook() !== null : currentNotebook() !== null;
    },
    execute: async args => {
      const a = args as IRunExperimentArgs;
      const target = targetOf(a);
      if (target === null) {
        return;
      }
      await Private.runExperiment(app, service, target, Private.prefill(a), {
        trans,
        translator
      });
    }
  });

  const changed = (): void => app.commands.notifyCommandChanged(CommandIDs.runExperiment);
  tracker.currentChanged.connect(changed);
  app.shell.currentChanged?.connect(changed);
}

namespace Private {
  /** What the command's arguments ask the dialog to start with (a rerun's values). */
  export function prefill(args: IRunExperimentArgs): RunDialogModel.IInitial | undefined {
    const initial: RunDialogModel.IInitial = {};
    if (typeof args.flags === 'object' && args.flags !== null && !Array.isArray(args.flags)) {
      initial.flags = {};
      for (const [name, value] of Object.entries(args.flags)) {
        initial.flags[name] =
          typeof value === 'string'
            ? value
            : typeof value === 'number' || typeof value === 'boolean'
              ? String(value)
              : JSON.stringify(value);
      }
    }
    if (typeof args.kernel === 'string' && args.kernel !== '') {
      initial.kernel = args.kernel;
    }
    if (typeof args.label === 'string') {
      initial.label = args.label;
    }
    if (Array.isArray(args.tags)) {
      initial.tags = args.tags.filter(tag => typeof tag === 'string').join(', ');
    }
    return Object.keys(initial).length > 0 ? initial : undefined;
  }

  /**
   * Reads what the dialog needs, shows it until it is cancelled or the run(s) start; a
   * failure to start shows the dialog again, as it was, with the error on top.
   */
  export async function runExperiment(
    app: JupyterFrontEnd,
    service: INbxService,
    target: IRunTarget,
    prefilled: RunDialogModel.IInitial | undefined,
    options: { trans: TranslationBundle; translator: ITranslator | null }
  ): Promise<void> {
    const { trans, translator } = options;
    const settings = service.settings.current;
    const name = PathExt.basename(target.path);
    const { RunDialogModel, withoutOutputs } = await import('./model');
    const { RunDialogBody } = await import('./widget');
    let flags: IFlagsResult;
    let kernels: IKernelInfo[];
    let gpus: IGpuQuery;
    try {
      const flagsParams: INotebookParams = { path: target.path };
      if (target.content !== null) {
        flagsParams.content = withoutOutputs(target.content);
      }
      [flags, kernels, gpus] = await Promise.all([
        service.request('flags', flagsParams).then(r => r.result),
        service.request('kernels').then(r => r.result),
        service.request('gpus').then(r => r.result)
      ]);
    } catch (err) {
      Notification.error(trans.__('Cannot run %1 as an experiment: %2', name, errorMessage(err)), {
        autoClose: false
      });
      return;
    }
    let initial = prefilled;
    for (;;) {
      const model = new RunDialogModel({
        service,
        target,
        flags,
        kernels,
        gpus,
        defaults: {
          gpus: settings.defaultGpus,
          parallel: settings.defaultParallel,
          runOn: settings.defaultRunOn,
          slurm: settings.slurm
        },
        initial,
        trans
      });
      const body = new RunDialogBody({ model, translator: translator ?? undefined });
      const result = await showDialog({
        title: trans.__('Run %1 as an Experiment', name),
        body,
        buttons: [
          Dialog.cancelButton({ label: trans.__('Cancel') }),
          Dialog.okButton({ label: trans.__('Run'), ariaLabel: trans.__('Run the experiment') })
        ],
        focusNodeSelector: 'input[name^="flag-"]'
      });
      if (!result.button.accept) {
        model.dispose();
        return;
      }
      await model.settled();
      if (!model.canRun) {
        initial = model.snapshot();
        model.dispose();
        continue;
      }
      let started: IStartRunResult;
      try {
        started = await whileStarting(model.submit(), trans.__('Starting %1…', name));
      } catch {
        // The model shows the error in the dialog, shown again as it was.
        initial = model.snapshot();
        model.dispose();
        continue;
      }
      Notification.success(startedMessage(started, name, trans), {
        autoClose: 8000,
        actions: openRunActions(app, started.id, started.meta.kind === 'batch', trans)
      });
      model.dispose();
      return;
    }
  }

  /** How long starting may take before a "Starting…" notification shows. */
  const STARTING_NOTICE_MS = 700;

  /**
   * `work`, with an in-progress notification while it takes longer than a moment.
   *
   * The outcome is a notification of its own, not an update of this one: JupyterLab's
   * toasts drop an update that comes before the first toast is on screen (react-toastify
   * is loaded with the first notification), which left "Starting…" up for good; a
   * dismissal is queued behind the toast it removes.
   */
  async function whileStarting<T>(work: Promise<T>, message: string): Promise<T> {
    let note: string | null = null;
    const timer = window.setTimeout(() => {
      note = Notification.emit(message, 'in-progress', { autoClose: false });
    }, STARTING_NOTICE_MS);
    try {
      return await work;
    } finally {
      window.clearTimeout(timer);
      if (note !== null) {
        Notification.dismiss(note);
      }
    }
  }

  /** "Started run 1a2b3c4d (lr=0.1) of train.ipynb", or the same for a sweep. */
  function startedMessage(
    started: IStartRunResult,
    name: string,
    trans: TranslationBundle
  ): string {
    const id = started.id.slice(0, 8);
    const trials = started.meta.kind === 'batch' ? (started.meta.trials?.length ?? 0) : 0;
    const job = started.meta.slurm?.jobId;
    if (job !== undefined) {
      return trials > 0
        ? trans._n(
            'Submitted a sweep of %1 trial of %2 to Slurm (batch %3, job array %4)',
            'Submitted a sweep of %1 trials of %2 to Slurm (batch %3, job array %4)',
            trials,
            name,
            id,
            job
          )
        : trans.__('Submitted run %1 of %2 to Slurm (job %3)', id, name, job);
    }
    if (trials > 0) {
      return trans._n(
        'Started a sweep of %1 trial of %2 (batch %3)',
        'Started a sweep of %1 trials of %2 (batch %3)',
        trials,
        name,
        id
      );
    }
    const label = started.meta.label ?? '';
    return label !== ''
      ? trans.__('Started run %1 (%2) of %3', id, label, name)
      : trans.__('Started run %1 of %2', id, name);
  }

  /**
   * "Open run" (for a sweep "Open sweep": its batch's view, with the trial table), when
   * the run view's command is there.
   */
  function openRunActions(
    app: JupyterFrontEnd,
    id: string,
    sweep: boolean,
    trans: TranslationBundle
  ): Notification.IAction[] {
    if (!app.commands.hasCommand(CommandIDs.openRun)) {
      return [];
    }
    return [
      {
        label: sweep ? trans.__('Open sweep') : trans.__('Open run'),
        caption: sweep
          ? trans.__('Show the sweep: its trials, their progress and the best one')
          : trans.__('Show the run: its flags, status, notebook and output'),
        displayType: 'link',
        callback: () => {
          void app.commands.execute(CommandIDs.openRun, { id });
        }
      }
    ];
  }
}
