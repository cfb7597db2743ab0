/**
 * System metrics of a running notebook: CPU and memory of the kernel's process tree (from
 * `/proc`, Linux) and utilisation, memory and power of its GPUs (from `nvidia-smi`), sampled
 * at a fixed interval and reported as scalar points under `sys/`.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';

import { procStatFields } from '../base/proc-stat';
import { NVIDIA_SMI_NOT_FOUND, queryGpus, type GpuInfo } from './gpus';

/** One measurement. */
export interface ISystemPoint {
  /** `sys/cpu`, `sys/rss_mib`, `sys/gpu<index>/util`, `sys/gpu<index>/mem_used_mib`, `sys/gpu<index>/power_w`. */
  key: string;
  value: number;
  /** Wall time of the sample, milliseconds since the epoch. */
  time: number;
}

/** Options of {@link SystemSampler}. */
export interface ISystemSamplerOptions {
  /** The kernel process: the root of the tree measured. */
  kernelPid: number;
  /**
   * The `CUDA_VISIBLE_DEVICES` given to the kernel: GPU indexes or UUIDs (`'0,2'`), `''` for
   * none (no GPU keys, nvidia-smi is never run), null when inherited (every GPU listed).
   */
  gpus: string | null;
  /** Time between samples (default 2000 ms). */
  intervalMs?: number;
  /** Receives the points of each sample; what it throws is ignored. */
  onSample: (points: ISystemPoint[]) => void;
  /** Environment whose `PATH` finds nvidia-smi (default `process.env`). */
  env?: NodeJS.ProcessEnv;
}

/** CPU time and resident memory of a set of processes at one moment. */
export interface IProcessUsage {
  /** Number of processes read. */
  processes: number;
  /** utime + stime + cutime + cstime summed, in clock ticks. */
  ticks: number;
  /** Resident set size summed, in bytes. */
  rssBytes: number;
}

/** The default interval between samples. */
export const DEFAULT_SAMPLE_INTERVAL_MS = 2000;

const MIB = 1024 * 1024;

/**
 * Samples the kernel's process tree and GPUs every `intervalMs` once started, calling
 * `onSample` with the points of each sample. Samples never overlap (the next one is scheduled
 * when the previous ends) and the timer does not keep the process alive. File reads are
 * asynchronous and nothing throws: what cannot be measured is left out (no `/proc`: no CPU or
 * memory points; no nvidia-smi: no GPU points; the kernel gone: no CPU or memory points).
 *
 * `sys/cpu` is the CPU time the tree used since the previous sample over the wall time, in
 * percent of one core (it exceeds 100 on several cores); it includes children that exited
 * and were waited for. `sys/rss_mib` is the sum of the tree's resident sets (shared pages count
 * once per process).
 */
export class SystemSampler {
  constructor(options: ISystemSamplerOptions) {
    this._options = options;
    this._intervalMs = Math.max(1, options.intervalMs ?? DEFAULT_SAMPLE_INTERVAL_MS);
  }

  /** True between `start()` and `stop()`. */
  get running(): boolean {
    return this._started && !this._stopped;
  }

  /**
   * Starts sampling: reads the CPU baseline now, the first sample comes after one interval.
   * Calling it again does nothing.
   */
  start(): this {
    if (this._started || this._stopped) {
      return this;
    }
    this._started = true;
    this._busy = this._baseline().then(() => this._schedule());
    return this;
  }

  /**
   * Stops sampling after a final sample (reported through `onSample` like the others). Call it
   * while the kernel still runs (before shutting it down), or the final sample has no CPU or
   * memory points. Resolves when done; never rejects; calling it again returns the same promise.
   */
  stop(): Promise<void> {
    if (this._stopping === null) {
      this._stopped = true;
      clearTimeout(this._timer);
      this._timer = undefined;
      const wasStarted = this._started;
      this._stopping = this._busy.then(async () => {
        if (wasStarted) {
          await this._emit();
        }
      });
    }
    return this._stopping;
  }

  /** Takes one sample now and returns its points (without calling `onSample`). */
  async sample(): Promise<ISystemPoint[]> {
    try {
      const [usage, gpus] = await Promise.all([this._readTree(), this._readGpus()]);
      const time = Date.now();
      const points: ISystemPoint[] = [];
      if (usage !== null) {
        const last = this._last;
        if (last !== null && time > last.time) {
          const seconds = (time - last.time) / 1000;
          const ticks = Math.max(0, usage.ticks - last.ticks);
          const cpu = (ticks / (await clockTicks()) / seconds) * 100;
          points.push({ key: 'sys/cpu', value: round(cpu, 1), time });
        }
        this._last = { time, ticks: usage.ticks };
        points.push({ key: 'sys/rss_mib', value: round(usage.rssBytes / MIB, 1), time });
      }
      for (const gpu of gpus) {
        const prefix = `sys/gpu${gpu.index}`;
        const values: Array<[string, number | null]> = [
          ['util', gpu.utilizationPct],
          ['mem_used_mib', gpu.memoryUsedMiB],
          ['power_w', gpu.powerW]
        ];
        for (const [name, value] of values) {
          if (value !== null) {
            points.push({ key: `${prefix}/${name}`, value, time });
          }
        }
      }
      return points;
    } catch {
      return [];
    }
  }

  private async _baseline(): Promise<void> {
    const usage = await this._readTree();
    if (usage !== null) {
      this._last = { time: Date.now(), ticks: usage.ticks };
    }
  }

  private _schedule(): void {
    if (this._stopped) {
      return;
    }
    this._timer = setTimeout(() => {
      this._timer = undefined;
      this._busy = this._emit().then(() => this._schedule());
    }, this._intervalMs);
    this._timer.unref();
  }

  private async _emit(): Promise<void> {
    const points = await this.sample();
    if (points.length === 0) {
      return;
    }
    try {
      this._options.onSample(points);
    } catch {
      // The consumer's failure is not the sampler's.
    }
  }

  private async _readTree(): Promise<IProcessUsage | null> {
    const pids = await processTree(this._options.kernelPid);
    if (pids.length === 0) {
      return null;
    }
    const usage = await processUsage(pids);
    return usage.processes === 0 ? null : usage;
  }

  private async _readGpus(): Promise<GpuInfo[]> {
    const visible = this._options.gpus;
    if (visible === '' || this._noNvidiaSmi) {
      return [];
    }
    const result = await queryGpus({
      env: this._options.env,
      timeoutMs: Math.min(5000, Math.max(1000, this._intervalMs))
    });
    if (result.reason === NVIDIA_SMI_NOT_FOUND) {
      this._noNvidiaSmi = true;
    }
    return selectGpus(result.gpus, visible);
  }

  private readonly _options: ISystemSamplerOptions;
  private readonly _intervalMs: number;
  private _started = false;
  private _stopped = false;
  private _stopping: Promise<void> | null = null;
  private _busy: Promise<void> = Promise.resolve();
  private _timer: NodeJS.Timeout | undefined;
  private _last: { time: number; ticks: number } | null = null;
  private _noNvidiaSmi = false;
}

/**
 * The GPUs of `gpus` that `visible` (a `CUDA_VISIBLE_DEVICES` value) names, in its order:
 * entries are driver indexes or UUID prefixes (`GPU-3f6a...`, case-insensitive); null means
 * all, `''` none. Entries naming no listed GPU are dropped.
 */
export function selectGpus(gpus: readonly GpuInfo[], visible: string | null): GpuInfo[] {
  if (visible === null) {
    return [...gpus];
  }
  const chosen: GpuInfo[] = [];
  for (const raw of visible.split(',')) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') {
      continue;
    }
    const gpu = /^\d+$/.test(entry)
      ? gpus.find(g => g.index === Number(entry))
      : gpus.find(g => g.uuid.toLowerCase().startsWith(entry));
    if (gpu !== undefined && !chosen.includes(gpu)) {
      chosen.push(gpu);
    }
  }
  return chosen;
}

/** The fields of `/proc/<pid>/stat` the sampler uses. */
export interface IProcStat {
  pid: number;
  ppid: number;
  /** utime + stime + cutime + cstime, clock ticks. */
  ticks: number;
  /** Resident set size in pages. */
  rssPages: number;
}

/** Parses a `/proc/<pid>/stat` line; null when it is not one. */
export function parseProcStat(text: string): IProcStat | null {
  const field = procStatFields(text);
  if (!field) {
    return null;
  }
  const at = (n: number): number => Number(field(n) ?? NaN);
  const values = [at(1), at(4), at(14), at(15), at(16), at(17), at(24)];
  if (values.some(v => !Number.isFinite(v))) {
    return null;
  }
  return {
    pid: at(1),
    ppid: at(4),
    ticks: at(14) + at(15) + at(16) + at(17),
    rssPages: at(24)
  };
}

/** How {@link processTree} finds children. */
export type ProcessTreeMethod = 'children' | 'scan';

/**
 * `pid` and all its descendants (those alive now), `pid` first; `[]` when `pid` does not
 * exist (or there is no `/proc`). `children` reads `/proc/<pid>/task/<tid>/children` (needs
 * CONFIG_PROC_CHILDREN; falls back to `scan` without it); `scan` reads the parent of every
 * process in `/proc/<n>/stat`. Never rejects.
 */
export async function processTree(
  pid: number,
  method: ProcessTreeMethod = 'children'
): Promise<number[]> {
  try {
    if (!(await exists(`/proc/${pid}/stat`))) {
      return [];
    }
    if (method === 'children' && (await hasChildrenFiles(pid))) {
      return await treeByChildren(pid);
    }
    return await treeByScan(pid);
  } catch {
    return [];
  }
}

/** CPU ticks and RSS summed over `pids`; processes that vanished are left out. */
export async function processUsage(pids: readonly number[]): Promise<IProcessUsage> {
  const [stats, pageSize] = await Promise.all([
    Promise.all(pids.map(pid => readStat(pid))),
    pageBytes()
  ]);
  const usage: IProcessUsage = { processes: 0, ticks: 0, rssBytes: 0 };
  for (const stat of stats) {
    if (stat !== null) {
      usage.processes++;
      usage.ticks += stat.ticks;
      usage.rssBytes += stat.rssPages * pageSize;
    }
  }
  return usage;
}

async function treeByChildren(root: number): Promise<number[]> {
  const seen = new Set<number>([root]);
  let level = [root];
  while (level.length > 0) {
    const next: number[] = [];
    const lists = await Promise.all(level.map(childrenOf));
    for (const list of lists) {
      for (const child of list) {
        if (!seen.has(child)) {
          seen.add(child);
          next.push(child);
        }
      }
    }
    level = next;
  }
  return [...seen];
}

/** Children of `pid` over all its threads (a child belongs to the thread that forked it). */
async function childrenOf(pid: number): Promise<number[]> {
  let tids: string[];
  try {
    tids = await fs.readdir(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const texts = await Promise.all(
    tids.map(tid => fs.readFile(`/proc/${pid}/task/${tid}/children`, 'utf8').catch(() => ''))
  );
  return texts.flatMap(text =>
    text
      .split(/\s+/)
      .filter(s => s !== '')
      .map(Number)
  );
}

async function treeByScan(root: number): Promise<number[]> {
  const names = await fs.readdir('/proc');
  const stats = await Promise.all(
    names.filter(name => /^\d+$/.test(name)).map(name => readStat(Number(name)))
  );
  const children = new Map<number, number[]>();
  for (const stat of stats) {
    if (stat !== null) {
      const list = children.get(stat.ppid);
      if (list === undefined) {
        children.set(stat.ppid, [stat.pid]);
      } else {
        list.push(stat.pid);
      }
    }
  }
  const tree = [root];
  const seen = new Set(tree);
  for (let i = 0; i < tree.length; i++) {
    for (const child of children.get(tree[i]) ?? []) {
      if (!seen.has(child)) {
        seen.add(child);
        tree.push(child);
      }
    }
  }
  return tree;
}

let childrenSupported: boolean | null = null;

async function hasChildrenFiles(pid: number): Promise<boolean> {
  if (childrenSupported === null) {
    const supported = await exists(`/proc/${pid}/task/${pid}/children`);
    // Decide only while the process is there: its absence says nothing of the kernel.
    if (supported || (await exists(`/proc/${pid}/stat`))) {
      childrenSupported = supported;
    }
    return supported;
  }
  return childrenSupported;
}

async function readStat(pid: number): Promise<IProcStat | null> {
  try {
    return parseProcStat(await fs.readFile(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

let clockTicksPromise: Promise<number> | null = null;
let pageBytesPromise: Promise<number> | null = null;

/** `getconf CLK_TCK` (read once), 100 when it cannot be read. */
export function clockTicks(): Promise<number> {
  clockTicksPromise ??= getconf('CLK_TCK', 100);
  return clockTicksPromise;
}

/** `getconf PAGESIZE` (read once), 4096 when it cannot be read. */
export function pageBytes(): Promise<number> {
  pageBytesPromise ??= getconf('PAGESIZE', 4096);
  return pageBytesPromise;
}

function getconf(name: string, fallback: number): Promise<number> {
  return new Promise(resolve => {
    try {
      execFile('getconf', [name], { timeout: 2000, encoding: 'utf8' }, (error, stdout) => {
        const value = Number(stdout.trim());
        resolve(error === null && Number.isInteger(value) && value > 0 ? value : fallback);
      });
    } catch {
      resolve(fallback);
    }
  });
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
