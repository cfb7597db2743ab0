/**
 * Errors of the `nbx.*` calls a notebook makes: one line naming the call and the problem
 * (`nbx.runs: invalid where 'lr >> 1': unexpected '>' at column 5 (expected a value)`).
 * tslab prints what a cell throws with its stack; the engine's frames say nothing to the
 * notebook's author, so the stack is the message line alone.
 */
import { UserError } from '../base/errors';

export class NbxApiError extends Error {
  constructor(call: string, message: string) {
    super(`nbx.${call}: ${message}`);
    this.name = 'NbxApiError';
    this.stack = `${this.name}: ${this.message}`;
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
