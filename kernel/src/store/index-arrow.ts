/**
 * The Apache Arrow module the runs index is built with, loaded on first use: Arrow is
 * ~150 modules (tens of milliseconds to load), and commands that never touch the index
 * (`nbx run`, `nbx log RUN-ID`) should not pay for it.
 *
 * Everything in the index goes through this one module, so there is one Arrow instance:
 * Arrow's vectors, tables and IPC writers do not mix across two copies of the library.
 */
import type * as Arrow from 'apache-arrow';

let loaded: typeof Arrow | undefined;

function load(): typeof Arrow {
  // A deferred require (not an import) is the point of this module.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loaded ??= require('apache-arrow') as typeof Arrow;
  return loaded;
}

/** The `apache-arrow` module, loaded when a property is first read. */
export const arrow: typeof Arrow = new Proxy({} as typeof Arrow, {
  get: (_target, key) => load()[key as keyof typeof Arrow]
});

export type { DataType, Field, Schema, Table, Vector } from 'apache-arrow';
