/**
 * The colour of a run in every chart and table that tells runs apart (Scalars traces,
 * Compare rows, parallel coordinates): one function of the run id, so a run keeps its
 * colour from panel to panel and from one session to the next.
 */

/**
 * Twenty distinguishable hues (Tableau 10 and its lighter companions), readable on the
 * light and the dark theme.
 */
export const RUN_PALETTE: readonly string[] = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#17becf',
  '#bcbd22',
  '#7f7f7f'
];

/** The palette slot of a run id (FNV-1a of the id: stable, spread over the palette). */
function slotOf(id: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % RUN_PALETTE.length;
}

/** The colour of one run. */
export function runColor(id: string): string {
  return RUN_PALETTE[slotOf(id)];
}

/**
 * The colours of runs shown together: each run its own colour while the palette lasts.
 * A run keeps `runColor(id)` unless an earlier id (in sorted order, so the result does not
 * depend on the order of `ids`) took it; then it takes the next free slot.
 */
export function runColors(ids: readonly string[]): Map<string, string> {
  const colors = new Map<string, string>();
  const taken = new Set<number>();
  for (const id of [...new Set(ids)].sort()) {
    let slot = slotOf(id);
    if (taken.size < RUN_PALETTE.length) {
      while (taken.has(slot)) {
        slot = (slot + 1) % RUN_PALETTE.length;
      }
    }
    taken.add(slot);
    colors.set(id, RUN_PALETTE[slot]);
  }
  return colors;
}
