/**
 * Errors as the frontend shows them.
 */

/** The message of a rejection or a thrown value: the service's errors are one line. */
export function errorMessage(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason);
}
