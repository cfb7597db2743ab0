/**
 * What a run asks of Slurm: the options given (command line, dialog) over the project's
 * defaults (`nbx.json`'s `"slurm"` object), checked, and as sbatch options.
 */
import * as fs from 'fs';
import * as path from 'path';
import { UserError } from '../../base/errors';
import type { JSONValue } from '../../base/json';
import type { ISlurmPlacement } from '../../contract/run';
import { findProjectFile, readProjectFile } from '../../store/project-file';
import { sbatchArgs, type ISbatchOptions } from './sbatch';

export type { ISlurmPlacement } from '../../contract/run';

const KEYS = ['partition', 'time', 'gpus', 'cpus', 'mem', 'template'] as const;

/**
 * The placement `given` over the defaults of the project `projectStart` is in, checked (a
 * value sbatch would refuse is a one-line `UserError` now, before any run is written);
 * `template` made an absolute path (relative to the directory of the file naming it).
 */
export function resolvePlacement(
  given: ISlurmPlacement,
  options: { projectStart: string; cwd: string }
): ISlurmPlacement {
  const file = findProjectFile(options.projectStart);
  const project = file === null ? null : readProjectFile(file, options.cwd);
  const defaults = project ? projectDefaults(project.path, project.value.slurm) : {};
  const merged: ISlurmPlacement = { ...defaults };
  for (const key of KEYS) {
    if (given[key] !== undefined && given[key] !== '') {
      Object.assign(merged, { [key]: given[key] });
    }
  }
  if (given.template) {
    merged.template = path.resolve(options.cwd, given.template);
  }
  if (merged.template !== undefined) {
    readTemplate(merged.template);
  }
  sbatchArgs(sbatchOptions(merged));
  return merged;
}

/** The sbatch options of a placement (job name, directories and arrays are the caller's). */
export function sbatchOptions(placement: ISlurmPlacement): ISbatchOptions {
  return {
    partition: placement.partition,
    time: placement.time,
    gpus: placement.gpus,
    cpusPerTask: placement.cpus,
    mem: placement.mem
  };
}

/** The site template at `file`, or a one-line error naming it. */
export function readTemplate(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError(`Slurm template ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
}

/** `nbx.json`'s `"slurm": { partition, time, gpus, cpus, mem, template }`, checked. */
function projectDefaults(file: string, value: JSONValue | undefined): ISlurmPlacement {
  if (value === undefined) {
    return {};
  }
  const where = `${file}: "slurm"`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UserError(`${where} must be an object such as {"partition": "gpu", "time": "60"}`);
  }
  const placement: ISlurmPlacement = {};
  for (const [key, v] of Object.entries(value)) {
    switch (key) {
      case 'gpus':
      case 'cpus':
        if (typeof v !== 'number') {
          throw new UserError(`${where}.${key} must be a number`);
        }
        placement[key] = v;
        break;
      case 'time':
      case 'mem':
        if (typeof v !== 'string' && typeof v !== 'number') {
          throw new UserError(`${where}.${key} must be a string or a number`);
        }
        placement[key] = String(v);
        break;
      case 'partition':
      case 'template':
        if (typeof v !== 'string') {
          throw new UserError(`${where}.${key} must be a string`);
        }
        placement[key] = key === 'template' ? path.resolve(path.dirname(file), v) : v;
        break;
      default:
        throw new UserError(`${where}: unknown option '${key}' (known: ${KEYS.join(', ')})`);
    }
  }
  return placement;
}
