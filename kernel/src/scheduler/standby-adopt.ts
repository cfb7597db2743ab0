/**
 * The runner's side of a standby kernel (see standby.ts): a run started in a directory
 * reserved for one finds its handover record there and takes the kernel over, if it is
 * exactly the kernel the run would start now; else it lets it die and starts one cold.
 */
import * as fs from 'fs';
import { AdoptedKernelProcess } from '../protocol/adopted';
import { KernelManager } from '../protocol/manager';
import { warmKey, type IWarmKeyParts } from '../protocol/warm-pool';
import type { RunDir } from '../store/run-dir';
import { runKernelParts } from './run-kernel';

/** What the service leaves in `.nbx/standby.json` when it hands a standby kernel over. */
export interface IStandbyHandover {
  /** The warm key the kernel was started with (see warm-pool.ts). */
  key: string;
  pid: number;
  connectionFile: string;
  /** The runner's descriptor of the kernel's watchdog pipe. */
  watchdogFd: number;
}

/** The handover record of `run`, removed (it is used once), or null. */
function takeHandover(run: RunDir): IStandbyHandover | null {
  let record: Partial<IStandbyHandover>;
  try {
    record = JSON.parse(fs.readFileSync(run.standbyPath, 'utf8')) as Partial<IStandbyHandover>;
  } catch {
    return null;
  }
  fs.rmSync(run.standbyPath, { force: true });
  const { key, pid, connectionFile, watchdogFd } = record;
  return typeof key === 'string' &&
    typeof pid === 'number' &&
    typeof connectionFile === 'string' &&
    typeof watchdogFd === 'number'
    ? { key, pid, connectionFile, watchdogFd }
    : null;
}

/**
 * The standby kernel handed over to this run, connected and answering, or null (none, not
 * equivalent, or dead: the caller starts one cold). One that is not used is killed.
 */
export async function adoptStandbyKernel(
  run: RunDir,
  env: NodeJS.ProcessEnv
): Promise<KernelManager | null> {
  const handover = takeHandover(run);
  if (handover === null) {
    return null;
  }
  let parts: IWarmKeyParts | null;
  try {
    parts = runKernelParts(run, env);
  } catch {
    parts = null;
  }
  if (parts === null || warmKey(parts) !== handover.key) {
    await new AdoptedKernelProcess(handover.pid, handover.watchdogFd).terminate(500);
    fs.rmSync(handover.connectionFile, { force: true });
    return null;
  }
  try {
    return await KernelManager.adopt({ spec: parts.spec, ...handover });
  } catch {
    return null;
  }
}
