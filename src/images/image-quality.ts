import type { GreyImage } from './perceptual-hash.js';

/** Raw quality measures of a grey thumbnail; thresholds are applied later (config.validate). */
export interface QualityMeasures {
  /** Mean grey level, 0-255. */
  mean: number;
  /** Shannon entropy of the 256-bin grey histogram, in bits (0 flat ... 8). */
  entropy: number;
  /** Variance of the 4-neighbour Laplacian: low for blurry or featureless images. */
  blur: number;
}

export function measureQuality(img: GreyImage): QualityMeasures {
  const { data, width: w, height: h } = img;
  const hist = new Float64Array(256);
  let sum = 0;
  for (let i = 0; i < data.length; i++) {
    hist[data[i]!]!++;
    sum += data[i]!;
  }
  const n = data.length || 1;
  let entropy = 0;
  for (let v = 0; v < 256; v++) {
    const p = hist[v]! / n;
    if (p > 0) entropy -= p * Math.log2(p);
  }
  let s = 0;
  let s2 = 0;
  let m = 0;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      const lap = data[i - 1]! + data[i + 1]! + data[i - w]! + data[i + w]! - 4 * data[i]!;
      s += lap;
      s2 += lap * lap;
      m++;
    }
  }
  const blur = m > 0 ? s2 / m - (s / m) ** 2 : 0;
  return { mean: sum / n, entropy, blur };
}
