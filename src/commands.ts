import type { JSONValue } from '@lumino/coreutils';

/**
 * The ids and arguments of nbx's commands that other plugins (and the settings schemas:
 * menus, toolbars, shortcuts) refer to.
 */

/** Command ids, `nbx:<verb-noun>`. */
export namespace CommandIDs {
  /** Opens the "Run as Experiment" dialog for a notebook, then starts the run(s). */
  export const runExperiment = 'nbx:run-experiment';
  /** Opens a run's view (`{ id }`); provided by the run view plugin. */
  export const openRun = 'nbx:open-run';
}

/** Arguments of `nbx:run-experiment`; all optional. */
export interface IRunExperimentArgs {
  /**
   * A notebook to run as saved on disk: a path relative to the server root, or an absolute
   * path (a run's `notebook`). Without it, the current notebook is run with the content of
   * its editor, unsaved edits included.
   */
  path?: string;
  /**
   * `'filebrowser'` (the file browser's context menu): run the notebook selected in the
   * file browser, as saved on disk.
   */
  source?: string;
  /** Values the dialog starts with instead of the notebook's, e.g. a run's flags (rerun). */
  flags?: { [name: string]: JSONValue };
  /** The kernelspec the dialog starts with. */
  kernel?: string;
  /** The label the dialog starts with. */
  label?: string;
  /** The tags the dialog starts with. */
  tags?: string[];
}

/** Arguments of `nbx:open-run`. */
export interface IOpenRunArgs {
  /** The run's id. */
  id: string;
}
