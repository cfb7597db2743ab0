/**
 * nbx's preferences (`schema/plugin.json`, the settings of `jupyterlab-nbx:plugin`), read
 * in one place and shared through the service token: where runs are kept, how panels
 * follow changes, and the defaults of "Run as Experiment".
 */
import type { ISettingRegistry } from '@jupyterlab/settingregistry';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import { Signal, type ISignal } from '@lumino/signaling';

/** The plugin whose settings hold nbx's preferences. */
export const SETTINGS_PLUGIN = 'jupyterlab-nbx:plugin';

/** nbx's preferences, with defaults for anything missing or wrong. */
export interface INbxPreferences {
  /** The runs root ('' for the service's own choice). */
  readonly runsRoot: string;
  /** False when the `refresh` setting is `manual`: only Refresh buttons fetch. */
  readonly live: boolean;
  /** The GPUs "Run as Experiment" selects at first: `all`, `none` or `0,2`. */
  readonly defaultGpus: string;
  /** Trials of a sweep run at once, unless changed in the dialog. */
  readonly defaultParallel: number;
  /** False when the `standbyKernel` setting is off (absent: on, the default). */
  readonly standbyKernel?: false;
  /** Where "Run as Experiment" runs at first (absent: this machine). */
  readonly defaultRunOn?: 'slurm';
  /** The Slurm fields "Run as Experiment" fills in, as text (absent: none set). */
  readonly slurm?: Readonly<ISlurmDefaults>;
}

/** The `slurm` setting as the dialog's fields take it (text; '' when not set). */
export interface ISlurmDefaults {
  partition: string;
  time: string;
  slurmGpus: string;
  cpus: string;
  mem: string;
}

/** The `slurm` setting's fields as text, or null when none is set. */
function readSlurmDefaults(value: unknown): ISlurmDefaults | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return null;
  }
  const record = value as Record<string, unknown>;
  const text = (key: string): string => {
    const v = record[key];
    return typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : '';
  };
  const defaults: ISlurmDefaults = {
    partition: text('partition'),
    time: text('time'),
    slurmGpus: text('gpus'),
    cpus: text('cpus'),
    mem: text('mem')
  };
  return Object.values(defaults).some(v => v !== '') ? defaults : null;
}

/** The preferences when there are no settings. */
export const DEFAULT_PREFERENCES: INbxPreferences = {
  runsRoot: '',
  live: true,
  defaultGpus: 'all',
  defaultParallel: 1
};

/** The preferences a settings object holds (its composite). */
export function readPreferences(composite: ReadonlyPartialJSONObject): INbxPreferences {
  const { runsRoot, refresh, defaultGpus, defaultParallel, standbyKernel, defaultRunOn } =
    composite;
  const slurm = readSlurmDefaults(composite.slurm);
  return {
    ...(standbyKernel === false ? { standbyKernel } : {}),
    ...(defaultRunOn === 'slurm' ? { defaultRunOn } : {}),
    ...(slurm ? { slurm } : {}),
    runsRoot: typeof runsRoot === 'string' ? runsRoot.trim() : DEFAULT_PREFERENCES.runsRoot,
    live: refresh !== 'manual',
    defaultGpus: typeof defaultGpus === 'string' ? defaultGpus : DEFAULT_PREFERENCES.defaultGpus,
    defaultParallel:
      typeof defaultParallel === 'number' && defaultParallel >= 1
        ? Math.floor(defaultParallel)
        : DEFAULT_PREFERENCES.defaultParallel
  };
}

/** nbx's preferences, followed as they change. */
export interface INbxSettings {
  /** Resolves once the settings are read (or found missing). */
  readonly ready: Promise<void>;
  /** The preferences now. */
  readonly current: INbxPreferences;
  /** Emitted when the runs root or the refresh mode changed. */
  readonly changed: ISignal<INbxSettings, void>;
}

/** nbx's preferences from the setting registry (the defaults without one). */
export class NbxSettings implements INbxSettings {
  constructor(settingRegistry: ISettingRegistry | null) {
    this.ready = settingRegistry
      ? settingRegistry
          .load(SETTINGS_PLUGIN)
          .then(settings => {
            this._read(settings);
            settings.changed.connect(this._read, this);
          })
          .catch(err => {
            // No nbx settings: the service's own runs root, live, the defaults.
            console.warn(`nbx: cannot load the settings of ${SETTINGS_PLUGIN}`, err);
          })
      : Promise.resolve();
  }

  /** Resolves once the settings are read (or found missing). */
  readonly ready: Promise<void>;

  /** The preferences now. */
  get current(): INbxPreferences {
    return this._current;
  }

  /** Emitted when the runs root or the refresh mode changed. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  private _read(settings: ISettingRegistry.ISettings): void {
    const next = readPreferences(settings.composite);
    const previous = this._current;
    this._current = next;
    if (next.runsRoot !== previous.runsRoot || next.live !== previous.live) {
      this._changed.emit();
    }
  }

  private _current = DEFAULT_PREFERENCES;
  private _changed = new Signal<this, void>(this);
}
