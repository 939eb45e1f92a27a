import { cosine } from '../../src/train/local/vectors.js';

/** How far `b` is from the reference `a`: cosine, max |Δ|, and max |Δ| over a's largest |value|. */
export function closeness(a: Float32Array, b: Float32Array): { cos: number; maxDiff: number; rel: number } {
  let maxAbs = 0;
  let maxDiff = 0;
  for (let i = 0; i < a.length; i++) {
    maxAbs = Math.max(maxAbs, Math.abs(a[i]!));
    maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));
  }
  return { cos: cosine(a, b), maxDiff, rel: maxDiff / maxAbs };
}
