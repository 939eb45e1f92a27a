import type { ScoredNegatives, ScoredPredictions } from '../../src/tune/types.js';
import { seededRandom } from '../../src/core/random.js';

/** Small seeded PRNG (mulberry32) so failures reproduce. */
export const rng: (seed: number) => () => number = seededRandom;

/**
 * Random probability rows with the awkward cases mixed in: values exactly on the 0.01 grid, exact ties
 * between top classes, one-hot rows, truth -1, and a class that never occurs.
 */
export function randomRows(r: () => number, n: number, k: number): { probs: number[][]; truth: number[] } {
  const probs: number[][] = [];
  const truth: number[] = [];
  for (let i = 0; i < n; i++) {
    const kind = r();
    let row: number[];
    if (kind < 0.15) {
      // Grid-exact top two: p1 = a/100, p2 = b/100, rest spread.
      const a = 34 + Math.floor(r() * 67);
      const b = Math.floor(r() * Math.min(a + 1, 101 - a));
      row = new Array<number>(k).fill(0);
      const c1 = Math.floor(r() * k);
      const c2 = (c1 + 1) % k;
      row[c1] = a / 100;
      row[c2] = b / 100;
      const rest = Math.max(0, 1 - a / 100 - b / 100);
      for (let j = 0; j < k; j++) if (j !== c1 && j !== c2) row[j] = rest / (k - 2);
    } else if (kind < 0.22) {
      row = new Array<number>(k).fill(0);
      const c = Math.floor(r() * k);
      row[c] = 0.5;
      row[(c + 1) % k] = 0.5; // exact tie: margin 0
    } else if (kind < 0.27) {
      row = new Array<number>(k).fill(0);
      row[Math.floor(r() * k)] = 1;
    } else {
      const sharp = 1 + r() * 6;
      row = Array.from({ length: k }, () => Math.pow(r(), sharp));
      const s = row.reduce((a, b) => a + b, 0);
      row = row.map((v) => v / s);
    }
    probs.push(row);
    // Right about as often as the model is confident (so thresholds help), sometimes unknown (-1);
    // class k-1 is never the truth.
    const p1 = Math.max(...row);
    const argmax = row.indexOf(p1);
    const t = r();
    truth.push(t < 0.05 ? -1 : r() < p1 ? Math.min(argmax, k - 2) : Math.floor(r() * (k - 1)));
  }
  return { probs, truth };
}

export function randomNegatives(r: () => number, m: number, k: number): number[][] {
  return randomRows(r, m, k).probs;
}

export type { ScoredNegatives, ScoredPredictions };
