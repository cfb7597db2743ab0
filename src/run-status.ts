/**
 * What the frontend decides from a run's status (the statuses are declared in the
 * service contract, kernel/src/contract/run.ts).
 */
import type { RunStatus } from '../kernel/src/contract/run';

/**
 * Per status, true when a run never leaves it. Typed by the contract's statuses: a status
 * added there does not compile here until it is placed.
 */
const FINAL: { readonly [status in RunStatus]: boolean } = {
  staged: false,
  queued: false,
  running: false,
  completed: true,
  error: true,
  terminated: true
};

/** True when `value` is a `RunStatus`. */
export function isRunStatus(value: unknown): value is RunStatus {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(FINAL, value);
}

/** True while a run may still change on its own (not in a final status). */
export function isLive(status: RunStatus | null): boolean {
  return status !== null && !FINAL[status];
}
