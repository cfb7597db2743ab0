/**
 * `meta.json`: the record of one run (see DESIGN.md, "Run directory").
 */

import { UserError } from '../base/errors';
import type { RunMeta, RunStatus } from '../contract/run';

// The run record is declared in the service contract (the frontend reads it too); the
// store's modules keep importing it from here.
export type * from '../contract/run';

/** Every status, in lifecycle order. */
export const RUN_STATUSES: readonly RunStatus[] = [
  'staged',
  'queued',
  'running',
  'completed',
  'error',
  'terminated'
];

/** Statuses a run never leaves. */
export const FINAL_STATUSES: readonly RunStatus[] = ['completed', 'error', 'terminated'];

/** True when `value` is a `RunStatus`. */
export function isRunStatus(value: unknown): value is RunStatus {
  return typeof value === 'string' && (RUN_STATUSES as readonly string[]).includes(value);
}

/**
 * A `meta.json` that cannot be used; `reason` says why without the path. A person can fix
 * it (restore or remove the run), so it is a `UserError`: one line naming the file.
 */
export class CorruptMetaError extends UserError {
  readonly reason: string;

  constructor(file: string, reason: string) {
    super(`${file}: ${reason}`);
    this.name = 'CorruptMetaError';
    this.reason = reason;
  }
}

/** `meta.json` text for `meta`: 2-space indented JSON with a trailing newline. */
export function formatMeta(meta: RunMeta): string {
  return JSON.stringify(meta, null, 2) + '\n';
}
