/**
 * The Apache Arrow module the runs index is built with, loaded on first use, so
 * commands that never touch the index (`nbx run`, `nbx log RUN-ID`) don't pay for it.
 *
 * It is Arrow's single-file build: the same library, bundled, loading in ~20 ms where
 * the ~150 modules of the default entry take ~85 ms — most of a warm `nbx runs`.
 * Everything in the engine goes through this one module, so there is one Arrow
 * instance (vectors, tables and IPC writers do not mix across two copies). Code that
 * hands a table to a notebook passes it as IPC bytes, which any copy reads.
 */
import type * as Arrow from 'apache-arrow';

let loaded: typeof Arrow | undefined;

function load(): typeof Arrow {
  // A deferred require (not an import) is the point of this module.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loaded ??= require('apache-arrow/Arrow.esnext.min') as typeof Arrow;
  return loaded;
}

/** The `apache-arrow` module, loaded when a property is first read. */
export const arrow: typeof Arrow = new Proxy({} as typeof Arrow, {
  get: (_target, key) => load()[key as keyof typeof Arrow]
});

export type { DataType, Field, Schema, Table, Vector } from 'apache-arrow';
