/**
 * Saved views of the Compare panel: the columns chosen, "only columns that differ", the
 * sort and the `--where` filter, named by the user and kept per runs root in
 * JupyterLab's state database. Read back defensively: state written by another version
 * (or edited by hand) loses what does not parse, never the whole list.
 */
import type { ReadonlyPartialJSONValue } from '@lumino/coreutils';
import type { ISortKey } from './model';

/** One saved view. */
export interface ICompareView {
  name: string;
  /** The columns shown, in order (null: every column). */
  columns: string[] | null;
  onlyDiffering: boolean;
  sort: ISortKey[];
  /** A `--where` expression ('' for none). */
  where: string;
}

/** The state database key of the views of runs root `root` ('' for the default root). */
export function viewsKey(root: string): string {
  return `jupyterlab-nbx:compare-views:${root}`;
}

/** The views as the state database stores them. */
export function viewsToJSON(views: readonly ICompareView[]): ReadonlyPartialJSONValue {
  return {
    version: 1,
    views: views.map(v => ({
      name: v.name,
      columns: v.columns,
      onlyDiffering: v.onlyDiffering,
      sort: v.sort.map(k => ({ column: k.column, direction: k.direction })),
      where: v.where
    }))
  };
}

/** The views of a stored value; entries that do not parse are left out. */
export function viewsFromJSON(value: unknown): ICompareView[] {
  if (!isRecord(value) || !Array.isArray(value.views)) {
    return [];
  }
  const views: ICompareView[] = [];
  for (const item of value.views) {
    if (!isRecord(item) || typeof item.name !== 'string' || item.name === '') {
      continue;
    }
    const columns =
      Array.isArray(item.columns) && item.columns.every(c => typeof c === 'string')
        ? (item.columns as string[])
        : null;
    const sort = Array.isArray(item.sort)
      ? item.sort.filter(
          (k): k is ISortKey =>
            isRecord(k) &&
            typeof k.column === 'string' &&
            (k.direction === 'ascending' || k.direction === 'descending')
        )
      : [];
    views.push({
      name: item.name,
      columns,
      onlyDiffering: item.onlyDiffering === true,
      sort: sort.map(k => ({ column: k.column, direction: k.direction })),
      where: typeof item.where === 'string' ? item.where : ''
    });
  }
  return views;
}

/** `views` with `view` saved: replacing the one of the same name, else added last. */
export function withView(views: readonly ICompareView[], view: ICompareView): ICompareView[] {
  const at = views.findIndex(v => v.name === view.name);
  return at < 0 ? [...views, view] : views.map((v, i) => (i === at ? view : v));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
