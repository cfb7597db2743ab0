import type { JSONValue } from '@lumino/coreutils';

/**
 * The ids and arguments of nbx's commands that other plugins (and the settings schemas:
 * menus, toolbars, shortcuts) refer to.
 */

/** Command ids, `nbx:<verb-noun>`: every command of nbx, and those of other plugins it runs. */
export namespace CommandIDs {
  /** Shows what nbx is. */
  export const about = 'nbx:about';
  /** Opens the "Run as Experiment" dialog for a notebook, then starts the run(s). */
  export const runExperiment = 'nbx:run-experiment';
  /** Opens a run's view (`{ id, which? }`); provided by the run view plugin. */
  export const openRun = 'nbx:open-run';
  /** Shows the Runs panel. */
  export const showRuns = 'nbx:show-runs';
  /** Lists the runs again. */
  export const refreshRuns = 'nbx:refresh-runs';
  /** Stops the selected runs (or `{ ids }`). */
  export const stopRuns = 'nbx:stop-runs';
  /** Deletes the selected runs (or `{ ids }`). */
  export const deleteRuns = 'nbx:delete-runs';
  /** Changes the tags of the selected runs (or `{ ids, changes }`). */
  export const tagRuns = 'nbx:tag-runs';
  /** Compares the selected runs, through `compare` when it exists. */
  export const compareRuns = 'nbx:compare-runs';
  /** Opens the Compare panel on `{ ids }` (when the compare plugin is installed). */
  export const compare = 'nbx:compare';
  /** Opens the Scalars panel on `{ ids }` (without them, shows it as it is). */
  export const scalars = 'nbx:scalars';
  /** Charts the scalars of the selected runs (or `{ ids }`), through `scalars`. */
  export const scalarsRuns = 'nbx:scalars-runs';
}

/** The palette category of nbx's commands. */
export const PALETTE_CATEGORY = 'nbx';

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
  /** The run's id (or a unique prefix). */
  id: string;
  /** The notebook to show: the executed one (default) or the snapshot as launched. */
  which?: 'executed' | 'snapshot';
}

/** Arguments of `nbx:compare`; without any, every run of the runs root is compared. */
export interface ICompareArgs {
  /** The runs to compare (ids or unique prefixes). */
  ids?: string[];
  /** A batch whose trials to compare. */
  batch?: string;
  /**
   * A run seen in its view: a batch's trials are compared, a plain run beside the other
   * runs of its notebook.
   */
  run?: string;
  /** The `--where` filter to start with. */
  where?: string;
}
