/**
 * Errors of the `nbx.*` calls a notebook makes: one line naming the call and the problem
 * (`nbx.runs: invalid where 'lr >> 1': unexpected '>' at column 5 (expected a value)`).
 * tslab prints what a cell throws with its stack (Node shows a stack without frames as
 * `[NbxApiError: …]`); the engine's frames say nothing to the notebook's author, so the
 * stack is the message line alone, and it ignores the source line vm's `displayErrors`
 * (which tslab runs cells with) would put in front of it — a line of nbx's code too.
 */
import { UserError } from '../base/errors';

export class NbxApiError extends Error {
  constructor(call: string, message: string) {
    super(`nbx.${call}: ${message}`);
    this.name = 'NbxApiError';
    const line = `${this.name}: ${this.message}`;
    Object.defineProperty(this, 'stack', {
      get: () => line,
      set: () => undefined,
      configurable: true
    });
  }
}

/** Runs `body`, turning the engine's one-line errors for bad input into an `NbxApiError`. */
export function apiCall<T>(call: string, body: () => T): T {
  try {
    return body();
  } catch (err) {
    if (err instanceof UserError) {
      throw new NbxApiError(call, err.message);
    }
    throw err;
  }
}
