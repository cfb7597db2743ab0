/**
 * The fields of a `meta.json` the runs index needs: those of the record `parseMeta` reads
 * (the schema validates a record in place, so nothing is copied but these fields).
 */
import type { RunMeta } from './meta';
import { parseMeta } from './meta-schema';

/** What the index takes from a run record. */
export type IndexFields = Pick<
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
    parent: meta.parent
  };
}
