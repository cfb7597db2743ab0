/**
 * Warm kernels: a kernel started before it is needed, handed over only to a start that asks
 * for exactly what it was started with. What a kernel cannot change once started is its key:
 * the kernelspec (command line, resource directory, the spec's own environment), the working
 * directory and the whole environment (`CUDA_VISIBLE_DEVICES`, `NBX_RUN_ID` and all). A warm
 * kernel has answered `kernel_info` and nothing else: the pool sends it nothing, hands it
 * over once, and kills it when it is not wanted, so no kernel that ran code is ever reused.
 *
 * The pool holds at most `capacity` kernels (bounded memory): starting one more kills the
 * oldest still unclaimed. `close` kills every unclaimed one; a kernel of a process killed
 * outright dies with it (see launcher.ts).
 */
import * as path from 'path';
import type { IKernelSpec } from './kernelspec';
import type { KernelManager } from './manager';

/** What fixes a kernel at its start. */
export interface IWarmKeyParts {
  spec: IKernelSpec;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/** The pool's key of a kernel started with `parts`: equal keys, equivalent kernels. */
export function warmKey(parts: IWarmKeyParts): string {
  const env = Object.entries(parts.env)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify({
    argv: parts.spec.argv,
    resourceDir: path.resolve(parts.spec.resourceDir),
    specEnv: parts.spec.env,
    interruptMode: parts.spec.interruptMode,
    cwd: path.resolve(parts.cwd),
    env
  });
}

interface IEntry {
  key: string;
  kernel: Promise<KernelManager | null>;
}

export class WarmKernels {
  constructor(readonly capacity = 1) {}

  /** Kernels started and not yet claimed. */
  get size(): number {
    return this._entries.length;
  }

  /**
   * Starts a kernel for `key` with `start` unless one is warm for it already. A start that
   * fails leaves nothing: `take` then finds no kernel and the caller starts one cold.
   */
  prestart(key: string, start: () => Promise<KernelManager>): void {
    if (this._closed || this._entries.some(e => e.key === key)) {
      return;
    }
    while (this._entries.length >= this.capacity) {
      discard(this._entries.shift());
    }
    let kernel: Promise<KernelManager | null>;
    try {
      kernel = start().catch(() => null);
    } catch {
      kernel = Promise.resolve(null);
    }
    this._entries.push({ key, kernel });
  }

  /**
   * The warm kernel of `key`, once ready, taken out of the pool; null when there is none or
   * it failed to start or died since (start one cold then).
   */
  async take(key: string): Promise<KernelManager | null> {
    const i = this._entries.findIndex(e => e.key === key);
    if (i < 0) {
      return null;
    }
    const [entry] = this._entries.splice(i, 1);
    const kernel = await entry.kernel;
    if (kernel === null || !kernel.process.alive) {
      await kernel?.kill();
      return null;
    }
    return kernel;
  }

  /** Kills every unclaimed kernel (waiting for those still starting); later prestarts do nothing. */
  async close(): Promise<void> {
    this._closed = true;
    await Promise.all(this._entries.splice(0).map(discard));
  }

  private _entries: IEntry[] = [];
  private _closed = false;
}

/** Kills an unclaimed kernel, now or once its start ends. */
function discard(entry: IEntry | undefined): Promise<void> {
  return entry ? entry.kernel.then(k => k?.kill()) : Promise.resolve();
}

/** False when `NBX_WARM_KERNELS` is `0`, `false`, `off` or `no`: every kernel starts cold. */
export function warmKernelsEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return !['0', 'false', 'off', 'no'].includes((env.NBX_WARM_KERNELS ?? '').trim().toLowerCase());
}
