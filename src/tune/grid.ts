/**
 * The slider grid: tau and margin move in steps of 0.01 from 0 to 1. Values are kept as integer hundredths
 * and turned into numbers with `k / 100`, the same double a user gets by typing `0.07`, so a grid setting
 * compares exactly like the brute-force rule `p1 >= tau`.
 */
export const GRID_STEPS = 100;
export const GRID_SIZE = GRID_STEPS + 1;

export function gridValue(k: number): number {
  return k / GRID_STEPS;
}

/** The grid index of a value when it lies exactly on the grid, otherwise undefined. */
export function gridIndexOf(v: number): number | undefined {
  const k = Math.round(v * GRID_STEPS);
  return k >= 0 && k <= GRID_STEPS && gridValue(k) === v ? k : undefined;
}

/**
 * The largest grid index k with k/100 <= v (so `v >= k/100` holds exactly for every index up to it), or -1
 * when v is below 0. Rounding of `v * 100` is corrected by comparing against the grid doubles themselves.
 */
export function bucketOf(v: number): number {
  if (!(v >= 0)) return -1;
  let k = Math.min(GRID_STEPS, Math.floor(v * GRID_STEPS));
  while (k < GRID_STEPS && gridValue(k + 1) <= v) k++;
  while (k >= 0 && gridValue(k) > v) k--;
  return k;
}

/** Clamps an integer hundredth to the grid. */
export function clampGrid(k: number): number {
  return Math.max(0, Math.min(GRID_STEPS, Math.round(k)));
}
