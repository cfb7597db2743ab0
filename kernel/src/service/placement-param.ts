/**
 * The `placement` param of `startRun`: `{ on: 'local' }` or `{ on: 'slurm', partition?,
 * time?, gpus?, cpus?, mem?, template? }` (see `RunPlacement`); absent runs here.
 */
import type { RunPlacement } from '../contract/run';
import {
  optionalChoice,
  optionalNumber,
  optionalObject,
  optionalString,
  ParamError,
  type Params
} from './params';

export function placementParam(params: Params): RunPlacement | undefined {
  const value = optionalObject(params, 'placement');
  if (value === undefined) {
    return undefined;
  }
  const on = optionalChoice(value, 'on', ['local', 'slurm'] as const, 'local');
  if (on === 'local') {
    return { on };
  }
  const text = (name: string): string | undefined =>
    optionalString(value, name)?.trim() || undefined;
  const count = (name: string): number | undefined => {
    const n = optionalNumber(value, name);
    if (n !== undefined && (!Number.isSafeInteger(n) || n < 0)) {
      throw new ParamError(`parameter 'placement.${name}' must be a whole number, not ${n}`);
    }
    // 0 GPUs or CPUs: ask Slurm for none, i.e. its default.
    return n || undefined;
  };
  const time = value.time;
  return {
    on,
    partition: text('partition'),
    time: typeof time === 'number' ? String(time) : text('time'),
    gpus: count('gpus'),
    cpus: count('cpus'),
    mem: text('mem'),
    template: text('template')
  };
}
