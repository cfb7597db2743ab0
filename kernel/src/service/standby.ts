/**
 * The service's standby kernel (see scheduler/standby.ts), made on first use: its modules
 * load with the methods, after the service kernel has answered `kernel_info`.
 */
import type { StandbyKernel } from '../scheduler/standby';

export class ServiceStandby {
  /** The standby kernel of the service (one at most, reaped when idle). */
  get(): Promise<StandbyKernel> {
    this._standby ??= import('../scheduler/standby').then(m => new m.StandbyKernel());
    return this._standby;
  }

  /** Kills the standby kernel held, if any; returns nothing (no standby for this run). */
  async discard(): Promise<undefined> {
    await (await this._standby)?.discard();
    return undefined;
  }

  /** Kills the standby kernel held and removes its reserved run directory. */
  async close(): Promise<void> {
    await (await this._standby)?.close();
  }

  private _standby: Promise<StandbyKernel> | undefined;
}
