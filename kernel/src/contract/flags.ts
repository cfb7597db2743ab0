/**
 * What a notebook's flags cell declares (`nbx flags`, the service's `flags` method), and
 * what the kernels and GPUs runs can use look like.
 */
import type { JSONValue } from '../base/json';

/** The type of a flag, taken from its literal default. `null` means "infer from the value". */
export type FlagType = 'number' | 'string' | 'boolean' | 'list' | 'null';

/** Languages whose flags cells nbx can read and rewrite. */
export type FlagLanguage = 'typescript' | 'javascript' | 'python';

/** A flag of a notebook: a top-level literal assignment of its flags cell. */
export interface IFlagDef {
  name: string;
  type: FlagType;
  default: JSONValue;
  /** The comment on the assignment's line, else the comment line just above it. */
  description: string | null;
  /** True when the default is a Python int (`epochs = 3`): values must be whole numbers. */
  integer?: boolean;
  /** Index of the flags cell in `nb.cells`. */
  cellIndex: number;
}

/** A kernelspec runs can use (the service's `kernels` method). */
export interface IKernelInfo {
  /** Kernelspec name, e.g. `tslab`, `python3`. */
  name: string;
  displayName: string;
  language: string;
}

/** One GPU. Measurements the driver cannot give (`[N/A]`, `[Not Supported]`) are `null`. */
export interface IGpuInfo {
  /** The driver's index: what `CUDA_VISIBLE_DEVICES=0,2` refers to. */
  index: number;
  /** `GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`: stable across reboots, unlike the index. */
  uuid: string;
  /** Product name, e.g. `NVIDIA A100-SXM4-40GB`. */
  name: string;
  memoryTotalMiB: number | null;
  memoryUsedMiB: number | null;
  /** GPU utilization over the driver's last sample period, 0-100. */
  utilizationPct: number | null;
  powerW: number | null;
}

/**
 * The GPUs nvidia-smi lists, and when there are none, why: `reason` is `null` when it
 * listed at least one GPU; otherwise one line meant to be shown after `no GPUs: `.
 */
export interface IGpuQuery {
  gpus: IGpuInfo[];
  reason: string | null;
}
