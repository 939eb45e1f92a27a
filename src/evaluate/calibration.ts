import { seededRandom } from '../core/random.js';
import { argmax, LOG_EPS, negativeLogLikelihood, type Matrix } from './metrics.js';

/**
 * Calibration of the top-1 prediction, as in Guo et al. 2017 ("On Calibration of Modern Neural Networks"):
 * confidence = the largest probability, correct = (argmax == truth). Pure functions, no I/O.
 */

export interface ReliabilityBin {
  /** Bin edges; a sample with confidence c falls in the bin with lo < c ≤ hi (the first bin also takes c = lo). */
  lo: number;
  hi: number;
  count: number;
  /** Fraction correct in the bin; null when the bin is empty. */
  accuracy: number | null;
  /** Mean confidence in the bin; null when the bin is empty. */
  confidence: number | null;
}

export interface CalibrationSummary {
  /** Σ_b (n_b/n)·|acc_b − conf_b|; empty bins contribute nothing. */
  ece: number;
  /** max_b |acc_b − conf_b| over non-empty bins. */
  mce: number;
  bins: ReliabilityBin[];
}

export const DEFAULT_BINS = 15;

/** Confidence and correctness of the top-1 prediction for each sample. */
export function confidences(probs: Matrix, truth: readonly number[]): { conf: number[]; correct: boolean[] } {
  const conf: number[] = [];
  const correct: boolean[] = [];
  for (let i = 0; i < probs.length; i++) {
    const p = probs[i]!;
    const a = argmax(p);
    conf.push(p[a] as number);
    correct.push(a === truth[i]);
  }
  return { conf, correct };
}

function summarise(bins: ReliabilityBin[], groups: number[][], conf: number[], correct: boolean[]): CalibrationSummary {
  const n = conf.length;
  let ece = 0;
  let mce = 0;
  groups.forEach((idx, b) => {
    const bin = bins[b]!;
    bin.count = idx.length;
    if (idx.length === 0) return;
    let c = 0;
    let a = 0;
    for (const i of idx) {
      c += conf[i]!;
      if (correct[i]) a++;
    }
    bin.confidence = c / idx.length;
    bin.accuracy = a / idx.length;
    const gap = Math.abs(bin.accuracy - bin.confidence);
    ece += (idx.length / n) * gap;
    mce = Math.max(mce, gap);
  });
  return { ece: n > 0 ? ece : Number.NaN, mce: n > 0 ? mce : Number.NaN, bins };
}

/** Equal-width bins over [0, 1]: edges i/B, a sample in bin b when edge_b < c ≤ edge_{b+1} (c = 0 in bin 0). */
export function equalWidthCalibration(probs: Matrix, truth: readonly number[], numBins = DEFAULT_BINS): CalibrationSummary {
  const { conf, correct } = confidences(probs, truth);
  const edges = Array.from({ length: numBins + 1 }, (_, i) => i / numBins);
  const bins: ReliabilityBin[] = [];
  const groups: number[][] = [];
  for (let b = 0; b < numBins; b++) {
    bins.push({ lo: edges[b]!, hi: edges[b + 1]!, count: 0, accuracy: null, confidence: null });
    groups.push([]);
  }
  conf.forEach((c, i) => {
    // Compare with the same edges the bins report, so a confidence exactly on an edge lands in the lower bin.
    let b = 0;
    while (b < numBins - 1 && c > edges[b + 1]!) b++;
    groups[b]!.push(i);
  });
  return summarise(bins, groups, conf, correct);
}

/**
 * Equal-mass (adaptive) bins: samples sorted by confidence (ties keep sample order), bin b holds sorted
 * positions floor(b·n/B) … floor((b+1)·n/B) − 1, B = min(numBins, n). Bin edges are the lowest and highest
 * confidence inside the bin.
 */
export function equalMassCalibration(probs: Matrix, truth: readonly number[], numBins = DEFAULT_BINS): CalibrationSummary {
  const { conf, correct } = confidences(probs, truth);
  const n = conf.length;
  const B = Math.min(numBins, n);
  const order = conf.map((_, i) => i).sort((a, b) => conf[a]! - conf[b]! || a - b);
  const bins: ReliabilityBin[] = [];
  const groups: number[][] = [];
  for (let b = 0; b < B; b++) {
    const idx = order.slice(Math.floor((b * n) / B), Math.floor(((b + 1) * n) / B));
    groups.push(idx);
    bins.push({ lo: conf[idx[0]!]!, hi: conf[idx[idx.length - 1]!]!, count: 0, accuracy: null, confidence: null });
  }
  return summarise(bins, groups, conf, correct);
}

// ---------------------------------------------------------------------------------------------------------
// Temperature scaling

/**
 * log p: the "logits" temperature scaling works on (a model ships probabilities). A zero probability (common in
 * uint8-quantized outputs) stays -Infinity, so it stays exactly 0 after scaling, as p^(1/T) does in the app.
 */
export function logProbs(probs: Matrix): Float64Array[] {
  return probs.map((p) => {
    const out = new Float64Array(p.length);
    for (let k = 0; k < p.length; k++) out[k] = Math.log(Math.max(0, p[k] as number));
    return out;
  });
}

/** softmax(z / T), computed stably; an all −∞ row gives the uniform distribution. */
export function softmaxWithTemperature(z: ArrayLike<number>, T: number): number[] {
  let m = -Infinity;
  for (let k = 0; k < z.length; k++) m = Math.max(m, (z[k] as number) / T);
  if (m === -Infinity) return Array.from({ length: z.length }, () => 1 / z.length);
  const e: number[] = [];
  let s = 0;
  for (let k = 0; k < z.length; k++) {
    const v = Math.exp((z[k] as number) / T - m);
    e.push(v);
    s += v;
  }
  return e.map((v) => v / s);
}

/**
 * Applies temperature T to probability vectors: p^(1/T) renormalised = softmax(log p / T). T = 1 returns the
 * model's own numbers untouched (as `edgewise tune` and the app do).
 */
export function applyTemperature(probs: Matrix, T: number): number[][] {
  if (T === 1) return probs.map((p) => Array.from(p, Number));
  return logProbs(probs).map((z) => softmaxWithTemperature(z, T));
}

const NLL_MAX = -Math.log(LOG_EPS);
const NLL_MIN = -Math.log(1 - LOG_EPS);

/**
 * Mean NLL of softmax(z/T) at the true class, with the same clipping as `negativeLogLikelihood`
 * (p in [EPS, 1 − EPS]): per sample min(−ln EPS, max(−ln(1−EPS), logsumexp(z/T) − z_y/T)).
 */
export function nllAtTemperature(logits: readonly Float64Array[], truth: readonly number[], T: number): number {
  if (logits.length === 0) return Number.NaN;
  let s = 0;
  for (let i = 0; i < logits.length; i++) {
    const z = logits[i]!;
    const zy = z[truth[i]!]!;
    if (zy === -Infinity) {
      s += NLL_MAX;
      continue;
    }
    let m = -Infinity;
    for (let k = 0; k < z.length; k++) m = Math.max(m, z[k]! / T);
    let e = 0;
    for (let k = 0; k < z.length; k++) e += Math.exp(z[k]! / T - m);
    s += Math.min(NLL_MAX, Math.max(NLL_MIN, m + Math.log(e) - zy / T));
  }
  return s / logits.length;
}

export interface TemperatureFit {
  temperature: number;
  /** Validation NLL at T = 1 and at the chosen T (never higher than at T = 1). */
  nllBefore: number;
  nllAfter: number;
  n: number;
  /** Why T stayed 1, when it did. */
  note?: string;
  method: string;
}

export const TEMPERATURE_RANGE = { min: 0.05, max: 20 } as const;

/**
 * Fits one temperature T on (validation) probabilities by minimising the NLL of softmax(log p / T).
 * The NLL is convex in 1/T, hence unimodal in log T: a golden-section search on log T over
 * [log 0.05, log 20] finds the minimum. T = 1 (the untouched probabilities) is kept unless the fit strictly
 * lowers the NLL, so fitting never raises the NLL on the split it was fitted on.
 */
export function fitTemperature(probs: Matrix, truth: readonly number[], opts: { tolerance?: number; maxIterations?: number } = {}): TemperatureFit {
  const method = `golden-section search on log T in [${TEMPERATURE_RANGE.min}, ${TEMPERATURE_RANGE.max}] minimising validation NLL of softmax(log p / T)`;
  const n = probs.length;
  if (n === 0) return { temperature: 1, nllBefore: Number.NaN, nllAfter: Number.NaN, n, note: 'no validation samples: temperature left at 1', method };
  const z = logProbs(probs);
  const f = (logT: number): number => nllAtTemperature(z, truth, Math.exp(logT));
  // T = 1 leaves the probabilities untouched (not renormalised): that is the NLL to beat.
  const nllBefore = negativeLogLikelihood(probs, truth);
  const tol = opts.tolerance ?? 1e-6;
  const maxIt = opts.maxIterations ?? 200;
  const phi = (Math.sqrt(5) - 1) / 2;
  let a = Math.log(TEMPERATURE_RANGE.min);
  let b = Math.log(TEMPERATURE_RANGE.max);
  let c = b - phi * (b - a);
  let d = a + phi * (b - a);
  let fc = f(c);
  let fd = f(d);
  for (let it = 0; it < maxIt && b - a > tol; it++) {
    if (fc <= fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - phi * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + phi * (b - a);
      fd = f(d);
    }
  }
  const logT = (a + b) / 2;
  const nllAt = f(logT);
  // A minimum on the edge of the range means the NLL keeps falling (typically: no validation mistakes, so
  // ever sharper is ever better). No temperature is identifiable from such data: keep T = 1.
  const edge = 1e-3;
  if (logT - Math.log(TEMPERATURE_RANGE.min) < edge || Math.log(TEMPERATURE_RANGE.max) - logT < edge) {
    const bound = logT < 0 ? TEMPERATURE_RANGE.min : TEMPERATURE_RANGE.max;
    return { temperature: 1, nllBefore, nllAfter: nllBefore, n, note: `the validation NLL keeps falling toward T = ${bound} (e.g. no validation mistakes): no temperature is identifiable, left at 1`, method };
  }
  if (!(nllAt < nllBefore)) return { temperature: 1, nllBefore, nllAfter: nllBefore, n, note: 'no temperature lowered the validation NLL: left at 1', method };
  return { temperature: Math.exp(logT), nllBefore, nllAfter: nllAt, n, method };
}

// ---------------------------------------------------------------------------------------------------------
// How much ECE sampling noise alone gives

export interface EceNoiseRange {
  /** Simulated draws and the PRNG seed (fixed: the same predictions always give the same range). */
  draws: number;
  seed: number;
  /** 5th, 50th and 95th percentile of the ECE of a perfectly calibrated model with these confidences. */
  p05: number;
  p50: number;
  p95: number;
  /** Where the measured ECE falls: above the range = miscalibration the test images can show. */
  measured: number;
  verdict: 'inside' | 'above' | 'below';
}

/**
 * The ECE a perfectly calibrated model would show on these very images: each image keeps its top-1 confidence
 * c, its correctness is drawn as Bernoulli(c), and the ECE is computed with the same equal-width bins; over
 * `draws` draws (seeded mulberry32) the 5–95 % range is what sampling noise alone gives on this many images.
 */
export function eceNoiseRange(probs: Matrix, truth: readonly number[], opts: { draws?: number; seed?: number; numBins?: number } = {}): EceNoiseRange {
  const draws = opts.draws ?? 1000;
  const seed = opts.seed ?? 20240917;
  const numBins = opts.numBins ?? DEFAULT_BINS;
  const measured = equalWidthCalibration(probs, truth, numBins).ece;
  const { conf } = confidences(probs, truth);
  const n = conf.length;
  // Bin of each image: the same rule as equalWidthCalibration.
  const binOf = conf.map((c) => {
    let b = 0;
    while (b < numBins - 1 && c > (b + 1) / numBins) b++;
    return b;
  });
  const confSum = new Float64Array(numBins);
  const count = new Float64Array(numBins);
  conf.forEach((c, i) => {
    confSum[binOf[i]!]! += c;
    count[binOf[i]!]! += 1;
  });
  const rand = seededRandom(seed);
  const eces: number[] = [];
  const hits = new Float64Array(numBins);
  for (let d = 0; d < draws; d++) {
    hits.fill(0);
    for (let i = 0; i < n; i++) if (rand() < conf[i]!) hits[binOf[i]!]! += 1;
    let e = 0;
    for (let b = 0; b < numBins; b++) if (count[b]! > 0) e += Math.abs(hits[b]! - confSum[b]!) / n;
    eces.push(e);
  }
  eces.sort((x, y) => x - y);
  const q = (p: number): number => (n === 0 ? Number.NaN : eces[Math.min(draws - 1, Math.max(0, Math.round(p * (draws - 1))))]!);
  const p05 = q(0.05);
  const p95 = q(0.95);
  return { draws, seed, p05, p50: q(0.5), p95, measured, verdict: measured > p95 ? 'above' : measured < p05 ? 'below' : 'inside' };
}

/** One plain sentence about the measured ECE against the noise range. */
export function eceNoiseSentence(r: EceNoiseRange, n: number): string {
  const range = `${r.p05.toFixed(3)}–${r.p95.toFixed(3)}`;
  const base = `a perfectly calibrated model with the same confidences would show ECE ${range} on these ${n} images (5–95 % of ${r.draws} simulated draws)`;
  if (r.verdict === 'above') return `ECE ${r.measured.toFixed(3)} is ABOVE the noise range: ${base}, so the miscalibration is real.`;
  if (r.verdict === 'below') return `ECE ${r.measured.toFixed(3)} is below the noise range: ${base}.`;
  return `ECE ${r.measured.toFixed(3)} is inside the noise range: ${base}, so these images cannot show miscalibration.`;
}
