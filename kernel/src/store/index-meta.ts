/**
 * The fields of a `meta.json` the runs index needs: those of the record `parseMeta` reads
 * (the schema validates a record in place, so nothing is copied but these fields).
 */
import type { RunMeta } from './meta';
import { parseMeta } from './meta-schema';

/** What the index takes from a run record (`slurm`: its Slurm job as one line, see `slurmText`). */
export type IndexFields = { slurm: string | null } & Pick<
  RunMeta,
  | 'notebookName'
  | 'status'
  | 'label'
  | 'tags'
  | 'created'
  | 'started'
  | 'stopped'
  | 'pid'
  | 'pidStart'
  | 'host'
  | 'flags'
  | 'attrs'
  | 'scalars'
  | 'kind'
  | 'parent'
>;

/**
 * The index fields of a meta.json text. Throws `CorruptMetaError` (from `parseMeta`) when
 * the text is not a usable run record.
 */
export function parseIndexFields(text: string, file: string): IndexFields {
  const meta = parseMeta(text, file);
  return {
    notebookName: meta.notebookName,
    status: meta.status,
    label: meta.label,
    tags: meta.tags,
    created: meta.created,
    started: meta.started,
    stopped: meta.stopped,
    pid: meta.pid,
    pidStart: meta.pidStart,
    host: meta.host,
    flags: meta.flags,
    attrs: meta.attrs,
    scalars: meta.scalars,
    kind: meta.kind,
    parent: meta.parent,
    slurm: slurmText(meta.slurm)
  };
}

/**
 * A run's Slurm job as the index's `slurm` column shows it: the job id, the partition,
 * then the node it runs on or, while it waits, its place in the queue:
 * `4242 · gpu · node01`, `4242 · gpu · #3 in queue (Priority)`. Null for a run here.
 */
export function slurmText(slurm: RunMeta['slurm']): string | null {
  if (!slurm) {
    return null;
  }
  const parts = [slurm.jobId];
  if (slurm.partition) {
    parts.push(slurm.partition);
  }
  if (slurm.queue) {
    parts.push(`#${slurm.queue.position} in queue (${slurm.queue.reason})`);
  } else if (slurm.node) {
    parts.push(slurm.node);
  }
  return parts.join(' · ');
}
