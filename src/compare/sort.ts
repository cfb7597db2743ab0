/**
 * Multi-column sort of a table as an index permutation over per-column sort keys (see
 * `IColumnReader.sortKeys`): the table itself is never reordered or copied.
 */

/** One column of a sort: its keys (NaN for null) and its direction. */
export interface ISortColumn {
  keys: Float64Array;
  descending: boolean;
}

/**
 * The rows `0..n-1` ordered by `columns` (the first decides, the next breaks its ties,
 * ...); nulls last whatever the direction; rows still tied keep table order.
 */
export function sortPermutation(n: number, columns: readonly ISortColumn[]): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    order[i] = i;
  }
  if (columns.length === 0) {
    return order;
  }
  const keys = columns.map(c => c.keys);
  const signs = columns.map(c => (c.descending ? -1 : 1));
  const count = keys.length;
  return order.sort((a, b) => {
    for (let k = 0; k < count; k++) {
      const va = keys[k][a];
      const vb = keys[k][b];
      if (va === vb) {
        continue;
      }
      const nullA = va !== va;
      const nullB = vb !== vb;
      if (nullA || nullB) {
        if (nullA && nullB) {
          continue;
        }
        return nullA ? 1 : -1;
      }
      return va < vb ? -signs[k] : signs[k];
    }
    return a - b;
  });
}
