/**
 * The `--gpus` option: a list of GPU indexes or UUIDs, validated and resolved to the physical
 * GPUs nvidia-smi lists, under which the scheduler reserves them.
 */
import { UserError } from '../base/errors';
import { queryGpus, type GpuInfo } from '../tracking/gpus';

/**
 * Validates a `--gpus` value and returns it normalised for `CUDA_VISIBLE_DEVICES`.
 *
 * Accepts comma-separated GPU indexes (`0,2`) and GPU UUIDs (`GPU-3f6a...`, also `MIG-...`),
 * ignoring spaces around entries and leading zeros of indexes; `' 0, 02 '` gives `'0,2'`.
 * Throws a {@link UserError} for an empty entry, anything else, or a GPU listed twice.
 */
export function parseGpuList(spec: string): string {
  const entries = spec.split(',').map(entry => entry.trim());
  const seen = new Set<string>();
  const normalised: string[] = [];
  for (const entry of entries) {
    let value: string;
    if (/^\d+$/.test(entry)) {
      value = entry.replace(/^0+(?=\d)/, '');
    } else if (/^(GPU|MIG)-[0-9a-fA-F]+(-[0-9a-fA-F]+)*$/.test(entry)) {
      value = entry;
    } else {
      throw new UserError(
        `invalid --gpus '${spec}': expected comma-separated GPU indexes such as 0,2`
      );
    }
    const key = value.toLowerCase();
    if (seen.has(key)) {
      throw new UserError(`invalid --gpus '${spec}': GPU ${value} is listed twice`);
    }
    seen.add(key);
    normalised.push(value);
  }
  return normalised.join(',');
}

/**
 * The physical GPU each entry of a `--gpus` list (as {@link parseGpuList} returns it) names:
 * the UUID nvidia-smi gives it. An index is looked up; a GPU UUID is matched whatever its
 * case. With no GPUs known (`known` empty: nvidia-smi is missing or failed) an entry stands
 * for itself, and so does a MIG device UUID (nvidia-smi lists GPUs, not MIG devices).
 * Throws a one-line {@link UserError} for a GPU nvidia-smi does not list, or for one GPU
 * named twice (by its index and by its UUID).
 */
export function physicalGpus(list: string, known: readonly GpuInfo[]): string[] {
  if (list === '') {
    return [];
  }
  const byIndex = new Map(known.map(gpu => [String(gpu.index), gpu.uuid]));
  const byUuid = new Map(known.map(gpu => [gpu.uuid.toLowerCase(), gpu.uuid]));
  const listed = known.map(gpu => gpu.index).join(', ');
  const seen = new Map<string, string>();
  return list.split(',').map(entry => {
    let uuid: string | undefined = entry;
    if (known.length > 0 && !entry.startsWith('MIG-')) {
      uuid = /^\d+$/.test(entry) ? byIndex.get(entry) : byUuid.get(entry.toLowerCase());
      if (uuid === undefined) {
        throw new UserError(
          `invalid --gpus '${list}': no GPU ${entry} (nvidia-smi lists GPUs ${listed})`
        );
      }
    }
    const twice = seen.get(uuid);
    if (twice !== undefined) {
      throw new UserError(`invalid --gpus '${list}': ${twice} and ${entry} are the same GPU`);
    }
    seen.set(uuid, entry);
    return uuid;
  });
}

/**
 * {@link physicalGpus} of a `--gpus` list with the GPUs nvidia-smi lists now (in the `PATH`
 * of `env`): the keys GPU reservations are made under. `''` (no GPUs) gives `[]`.
 */
export async function resolveGpus(list: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  if (list === '') {
    return [];
  }
  return physicalGpus(list, (await queryGpus({ env })).gpus);
}
