/**
 * "Run on: this machine | Slurm" in the Run as Experiment dialog: the Slurm fields as
 * typed, the checks the frontend can make alone, and the `placement` of `startRun`.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import type { RunPlacement } from '../../kernel/src/contract/run';

/** Where the dialog's run executes. */
export type RunOn = 'local' | 'slurm';

/** The Slurm fields, as the keys of the dialog's errors. */
export type SlurmField = 'partition' | 'time' | 'slurmGpus' | 'cpus' | 'mem';

export const SLURM_FIELDS: readonly SlurmField[] = [
  'partition',
  'time',
  'slurmGpus',
  'cpus',
  'mem'
];

/** The Slurm fields as typed ('' for the cluster's default). */
export type SlurmForm = Record<SlurmField, string>;

export const EMPTY_SLURM_FORM: SlurmForm = {
  partition: '',
  time: '',
  slurmGpus: '',
  cpus: '',
  mem: ''
};

// sbatch's forms (see kernel/src/scheduler/slurm/sbatch.ts, which checks them again).
const TIME = /^(\d+|\d+:\d{1,2}|\d+:\d{1,2}:\d{1,2}|\d+-\d+(:\d{1,2}(:\d{1,2})?)?)$/;
const MEM = /^\d+[KMGT]?$/i;

/** The errors of the Slurm fields. */
export function slurmErrors(
  form: SlurmForm,
  trans: TranslationBundle
): Partial<Record<SlurmField, string>> {
  const errors: Partial<Record<SlurmField, string>> = {};
  const time = form.time.trim();
  if (time !== '' && (!TIME.test(time) || time === '0')) {
    errors.time = trans.__('Give minutes, or HH:MM:SS, or D-HH:MM.');
  }
  for (const field of ['slurmGpus', 'cpus'] as const) {
    const text = form[field].trim();
    if (text !== '' && !/^\d+$/.test(text)) {
      errors[field] = trans.__('Give a whole number.');
    }
  }
  if (form.mem.trim() !== '' && !MEM.test(form.mem.trim())) {
    errors.mem = trans.__('Give megabytes, or a size such as 500M or 4G.');
  }
  if (/\s/.test(form.partition.trim())) {
    errors.partition = trans.__('A partition name has no spaces.');
  }
  return errors;
}

/** The `placement` param of `startRun` for the form. */
export function slurmPlacement(form: SlurmForm): RunPlacement {
  const text = (field: SlurmField): string | undefined => form[field].trim() || undefined;
  const count = (field: SlurmField): number | undefined => {
    const n = Number(form[field].trim());
    return form[field].trim() !== '' && n > 0 ? n : undefined;
  };
  const placement: RunPlacement = { on: 'slurm' };
  const values = {
    partition: text('partition'),
    time: text('time'),
    gpus: count('slurmGpus'),
    cpus: count('cpus'),
    mem: text('mem')
  };
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined) {
      Object.assign(placement, { [key]: value });
    }
  }
  return placement;
}
