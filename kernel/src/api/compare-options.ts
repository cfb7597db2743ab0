/**
 * The arguments of `nbx.compare` (see compare.ts), declared without imports: notebooks
 * type-check them.
 */

/** Options of `nbx.compare`. */
export interface ICompareOptions {
  /** Only the runs matching this `--where` expression (`'status = completed'`). */
  where?: string;
  /** Columns instead of the defaults, as `nbx compare --columns` (`'=lr,#loss:min,.duration'`). */
  columns?: string;
  /** Sort, as `--sort` (`'-#acc,=lr'`); default: the objective's order, else the order given. */
  sort?: string;
  /** The metric that ranks runs: `'#loss'` (lowest best) or `'-#acc'` (highest best). */
  objective?: string;
  /** Rows shown at most (default 50); the rest are counted in a note. */
  limit?: number;
}

/** A table of runs (`nbx.runs()`, `sweep.done()`): anything with an `id` column. */
export interface IRunsTableLike {
  getChild(name: string): { length: number; get(index: number): unknown } | null;
}

/** Which runs to compare. */
export type CompareRuns = string | readonly string[] | IRunsTableLike;
