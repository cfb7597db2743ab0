/**
 * The fields of a `meta.json` the runs index needs, parsed without building a whole
 * `RunMeta` (a cold index reads 10,000s of them). It accepts exactly what `parseMeta`
 * accepts, normalises the fields the same way, and lets `parseMeta` throw the error (with
 * its wording) for anything else.
 */
import * as path from 'node:path';

import type { JSONValue } from '../base/json';
import { isRunStatus, parseMeta, type RunMeta } from './meta';

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

type Loose = { [key: string]: unknown };

const isLoose = (v: unknown): v is Loose =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * The index fields of a meta.json text. Throws `CorruptMetaError` (from `parseMeta`) when
 * the text is not a usable run record.
 */
export function parseIndexFields(text: string, file: string): IndexFields {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  if (
    !isLoose(value) ||
    typeof value.id !== 'string' ||
    value.id === '' ||
    !isRunStatus(value.status)
  ) {
    return parseMeta(text, file); // throws the reason
  }
  const notebook = str(value.notebook) ?? '';
  return {
    notebookName: str(value.notebookName) ?? path.basename(notebook),
    status: value.status,
    label: str(value.label),
    tags: Array.isArray(value.tags)
      ? value.tags.filter((t): t is string => typeof t === 'string')
      : [],
    created: str(value.created) ?? '',
    started: str(value.started),
    stopped: str(value.stopped),
    pid: num(value.pid),
    pidStart: str(value.pidStart),
    host: str(value.host) ?? '',
    flags: isLoose(value.flags) ? (value.flags as Record<string, JSONValue>) : {},
    attrs: isLoose(value.attrs) ? (value.attrs as Record<string, JSONValue>) : {},
    scalars: isLoose(value.scalars) ? (value.scalars as RunMeta['scalars']) : {},
    kind: value.kind === 'batch' ? 'batch' : 'run',
    parent: str(value.parent)
  };
}
